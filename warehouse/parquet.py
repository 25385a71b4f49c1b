"""Parquet files of the declared schemas: zstd, written to staging, published by a move after the load commits.

Every file operation goes through the fsspec filesystem of the layout's Parquet root: the local disk by default,
or shared storage (``s3://``, ``gs://``, ...) that workers on several machines write to.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem

from transforms.schemas import TABLES
from warehouse.layout import WarehouseLayout

COMPRESSION = "zstd"


def parquet_filesystem(layout: WarehouseLayout) -> AbstractFileSystem:
    """The fsspec filesystem holding the layout's Parquet (fsspec caches it: every call gives the same object)."""
    return _locate(layout.parquet)[0]


def is_local(filesystem: AbstractFileSystem) -> bool:
    """Whether ``filesystem`` is the local disk, where DuckDB and pyarrow take plain paths."""
    return isinstance(filesystem, LocalFileSystem)


def write_staged(layout: WarehouseLayout, run_id: str, table: str, data: pa.Table, part: str) -> str | None:
    """Write one part of a run's table to staging; returns where it is (``None`` when there are no rows).

    The data is cast to the declared schema first, so a file never carries a type the warehouse does not declare.
    The file appears under its final name only once complete (write to a temporary name, then move): a rename on
    a local or mounted disk; on object stores a copy and a delete, where the temporary name still keeps a write
    that dies midway out of the parts the load reads.
    """
    if data.num_rows == 0:
        return None
    filesystem, folder = _locate(layout.staged_table(run_id, table))
    filesystem.makedirs(folder, exist_ok=True)
    target = f"{folder}/part-{part}.parquet"
    partial = f"{folder}/.part-{part}.parquet.tmp"
    pq.write_table(data.cast(TABLES[table]), partial, compression=COMPRESSION, filesystem=filesystem)
    filesystem.mv(partial, target)
    return _readable(filesystem, target)


def staged_files(layout: WarehouseLayout, run_id: str, table: str) -> list[str]:
    """The complete staged Parquet parts of one run's table: local paths, or full URLs off the local disk."""
    filesystem, folder = _locate(layout.staged_table(run_id, table))
    return [_readable(filesystem, path) for path in _parts(filesystem, folder)]


def rewrite_staged(
    layout: WarehouseLayout, run_id: str, table: str, batches: Iterable[pa.RecordBatch]
) -> None:
    """Replace the staged parts of one run's table with ``batches``, as one part (none when they hold no rows).

    ``batches`` may be read from the very parts being replaced (the load selects what it loaded from them), so
    the new part is written whole under a temporary name before the old parts go.
    """
    filesystem, folder = _locate(layout.staged_table(run_id, table))
    partial = f"{folder}/.part-loaded.parquet.tmp"
    # Streamed batch by batch: a run's articles held at once would cost gigabytes at a million articles.
    writer = None
    try:
        for batch in batches:
            if not batch.num_rows:
                continue
            if writer is None:
                filesystem.makedirs(folder, exist_ok=True)
                writer = pq.ParquetWriter(
                    partial, TABLES[table], compression=COMPRESSION, filesystem=filesystem
                )
            writer.write_table(pa.Table.from_batches([batch]).cast(TABLES[table]))
    finally:
        if writer is not None:
            writer.close()
    for old in _parts(filesystem, folder):
        filesystem.rm(old)
    if writer is not None:
        filesystem.mv(partial, f"{folder}/part-loaded.parquet")


# Rows per record batch when a staged part is filtered; a rewritten part holds a row group per batch. Each thread's
# freed batches stay in its glibc arena: on 1,000,000 staged articles the load peaked at 700 MB with 2,000-row
# batches, 626 MB with 1,000 (634 MB before the threads) and 672 MB writing each part as one row group at its end;
# 500 rows made the filtering half as slow again.
FILTER_BATCH_ROWS = 1_000


def drop_staged_rows(
    layout: WarehouseLayout,
    run_id: str,
    table: str,
    dropped: Iterable[tuple[str, int | None]],
    *,
    threads: int = 2,
) -> int:
    """Take the rows whose ``(source_path, source_record)`` is in ``dropped`` out of a run's staged ``table``.

    Only parts holding such rows are rewritten, each to a temporary name and then moved over itself, in the rows'
    own order; the others are left as they are. Returns how many rows were taken out. Parts are filtered side by
    side on ``threads`` threads (``start_dropping_staged_rows``).
    """
    return start_dropping_staged_rows(layout, run_id, [table], dropped, threads=threads).apply()


@dataclass(frozen=True, slots=True)
class _Rewrite:
    part: str
    partial: str  # the part without the dropped rows, complete, under a temporary name
    kept: int
    dropped: int


@dataclass(frozen=True, slots=True)
class StagedRowsDrop:
    """Staged parts being rewritten without some rows, on threads, while the caller goes on.

    The parts themselves stay as they are (readers see every row) until ``apply`` moves the rewritten ones over
    them; ``discard`` removes the rewrites instead. One of the two must be called: it waits for the threads.
    """

    filesystem: AbstractFileSystem
    pool: ThreadPoolExecutor | None
    jobs: list[Future]

    def apply(self) -> int:
        """Wait for every rewrite and put it in its part's place; returns how many rows were taken out."""
        try:
            rewrites = [job.result() for job in self.jobs]
        except BaseException:
            self.discard()
            raise
        for rewrite in rewrites:
            if rewrite is None:
                continue
            if rewrite.kept:
                self.filesystem.mv(rewrite.partial, rewrite.part)
            else:  # a part left with no row is deleted: a batch with nothing to load stages no part either
                self.filesystem.rm(rewrite.partial)
                self.filesystem.rm(rewrite.part)
        self._shut_down()
        return sum(rewrite.dropped for rewrite in rewrites if rewrite is not None)

    def discard(self) -> None:
        """Wait for every rewrite and delete it, leaving the parts as they were."""
        for job in self.jobs:
            # A rewrite that failed may leave its temporary file: the staging of a load that fails is discarded whole.
            with contextlib.suppress(Exception):
                rewrite = job.result()
                if rewrite is not None and self.filesystem.exists(rewrite.partial):
                    self.filesystem.rm(rewrite.partial)
        self._shut_down()

    def _shut_down(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)


def start_dropping_staged_rows(
    layout: WarehouseLayout,
    run_id: str,
    tables: Iterable[str],
    dropped: Iterable[tuple[str, int | None]],
    *,
    threads: int = 2,
) -> StagedRowsDrop:
    """Start rewriting the parts of a run's staged ``tables`` that hold rows whose ``(source_path, source_record)``
    is in ``dropped``, without them, on ``threads`` threads; returns at once (see ``StagedRowsDrop``).

    pyarrow decodes, filters and encodes Parquet without holding the GIL, so the caller's own work (the load's
    inserts, in DuckDB, which does not hold it either) goes on meanwhile.
    """
    dropped = set(dropped)
    filesystem = _locate(layout.staged_run(run_id))[0]
    if not dropped:
        return StagedRowsDrop(filesystem, None, [])
    dropped_paths = pa.array(sorted({path for path, _ in dropped}), type=pa.string())
    pool = ThreadPoolExecutor(max_workers=max(threads, 1), thread_name_prefix="drop-staged-rows")
    jobs = []
    for table in tables:
        folder = _locate(layout.staged_table(run_id, table))[1]
        for part in _parts(filesystem, folder):
            jobs.append(pool.submit(_rewrite_part, filesystem, part, TABLES[table], dropped, dropped_paths))
    return StagedRowsDrop(filesystem, pool, jobs)


def _rewrite_part(
    filesystem: AbstractFileSystem,
    part: str,
    schema: pa.Schema,
    dropped: set[tuple[str, int | None]],
    dropped_paths: pa.Array,
) -> _Rewrite | None:
    """Write one staged part without the ``dropped`` rows under a temporary name (None when it has none)."""
    # On the local disk pyarrow's own file I/O, not fsspec's: fsspec's Python file objects hold the GIL for every
    # read and write, and two threads then took as long as one (1.4-1.5 s for 100,000 articles, against 1.1-1.2).
    native = None if is_local(filesystem) else filesystem
    keys = pq.read_table(part, columns=["source_path", "source_record"], filesystem=native)
    keep = _rows_kept(keys, dropped, dropped_paths)
    if keep is None:
        return None  # two key columns read, no rewrite
    kept = pc.sum(keep).as_py() or 0
    partial = f"{posixpath.dirname(part)}/.{posixpath.basename(part)}.tmp"
    offset = 0
    with (
        contextlib.nullcontext(part) if native is None else filesystem.open(part, "rb") as source_file,
        pq.ParquetFile(source_file) as source,
        pq.ParquetWriter(partial, schema, compression=COMPRESSION, filesystem=native) as writer,
    ):
        for batch in source.iter_batches(batch_size=FILTER_BATCH_ROWS, use_threads=False):
            filtered = batch.filter(keep.slice(offset, batch.num_rows))
            offset += batch.num_rows
            if filtered.num_rows:
                writer.write_batch(filtered)
    return _Rewrite(part, partial, kept, len(keep) - kept)


def _rows_kept(keys: pa.Table, dropped: set, dropped_paths: pa.Array) -> pa.Array | None:
    """A mask of the rows of ``keys`` (a part's file and record columns) not in ``dropped`` (``None``: all)."""
    hits = pc.indices_nonzero(pc.is_in(keys.column("source_path"), value_set=dropped_paths)).to_pylist()
    paths, records = keys.column("source_path"), keys.column("source_record")
    # Only rows of a dropped file are looked at (a few per part): their exact keys are checked in Python.
    dropped_rows = [index for index in hits if (paths[index].as_py(), records[index].as_py()) in dropped]
    if not dropped_rows:
        return None
    keep = [True] * keys.num_rows
    for index in dropped_rows:
        keep[index] = False
    return pa.array(keep, type=pa.bool_())


def publish_run(layout: WarehouseLayout, run_id: str) -> None:
    """Move a committed run's staged parts to ``<parquet root>/<table>/run_id=<run_id>/`` and drop its staging.

    Part by part, so that publishing again after a crash midway (``recover_staging`` does) finishes the job: a
    part already moved has left staging, one still there is moved over any copy at the target. On the local disk a
    move is a rename; on object stores it is a copy then a delete, so a crash between the two leaves the part in
    both places, and the next publish copies it again.
    """
    filesystem, staged = _locate(layout.staged_run(run_id))
    if not filesystem.isdir(staged):
        return
    for part in _parts(filesystem, f"{staged}/*"):
        table = posixpath.basename(posixpath.dirname(part))
        target = _locate(layout.published_table(run_id, table))[1]
        filesystem.makedirs(target, exist_ok=True)
        filesystem.mv(part, f"{target}/{posixpath.basename(part)}")
    filesystem.rm(staged, recursive=True)


def discard_run(layout: WarehouseLayout, run_id: str) -> None:
    """Delete a run's staging folder (a blocked, failed or killed run)."""
    filesystem, staged = _locate(layout.staged_run(run_id))
    if filesystem.exists(staged):
        filesystem.rm(staged, recursive=True)


def staged_runs(layout: WarehouseLayout) -> list[str]:
    """Run ids that still have a staging folder."""
    filesystem, staging = _locate(layout.staging)
    if not filesystem.isdir(staging):
        return []
    entries = filesystem.ls(staging, detail=True)
    return sorted(
        posixpath.basename(entry["name"].rstrip("/")) for entry in entries if entry["type"] == "directory"
    )


def _locate(location: str) -> tuple[AbstractFileSystem, str]:
    # A local path or an fsspec URL -> (filesystem, path on it); fsspec hands back its cached instance each time.
    return fsspec.core.url_to_fs(location)


def _parts(filesystem: AbstractFileSystem, folder: str) -> list[str]:
    # The temporary ``.part-*.tmp`` of a write still under way never matches.
    return sorted(filesystem.glob(f"{folder}/part-*.parquet"))


def _readable(filesystem: AbstractFileSystem, path: str) -> str:
    # DuckDB finds a registered fsspec filesystem by the URL's protocol; the local disk wants a plain path.
    return path if is_local(filesystem) else filesystem.unstrip_protocol(path)
