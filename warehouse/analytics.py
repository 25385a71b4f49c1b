"""DuckDB side of the analytics refresh: derived tables in and out, the full-text index, the fts extension.

The derived tables (``article_minhash``, ``article_figures``, ``article_similarity``, ``story_clusters``) and the
BM25 index are rebuilt from the current articles after a load; ``flows.analytics`` computes them with the pure
functions of ``transforms``. Everything here reads or writes the warehouse and nothing else.
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.db import append_rows, streamed
from warehouse.ddl import literal, quote

FTS_SQL_FOLDER = Path(__file__).parent / "sql" / "fts"
FTS_SCHEMA = "fts_main_articles"
# Tables whose rows exist only for the current articles, keyed by article_id.
PER_ARTICLE_TABLES = ("article_minhash", "article_figures")


def fts_extension_path() -> Path:
    """The fts extension binary shipped by the ``duckdb-extension-fts`` package (built for the pinned duckdb)."""
    package = importlib.resources.files("duckdb_extension_fts")
    return Path(str(package / "extensions" / f"v{duckdb.__version__}" / "fts.duckdb_extension"))


def load_fts(connection: duckdb.DuckDBPyConnection) -> None:
    """Load the fts extension without the network: from the extension directory, else from the package's file.

    ``INSTALL`` from a local file copies the extension into the extension directory (``~/.duckdb``), after which
    ``LOAD fts`` works in any DuckDB client of the same version. Where that directory is not writable, the file is
    loaded directly.

    What is installed and loaded is read from ``duckdb_extensions()`` rather than found out by a failing
    ``LOAD``: inside a transaction any failed statement aborts it, and on a machine where fts was never
    installed that failure took the caller's whole transaction with it.
    """
    installed, loaded = connection.execute(
        "SELECT installed, loaded FROM duckdb_extensions() WHERE extension_name = 'fts'"
    ).fetchone() or (False, False)
    if loaded:
        return
    path = literal(str(fts_extension_path()))
    if not installed and _extension_directory_writable(connection):
        connection.execute(f"INSTALL {path}")
        installed = True
    connection.execute("LOAD fts" if installed else f"LOAD {path}")


def _extension_directory_writable(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``INSTALL`` can write where this connection keeps extensions (made if missing, like DuckDB does)."""
    configured = connection.execute("SELECT current_setting('extension_directory')").fetchone()[0]
    folder = Path(configured).expanduser() if configured else Path.home() / ".duckdb" / "extensions"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def prune_derived(connection: duckdb.DuckDBPyConnection) -> int:
    """Delete per-article derived rows of articles that are no longer current; returns how many articles."""
    # article_minhash holds one row per analysed article, so its deleted rows count the retired articles.
    minhash, *others = PER_ARTICLE_TABLES
    stale = connection.execute(_DELETE_RETIRED.format(table=quote(minhash))).fetchone()[0]
    if stale:
        for table in others:
            connection.execute(_DELETE_RETIRED.format(table=quote(table)))
    return stale


_DELETE_RETIRED = "DELETE FROM {table} WHERE article_id NOT IN (SELECT article_id FROM articles WHERE superseded_at IS NULL)"


def unanalysed_texts(connection: duckdb.DuckDBPyConnection, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """``article_id`` and ``body`` of current articles without a ``article_minhash`` row, streamed.

    In storage order: the rows derived from each article do not depend on the others, and sorting would hold the
    texts in DuckDB's memory while the caller writes.

    Read on a cursor of its own (a connection of the same database, outside the caller's transaction), so that
    the caller can write each batch's derived rows while the stream goes on: another query on the streaming
    connection would end the stream. The cursor sees the committed ``article_minhash``; rows of retired
    articles it still sees do not matter, since only current articles are read.
    """
    cursor = connection.cursor()
    try:
        with streamed(
            cursor,
            """
            SELECT article_id, body FROM articles
            WHERE superseded_at IS NULL AND article_id NOT IN (SELECT article_id FROM article_minhash)
            """,
            batch_rows=batch_rows,
        ) as batches:
            yield from batches
    finally:
        cursor.close()


def current_texts(connection: duckdb.DuckDBPyConnection, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """``article_id``, ``published_at``, ``title`` and ``body`` of every current article, streamed.

    In storage order, the same on every read within a transaction (DuckDB preserves insertion order); sorting
    would hold every text in DuckDB's memory. Nothing else may run on ``connection`` until the stream ends.
    """
    with streamed(
        connection,
        "SELECT article_id, published_at, title, body FROM articles WHERE superseded_at IS NULL",
        batch_rows=batch_rows,
    ) as batches:
        yield from batches


def signatures(connection: duckdb.DuckDBPyConnection) -> pa.Table:
    """Every stored, non-empty MinHash signature (``article_id``, ``signature``), in id order."""
    return connection.execute(
        "SELECT article_id, signature FROM article_minhash WHERE signature IS NOT NULL ORDER BY article_id"
    ).fetch_arrow_table()


def replace_rows(connection: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    """Replace a derived table's rows, sorted by every column so that equal inputs give identical tables."""
    connection.execute(f"DELETE FROM {quote(table)}")
    append_rows(connection, table, data.sort_by([(name, "ascending") for name in data.column_names]))


def checkpoint(connection: duckdb.DuckDBPyConnection) -> None:
    """Write committed changes from the write-ahead log into the database file."""
    connection.execute("CHECKPOINT")


def search_index_exists(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether the BM25 index over ``articles`` has been built."""
    return bool(
        connection.execute(
            "SELECT count(*) FROM duckdb_schemas() WHERE schema_name = ?", [FTS_SCHEMA]
        ).fetchone()[0]
    )


def rebuild_search_index(connection: duckdb.DuckDBPyConnection) -> None:
    """Rebuild the BM25 index over ``articles`` (title and body) and the search macros that query it.

    DuckDB's fts index is a snapshot: it does not follow later inserts, so every refresh that saw new or retired
    articles rebuilds it. It covers every version; the macros keep only current articles. The macros are created
    here, not with the views, because DuckDB binds a macro's functions when it is created, and ``match_bm25``
    exists only once the index does.
    """
    load_fts(connection)
    connection.execute(
        "PRAGMA create_fts_index('articles', 'article_id', 'title', 'body', "
        "stemmer = 'porter', stopwords = 'english', lower = 1, strip_accents = 1, overwrite = 1)"
    )
    for path in sorted(FTS_SQL_FOLDER.glob("*.sql")):
        connection.execute(path.read_text(encoding="utf-8"))
