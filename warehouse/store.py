"""DuckDB: schema, views, and the one transaction that loads a run.

A run's rows reach DuckDB only from staged Parquet (``read_parquet``), inside a single transaction together with
its ``pipeline_runs`` and validation rows. Parquet is published after the commit; staging left by a killed run
is rolled forward (its run committed) or discarded (it did not) by the next run. Staged Parquet may sit on shared
storage (an fsspec URL): the load then reads it through that filesystem, registered on the connection.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from transforms.schemas import TABLES
from warehouse.analytics import load_fts
from warehouse.db import append_rows, memory_limit, open_for_reading, open_for_writing, streamed, transaction
from warehouse.ddl import comment_sql, create_table_sql, duckdb_type, literal, quote
from warehouse.layout import WarehouseLayout
from warehouse.parquet import (
    StagedRowsDrop,
    discard_run,
    is_local,
    parquet_filesystem,
    publish_run,
    rewrite_staged,
    staged_files,
    staged_runs,
    start_dropping_staged_rows,
)

SQL_FOLDER = Path(__file__).parent / "sql"
# Without a limit DuckDB keeps what a load touches in memory (2.4 GB at 100,000 articles). The load holds only keys
# in its temporary table and reads rows from the staged Parquet, so 256 MB suffices (it spills to
# ``news.duckdb.tmp/`` beyond): 5.2 s and a flow process peak of 966 MB at 100,000 articles.
LOAD_MEMORY_LIMIT = "256MB"
# Rows per record batch when the run's staged manifest is rewritten with each file's final outcome: streamed, so that
# the load's memory does not grow with the run (a batch is held three times over: DuckDB's result, the cast, the
# Parquet encoder).
REWRITE_BATCH_ROWS = 10_000


def _rows_of_new_articles(staged_view: str) -> str:
    """SQL for the rows of ``staged_view`` that belong to the articles ``new_articles`` (keys only) names."""
    return f"""
        SELECT s.* FROM {staged_view} s
        SEMI JOIN new_articles k
          ON s.article_id = k.article_id AND s.source_path = k.source_path
         AND s.source_record IS NOT DISTINCT FROM k.source_record
    """


NEW_ARTICLE_ROWS = _rows_of_new_articles("staged_articles")


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What the load transaction wrote, and the ``pipeline_runs`` row it wrote with it."""

    articles_loaded: int
    duplicates_skipped: int
    removals_loaded: int
    quarantined: int
    run_row: dict


def connect(
    layout: WarehouseLayout, *, read_only: bool = False, create_schema: bool = True
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse's DuckDB file (created, and its schema brought up to date, when writable).

    ``create_schema=False`` skips the schema step (tens of milliseconds of DDL and comments) for a connection
    opened later in a run that has already done it.
    """
    if read_only:
        if not layout.database.exists():
            raise FileNotFoundError(f"no warehouse at {layout.database}: run `newsetl run` first")
        connection = open_for_reading(layout.database)
        # Analysts' SQL may call search_articles(), which needs the fts extension; loading it costs milliseconds.
        with contextlib.suppress(duckdb.Error, ModuleNotFoundError):
            load_fts(connection)
        return connection
    layout.root.mkdir(parents=True, exist_ok=True)
    connection = open_for_writing(layout.database)
    if create_schema:
        ensure_schema(connection)
    return connection


def ensure_schema(connection: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables and columns, document them, and (re)create the views in ``warehouse/sql``."""
    connection.execute("BEGIN")
    for name, schema in TABLES.items():
        connection.execute(create_table_sql(name, schema))
        present = {row[0] for row in connection.execute(f"DESCRIBE {quote(name)}").fetchall()}
        for field in schema:
            if field.name not in present:
                connection.execute(
                    f"ALTER TABLE {quote(name)} ADD COLUMN {quote(field.name)} {duckdb_type(field.type)}"
                )
        for statement in comment_sql(name, schema):
            connection.execute(statement)
    for script in sql_scripts():
        connection.execute(script)
    connection.execute("COMMIT")


def sql_scripts() -> list[str]:
    """The view and macro definitions shipped in ``warehouse/sql/*.sql``, in file-name order."""
    return [path.read_text(encoding="utf-8") for path in sorted(SQL_FOLDER.glob("*.sql"))]


def recover_staging(
    layout: WarehouseLayout, connection: duckdb.DuckDBPyConnection, current_run: str
) -> list[str]:
    """Finish or discard staging left by runs that died: publish committed ones, delete the rest."""
    handled = []
    for run_id in staged_runs(layout):
        if run_id == current_run:
            continue
        committed = connection.execute(
            "SELECT count(*) FROM pipeline_runs WHERE run_id = ? AND status = 'loaded'", [run_id]
        ).fetchone()[0]
        (publish_run if committed else discard_run)(layout, run_id)
        handled.append(run_id)
    return handled


def recent_row_counts(connection: duckdb.DuckDBPyConnection, limit: int) -> list[int]:
    """Rows loaded by the most recent loaded runs, newest first."""
    rows = connection.execute(
        "SELECT articles_loaded FROM pipeline_runs WHERE status = 'loaded' AND articles_loaded > 0 "
        "ORDER BY started_at DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [row[0] for row in rows]


def load_run(
    layout: WarehouseLayout,
    connection: duckdb.DuckDBPyConnection,
    run_id: str,
    run_row: dict,
    dq_rows: dict[str, list[dict]],
    checkpoint: Callable[[str], None] = lambda stage: None,
) -> LoadResult:
    """Load a run's staged Parquet in one transaction, then publish the Parquet.

    Articles already in the warehouse, or repeated within the run, are skipped (counted, not loaded), and so are
    their removal rows. A file read again because it changed supersedes the articles its earlier version gave.
    The manifest, the validation rows and ``run_row`` (completed with the counts) are written in the same
    transaction, so ``pipeline_runs`` never claims rows that are not there. ``checkpoint`` is called just before
    the commit and just after it (crash tests hook in there). DuckDB works within ``LOAD_MEMORY_LIMIT`` meanwhile,
    spilling to disk beyond it, so that its share of the load's memory does not grow with the run.
    Publishing moves files after the commit (on object stores a copy and a delete, not a rename): a crash meanwhile
    leaves the staging for ``recover_staging`` to publish again.
    """
    _read_parquet_from(connection, layout)
    # DuckDB's default threads (one per core). One thread was faster at 100,000 articles (the load 5.8 s against
    # 6.3, against 7.9 with the other core busy) but far slower at 1,000,000 (53 s against 39): docs/performance.md.
    with memory_limit(connection, LOAD_MEMORY_LIMIT):
        return _load_run(layout, connection, run_id, run_row, dq_rows, checkpoint)


def _load_run(
    layout: WarehouseLayout,
    connection: duckdb.DuckDBPyConnection,
    run_id: str,
    run_row: dict,
    dq_rows: dict[str, list[dict]],
    checkpoint: Callable[[str], None],
) -> LoadResult:
    with transaction(connection):
        staged_count = _stage_view(
            connection, "staged_articles", staged_files(layout, run_id, "articles"), "articles"
        )
        # Only the keys of the rows to load are held (the first copy of each new id): the rows themselves, bodies
        # and all, stay in the staged Parquet and are read from there, so the load's memory does not grow with it.
        connection.execute(
            """
            CREATE OR REPLACE TEMP TABLE new_articles AS
            SELECT article_id, source_path, source_record FROM staged_articles
            WHERE article_id NOT IN (SELECT article_id FROM articles)
            QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY source_path, source_record) = 1
            """
        )
        loaded = connection.execute("SELECT count(*) FROM new_articles").fetchone()[0]
        duplicates = staged_count - loaded
        # The staged rows of repeats leave the run's Parquet on another thread while DuckDB inserts (neither holds
        # the GIL): the parts are replaced only once every statement that reads them has run.
        drop = _start_dropping_skipped_rows(layout, connection, run_id) if duplicates else None
        try:
            removals_loaded, quarantined, run_row = _insert_staged_rows(
                layout, connection, run_id, run_row, dq_rows, loaded, duplicates
            )
        except BaseException:
            if drop is not None:
                drop.discard()
            raise
        if drop is not None:
            drop.apply()
        checkpoint("before_commit")
    checkpoint("after_commit")
    publish_run(layout, run_id)
    return LoadResult(loaded, duplicates, removals_loaded, quarantined, run_row)


def _insert_staged_rows(
    layout: WarehouseLayout,
    connection: duckdb.DuckDBPyConnection,
    run_id: str,
    run_row: dict,
    dq_rows: dict[str, list[dict]],
    loaded: int,
    duplicates: int,
) -> tuple[int, int, dict]:
    """Insert the run's new articles, their removals, its quarantine, manifest and validation rows, and its
    ``pipeline_runs`` row; returns (removals loaded, rows quarantined, the completed run row)."""
    connection.execute(f"INSERT INTO articles {NEW_ARTICLE_ROWS}")
    _supersede_versions(connection, run_row["finished_at"])
    _stage_view(
        connection,
        "staged_removals",
        staged_files(layout, run_id, "boilerplate_removals"),
        "boilerplate_removals",
    )
    removals_loaded = connection.execute(
        f"INSERT INTO boilerplate_removals {_rows_of_new_articles('staged_removals')}"
    ).fetchone()[0]
    quarantined = _stage_view(
        connection, "staged_quarantine", staged_files(layout, run_id, "quarantine"), "quarantine"
    )
    connection.execute("INSERT INTO quarantine SELECT * FROM staged_quarantine")
    file_counts = _record_files(connection, layout, run_id)
    run_row = dict(
        run_row,
        articles_loaded=loaded,
        boilerplate_removed=removals_loaded,
        skipped=run_row["skipped"] + duplicates,
        files_loaded=file_counts.get("loaded", 0),
        files_quarantined=file_counts.get("quarantined", 0),
        files_skipped=run_row.get("files_skipped", 0) + file_counts.get("skipped", 0),
    )
    for table, rows in dq_rows.items():
        insert_rows(connection, table, rows)
    insert_rows(connection, "pipeline_runs", [run_row])
    _rewrite_staged(layout, connection, run_id, "ingested_files", "SELECT * FROM final_files")
    return removals_loaded, quarantined, run_row


def _supersede_versions(connection: duckdb.DuckDBPyConnection, now: object) -> None:
    """Make each re-read file's new articles its current version and retire the versions it no longer holds."""
    connection.execute(
        """
        UPDATE articles SET superseded_at = NULL, superseded_by = NULL
        WHERE superseded_at IS NOT NULL
          AND (article_id, source_path) IN (SELECT article_id, source_path FROM staged_articles)
        """
    )
    connection.execute(
        """
        UPDATE articles AS old SET
            superseded_at = ?,
            superseded_by = (
                SELECT min(s.article_id) FROM staged_articles s
                WHERE s.source_path = old.source_path AND s.source_record IS NOT DISTINCT FROM old.source_record
            )
        WHERE old.superseded_at IS NULL
          AND old.source_path IN (SELECT DISTINCT source_path FROM staged_articles)
          AND old.article_id NOT IN (SELECT article_id FROM staged_articles)
        """,
        [now],
    )


def _record_files(
    connection: duckdb.DuckDBPyConnection, layout: WarehouseLayout, run_id: str
) -> dict[str, int]:
    """Write the run's manifest rows with their final outcome; returns files per outcome."""
    _stage_view(connection, "staged_files", staged_files(layout, run_id, "ingested_files"), "ingested_files")
    connection.execute(
        """
        CREATE OR REPLACE TEMP TABLE final_files AS
        WITH loaded AS (SELECT source_path, count(*) AS n FROM new_articles GROUP BY source_path),
        duplicates AS (
            SELECT source_path, string_agg(DISTINCT article_id, ', ' ORDER BY article_id) AS ids
            FROM staged_articles WHERE (article_id, source_path) NOT IN (SELECT article_id, source_path FROM new_articles)
            GROUP BY source_path
        )
        SELECT f.path, f.size, f.mtime, f.sha256, f.run_id,
               CASE WHEN coalesce(l.n, 0) > 0 THEN 'loaded'
                    WHEN f.outcome IN ('pending', 'unchanged') THEN 'skipped'
                    ELSE f.outcome END AS outcome,
               coalesce(l.n, 0)::INTEGER AS articles,
               CASE WHEN coalesce(l.n, 0) > 0 THEN f.detail
                    WHEN f.outcome = 'pending' THEN 'duplicate of ' || d.ids
                    ELSE f.detail END AS detail,
               f.recorded_at
        FROM staged_files f
        LEFT JOIN loaded l ON l.source_path = f.path
        LEFT JOIN duplicates d ON d.source_path = f.path
        """
    )
    connection.execute("INSERT INTO ingested_files SELECT * FROM final_files")
    return dict(connection.execute("SELECT outcome, count(*) FROM final_files GROUP BY outcome").fetchall())


def record_unloaded_run(
    layout: WarehouseLayout,
    connection: duckdb.DuckDBPyConnection,
    run_id: str,
    run_row: dict,
    dq_rows: dict[str, list[dict]],
) -> None:
    """Record a blocked or failed run (and its validation results) without loading any of its data."""
    with transaction(connection):
        for table, rows in dq_rows.items():
            insert_rows(connection, table, rows)
        insert_rows(connection, "pipeline_runs", [run_row])
    discard_run(layout, run_id)


def insert_rows(connection: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    """Insert row dicts into a declared table through Arrow (typed by the schema, never by string formatting)."""
    if rows:
        append_rows(connection, table, pa.Table.from_pylist(rows, schema=TABLES[table]))


def _read_parquet_from(connection: duckdb.DuckDBPyConnection, layout: WarehouseLayout) -> None:
    """Let ``read_parquet`` reach the layout's Parquet: a filesystem off the local disk is registered, once."""
    filesystem = parquet_filesystem(layout)
    # DuckDB registers an fsspec filesystem under its first protocol and serves only URLs that start with it.
    protocol = filesystem.protocol if isinstance(filesystem.protocol, str) else filesystem.protocol[0]
    if not is_local(filesystem) and protocol not in connection.list_filesystems():
        connection.register_filesystem(filesystem)


def _stage_view(connection: duckdb.DuckDBPyConnection, view: str, files: list[str], table: str) -> int:
    """A temp view over staged Parquet files (empty, with the table's columns, when there are none)."""
    if files:
        paths = ", ".join(literal(path) for path in files)
        connection.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM read_parquet([{paths}])")
    else:
        connection.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {quote(table)} LIMIT 0")
    return connection.execute(f"SELECT count(*) FROM {view}").fetchone()[0]


def _start_dropping_skipped_rows(
    layout: WarehouseLayout, connection: duckdb.DuckDBPyConnection, run_id: str
) -> StagedRowsDrop:
    """Start taking the staged articles the load skips (repeats), and their removal rows, out of the run's Parquet.

    A staged row is named by its file and record (one article each), so the few skipped keys filter the parts in
    place: 1.5-2.1 s on both cores for a staged run of 100,000 articles (1,817 skipped) and 14-17 s for one of
    1,000,000, where selecting the loaded rows back out of DuckDB and writing them again as one part took 2.0-2.3 s
    and 19.3 s (docs/performance.md). It now runs on one thread beside the inserts, which read the parts as they
    were: the load of 100,000 took 7.3 s against 7.6 done in turn; on two threads 7.0 s, but the flow process's
    peak grew by 45 MB (two parts decoded at once on top of DuckDB's memory).
    """
    skipped = connection.execute(
        """
        SELECT s.source_path, s.source_record FROM staged_articles s
        ANTI JOIN new_articles k
          ON s.source_path = k.source_path AND s.source_record IS NOT DISTINCT FROM k.source_record
        """
    ).fetchall()
    return start_dropping_staged_rows(
        layout, run_id, ("articles", "boilerplate_removals"), skipped, threads=1
    )


def _rewrite_staged(
    layout: WarehouseLayout, connection: duckdb.DuckDBPyConnection, run_id: str, table: str, query: str
) -> None:
    """Replace a run's staged Parquet of ``table`` with the rows ``query`` selects."""
    # Fetching and writing take turns: a thread fetching ahead was tried for the articles (docs/performance.md) and
    # cost 110-150 MB at the flow process's peak; the articles are now filtered in place (``_start_dropping_skipped_rows``).
    with streamed(connection, query, batch_rows=REWRITE_BATCH_ROWS) as batches:
        rewrite_staged(layout, run_id, table, batches)
