"""Connection-level helpers every DuckDB writer here uses: transactions, a memory bound, Arrow appends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from transforms.schemas import TABLES
from warehouse.ddl import literal, quote

# A new warehouse file is written in DuckDB's 1.2 storage format (readable by DuckDB 1.2 and later), whose zstd
# compression of long text DuckDB uses only when forced: article bodies are stored compressed (the 100,000-article
# benchmark's warehouse takes 59 MB, not 580 MB) and the load's commit writes that much less (4 -> 2.6 s). Left
# to choose in that format, DuckDB analysed every string for FSST at the commit instead, which took 7.5 s. Numbers,
# timestamps and lists keep their own encodings (bit-packing, RLE, constants): zstd applies to text and bytes.
# A warehouse created in the older format keeps it and is read and written as before.
WRITER_CONFIG = {"storage_compatibility_version": "v1.2.0"}
LONG_TEXT_COMPRESSION = "zstd"


def open_for_writing(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-write connection to the DuckDB file at ``path`` (created if missing), text stored zstd-compressed."""
    connection = duckdb.connect(str(path), config=WRITER_CONFIG)
    connection.execute(f"SET force_compression = {literal(LONG_TEXT_COMPRESSION)}")
    return without_progress_bar(connection)


def open_for_reading(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the DuckDB file at ``path``."""
    return without_progress_bar(duckdb.connect(str(path), read_only=True))


def without_progress_bar(connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """``connection``, made never to print DuckDB's progress bar.

    DuckDB writes it to the process's stdout for any query running over 2 s, and that is where ``newsetl run
    --json`` prints its summary: a 1,000,000-article load left the summary behind a line of progress bars, which
    the bench could not read. (Only a setting of the connection: DuckDB refuses it in ``config``.)
    """
    connection.execute("SET enable_progress_bar = false")
    return connection


@contextmanager
def transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    connection.execute("BEGIN")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


@contextmanager
def memory_limit(connection: duckdb.DuckDBPyConnection, limit: str) -> Iterator[None]:
    """DuckDB works within ``limit`` (spilling to disk beyond it) until the block ends, then the previous limit."""
    previous = connection.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    connection.execute(f"SET memory_limit = {literal(limit)}")
    try:
        yield
    finally:
        connection.execute(f"SET memory_limit = {literal(previous)}")


@contextmanager
def streamed(
    connection: duckdb.DuckDBPyConnection,
    query: str,
    parameters: list | None = None,
    batch_rows: int = 10_000,
) -> Iterator[pa.RecordBatchReader]:
    """The rows of ``query`` as a stream of record batches, closed when the block ends, however it ends.

    ``batch_rows`` bounds what one batch holds: DuckDB's default (a million rows) is every article of a big run
    at once, the load's memory peak (1.1 GB of 1.6 at 100,000 articles).

    An unfinished DuckDB result that outlives its connection (held, say, by the traceback of an error raised
    while the stream was read) makes the next ``duckdb.connect`` to the same file in this process spin forever
    (DuckDB's instance cache waits for the old database to shut down): a failed load then never got recorded.
    """
    reader = connection.execute(query, parameters or []).to_arrow_reader(batch_rows)
    try:
        yield reader
    finally:
        reader.close()


def append_rows(connection: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    """Append an Arrow table to a declared table, cast to its schema (values travel as data, never as SQL)."""
    if not data.num_rows:
        return
    connection.register("rows_to_append", data.cast(TABLES[table]))
    try:
        connection.execute(f"INSERT INTO {quote(table)} SELECT * FROM rows_to_append")
    finally:
        connection.unregister("rows_to_append")
