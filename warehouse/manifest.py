"""The manifest (``ingested_files``) against a discovered listing: what a run must read again.

The comparison runs in DuckDB, on the listing as Arrow: a million paths as Python tuples, plus the manifest as a
dict, were 750 MB of the flow process; as Arrow and SQL they are about a tenth of that, and the join spills to
disk beyond ``PLAN_MEMORY_LIMIT`` instead of growing.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from transforms.discovery import READ_PLAN, Discovery, ReadPlan, split_rejections
from warehouse.db import memory_limit

# Measured at 1,000,000 files: DuckDB's peak for the plan follows the limit (+267 MB at 256 MB, 0.6 s; +140 MB at
# 128 MB, 0.8 s; +79 MB at 64 MB, 1.2 s).
PLAN_MEMORY_LIMIT = "128MB"
# Each listed file with the manifest's latest entry for it (if any), kept when that entry does not show it unchanged:
# same size and mtime.
_PLAN_QUERY = """
    SELECT l.path, l.size, m.sha256 AS known_sha256
    FROM listing l LEFT JOIN ingested_files m USING (path)
    QUALIFY row_number() OVER (PARTITION BY l.path ORDER BY m.recorded_at DESC NULLS LAST, m.run_id DESC) = 1
        AND NOT coalesce(m.mtime IS NOT NULL AND m.size = l.size AND m.mtime = l.mtime, false)
    ORDER BY l.path
"""


def plan_reads(
    connection: duckdb.DuckDBPyConnection, discovery: Discovery, *, full: bool = False
) -> ReadPlan:
    """Split discovered files into those to read and those unchanged since the manifest's last entry.

    A file is unchanged when its size and modification time equal the last recorded ones; it is then not read at
    all, which keeps a no-op re-run of a large folder cheap. A file that only looks changed is still skipped later
    if its bytes hash to the recorded SHA-256 (``known_sha256``). With ``full`` every file is read and nothing is
    known. Entries refused at discovery are unchanged when their ``lstat`` key is the one recorded last time.
    """
    listing = discovery.listing
    if full:
        to_read = pa.table(
            [listing.column("path"), listing.column("size"), pa.nulls(listing.num_rows, pa.string())],
            schema=READ_PLAN,
        )
        return ReadPlan(to_read, 0, list(discovery.rejections), [])
    with memory_limit(connection, PLAN_MEMORY_LIMIT):
        connection.register("listing", listing.select(["path", "size", "mtime"]))
        try:
            to_read = connection.execute(_PLAN_QUERY).to_arrow_table().cast(READ_PLAN)
        finally:
            connection.unregister("listing")
    recorded = _recorded_keys(connection, [rejection.source_path for rejection in discovery.rejections])
    new, unchanged = split_rejections(discovery.rejections, recorded)
    return ReadPlan(to_read, listing.num_rows - to_read.num_rows, new, unchanged)


def _recorded_keys(connection: duckdb.DuckDBPyConnection, paths: list[str]) -> dict[str, tuple]:
    """The latest (size, mtime) the manifest recorded for each of ``paths`` it knows."""
    if not paths:
        return {}
    rows = connection.execute(
        """
        SELECT path, size, mtime FROM ingested_files WHERE list_contains(?, path)
        QUALIFY row_number() OVER (PARTITION BY path ORDER BY recorded_at DESC, run_id DESC) = 1
        """,
        [paths],
    ).fetchall()
    return {path: (size, mtime) for path, size, mtime in rows}
