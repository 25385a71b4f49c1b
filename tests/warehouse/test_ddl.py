"""DuckDB tables carry exactly the declared Arrow schemas, documented with COMMENT ON."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from tests.conftest import run_python
from transforms.schemas import TABLES
from warehouse.ddl import duckdb_type
from warehouse.layout import WarehouseLayout
from warehouse.store import connect, insert_rows


def test_tables_match_declared_schemas(tmp_path: Path) -> None:
    with connect(WarehouseLayout(tmp_path)) as connection:
        for name, schema in TABLES.items():
            described = connection.execute(f'DESCRIBE "{name}"').fetchall()
            assert [(row[0], row[1], row[2]) for row in described] == [
                (field.name, duckdb_type(field.type), "YES" if field.nullable else "NO") for field in schema
            ]
            arrow = connection.execute(f'SELECT * FROM "{name}" LIMIT 0').arrow()
            assert [(f.name, f.type) for f in arrow.schema] == [(f.name, f.type) for f in schema]


def test_every_table_and_column_is_documented(tmp_path: Path) -> None:
    with connect(WarehouseLayout(tmp_path)) as connection:
        undocumented = connection.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE internal = false "
            "AND table_name IN (SELECT table_name FROM duckdb_tables()) AND (comment IS NULL OR comment = '')"
        ).fetchall()
        assert undocumented == []
        tables = connection.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall()
        assert {name for name, comment in tables if comment} == set(TABLES)


def test_schema_upgrade_adds_missing_columns(tmp_path: Path) -> None:
    layout = WarehouseLayout(tmp_path)
    with duckdb.connect(str(layout.database)) as connection:
        connection.execute("CREATE TABLE quarantine (run_id VARCHAR NOT NULL, source_path VARCHAR NOT NULL)")
    with connect(layout) as connection:
        columns = [row[0] for row in connection.execute("DESCRIBE quarantine").fetchall()]
    assert columns == [field.name for field in TABLES["quarantine"]]


def test_insert_rows_keeps_sql_out_of_values(tmp_path: Path) -> None:
    hostile = "'); DROP TABLE articles; --"
    with connect(WarehouseLayout(tmp_path)) as connection:
        insert_rows(
            connection,
            "quarantine",
            [
                {
                    "run_id": "r",
                    "source_path": hostile,
                    "stage": "read",
                    "reason": hostile,
                    "quarantined_at": pa.scalar(0, pa.timestamp("us")).as_py(),
                }
            ],
        )
        assert connection.execute("SELECT source_path FROM quarantine").fetchone()[0] == hostile
        assert connection.execute("SELECT count(*) FROM articles").fetchone()[0] == 0


def test_new_warehouses_store_article_text_compressed(tmp_path: Path) -> None:
    # 3,000 distinct bodies of some 3 KB: enough for full row groups, whose text DuckDB writes with zstd.
    sentences = [f"Sentence {n} of the report says the council met on day {n % 31}." for n in range(300)]
    rows = [
        {
            "article_id": f"{n:016x}",
            "source_path": f"in/{n}.txt",
            "source_format": "txt",
            "body": " ".join(sentences[(n + k) % 300] for k in range(50)),
            "word_count": 600,
            "char_count": 3000,
            "content_sha256": f"{n:064x}",
            "raw_sha256": f"{n:064x}",
            "run_id": "r",
            "ingested_at": datetime(2026, 1, 1),
        }
        for n in range(3000)
    ]
    layout = WarehouseLayout(tmp_path)
    with connect(layout) as connection:
        insert_rows(connection, "articles", rows)
        connection.execute("CHECKPOINT")
        [(tags,)] = connection.execute(
            "SELECT tags FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchall()
        compressions = {
            row[0]
            for row in connection.execute(
                "SELECT compression FROM pragma_storage_info('articles') WHERE column_name = 'body'"
                " AND segment_type = 'VARCHAR'"
            ).fetchall()
        }
    assert tags["storage_version"].startswith("v1.2")
    assert compressions == {"ZSTD"}
    assert layout.database.stat().st_size < sum(len(row["body"]) for row in rows) / 4


def test_no_connection_of_ours_prints_duckdb_progress_bars(tmp_path: Path) -> None:
    # DuckDB prints its progress bar to stdout for queries over 2 s, by default in a Python started with `-c` (as
    # the bench starts `newsetl run --json`) or a notebook: a 1,000,000-article load wrote bars before the summary
    # line, which the bench then could not find. A fresh `-c` process, since pytest's own has the bar off.
    probe = f"""
from pathlib import Path
from warehouse.db import open_for_writing
from warehouse.layout import WarehouseLayout
from warehouse.store import connect
setting = "SELECT current_setting('enable_progress_bar')"
layout = WarehouseLayout(Path({str(tmp_path / "w")!r}))
with connect(layout) as writable:
    print(writable.execute(setting).fetchone()[0], writable.cursor().execute(setting).fetchone()[0])
with connect(layout, read_only=True) as readable:
    print(readable.execute(setting).fetchone()[0])
with open_for_writing({str(tmp_path / "floor.duckdb")!r}) as floor:
    print(floor.execute(setting).fetchone()[0])
import duckdb
print(duckdb.connect().execute(setting).fetchone()[0])
"""
    assert run_python(probe).split() == ["False", "False", "False", "False", "True"]
