"""Parquet files of the declared schemas: zstd, written to staging, published by rename."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from transforms.schemas import TABLES
from warehouse.layout import WarehouseLayout

COMPRESSION = "zstd"


def write_staged(layout: WarehouseLayout, run_id: str, table: str, data: pa.Table, part: str) -> Path | None:
    """Write one part of a run's table to staging; ``None`` when there are no rows.

    The data is cast to the declared schema first, so a file never carries a type the warehouse does not declare.
    The file appears under its final name only once complete (write to a temporary name, then rename).
    """
    if data.num_rows == 0:
        return None
    folder = layout.staged_table(run_id, table)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"part-{part}.parquet"
    partial = folder / f".part-{part}.parquet.tmp"
    pq.write_table(data.cast(TABLES[table]), partial, compression=COMPRESSION)
    os.replace(partial, target)
    return target


def staged_files(layout: WarehouseLayout, run_id: str, table: str) -> list[Path]:
    """The complete staged Parquet parts of one run's table."""
    folder = layout.staged_table(run_id, table)
    return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []


def publish_run(layout: WarehouseLayout, run_id: str) -> None:
    """Move a committed run's staged tables to ``parquet/<table>/run_id=<run_id>/`` and drop its staging folder."""
    staged = layout.staged_run(run_id)
    if not staged.is_dir():
        return
    for folder in sorted(path for path in staged.iterdir() if path.is_dir()):
        target = layout.published_table(run_id, folder.name)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(folder, target)
    shutil.rmtree(staged, ignore_errors=True)


def discard_run(layout: WarehouseLayout, run_id: str) -> None:
    """Delete a run's staging folder (a blocked, failed or killed run)."""
    shutil.rmtree(layout.staged_run(run_id), ignore_errors=True)


def staged_runs(layout: WarehouseLayout) -> list[str]:
    """Run ids that still have a staging folder."""
    if not layout.staging.is_dir():
        return []
    return sorted(path.name for path in layout.staging.iterdir() if path.is_dir())
