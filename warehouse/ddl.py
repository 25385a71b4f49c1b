"""DuckDB DDL derived from ``transforms.schemas``: tables, column types and their documentation."""

from __future__ import annotations

import pyarrow as pa

_SCALAR_TYPES = {
    pa.string(): "VARCHAR",
    pa.large_string(): "VARCHAR",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.timestamp("us"): "TIMESTAMP",
    pa.binary(): "BLOB",
}


def duckdb_type(arrow_type: pa.DataType) -> str:
    """The DuckDB type that Parquet files of ``arrow_type`` load into unchanged."""
    if pa.types.is_list(arrow_type):
        return duckdb_type(arrow_type.value_type) + "[]"
    try:
        return _SCALAR_TYPES[arrow_type]
    except KeyError as error:
        raise TypeError(f"no DuckDB type declared for {arrow_type}") from error


def quote(identifier: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A DuckDB string literal (for DDL statements, which take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def create_table_sql(name: str, schema: pa.Schema) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for one declared schema."""
    columns = ",\n    ".join(
        f"{quote(field.name)} {duckdb_type(field.type)}{'' if field.nullable else ' NOT NULL'}"
        for field in schema
    )
    return f"CREATE TABLE IF NOT EXISTS {quote(name)} (\n    {columns}\n)"


def comment_sql(name: str, schema: pa.Schema) -> list[str]:
    """``COMMENT ON`` statements documenting the table and each column where analysts query."""
    statements = [f"COMMENT ON TABLE {quote(name)} IS {literal(schema.metadata[b'doc'].decode())}"]
    for field in schema:
        doc = (field.metadata or {}).get(b"doc", b"").decode()
        statements.append(f"COMMENT ON COLUMN {quote(name)}.{quote(field.name)} IS {literal(doc)}")
    return statements
