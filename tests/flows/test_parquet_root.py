"""Parquet output at an fsspec URL: batch tasks stage it there, the loader reads it into DuckDB and publishes it there.

Nothing reaches the network: ``memory://`` and ``file://`` URLs stand in for object storage. The memory filesystem
is one store per process, so only the thread runner shares it between the flow and its tasks; the process runner is
checked with a ``file://`` URL.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import fsspec
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.pipeline import run_pipeline
from tests.conftest import query_rows, warehouse_contents, write_file

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _run(seeds: Path, warehouse: Path, **options):
    return run_pipeline(runner="thread", inputs=[str(seeds)], warehouse=str(warehouse), **options)


def _published_ids(parquet_root: str, run_id: str) -> list[str]:
    filesystem, root = fsspec.core.url_to_fs(parquet_root)
    parts = filesystem.glob(f"{root}/articles/run_id={run_id}/*.parquet")
    tables = [pq.read_table(part, filesystem=filesystem) for part in parts]
    return sorted(i for table in tables for i in table["article_id"].to_pylist())


def test_thread_run_stages_loads_and_publishes_at_a_memory_url(
    seeds: Path, warehouse: Path, memory_root: str
) -> None:
    summary = _run(seeds, warehouse, batch_size=2, parquet_root=memory_root)
    assert (summary.status, summary.articles_loaded) == ("loaded", 5)
    loaded = sorted(row[0] for row in query_rows(warehouse, "SELECT article_id FROM articles"))
    assert _published_ids(memory_root, summary.run_id) == loaded
    memory, root = fsspec.core.url_to_fs(memory_root)
    assert not memory.glob(f"{root}/_staging/*")
    assert not (warehouse / "parquet").exists(), "the warehouse directory keeps only DuckDB, the lock and dq/"


def test_process_run_with_a_file_url_gives_the_local_warehouse(seeds: Path, tmp_path: Path) -> None:
    local = tmp_path / "local"
    assert _run(seeds, local, batch_size=2).articles_loaded == 5
    shared = tmp_path / "shared" / "parquet"
    warehouse = tmp_path / "warehouse"
    result = CliRunner().invoke(
        app,
        [
            *("run", "-i", str(seeds), "-w", str(warehouse), "--parquet-root", f"file://{shared}"),
            *("--runner", "process", "--workers", "2", "--batch-size", "2", "--json"),
        ],
    )
    assert result.exit_code == 0, result.output
    [summary] = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert warehouse_contents(warehouse) == warehouse_contents(local)
    assert _published_ids(f"file://{shared}", summary["run_id"]) == sorted(
        row[0] for row in query_rows(warehouse, "SELECT article_id FROM articles")
    )
    assert not (warehouse / "parquet").exists()


def test_a_rerun_on_the_same_url_root_skips_everything(
    seeds: Path, warehouse: Path, memory_root: str
) -> None:
    first = _run(seeds, warehouse, parquet_root=memory_root)
    again = _run(seeds, warehouse, parquet_root=memory_root)
    assert (again.status, again.files_skipped, again.documents_seen) == ("loaded", 5, 0)
    assert again.articles_loaded == 0
    assert query_rows(warehouse, "SELECT count(*) FROM articles") == [(5,)]
    memory, root = fsspec.core.url_to_fs(memory_root)
    assert memory.ls(f"{root}/articles", detail=False) == [f"{root}/articles/run_id={first.run_id}"]


def _published_rows(parquet_root: str, table: str, run_id: str) -> tuple[list[str], int]:
    """The rows a run published for ``table`` (as reprs, sorted) and how many of its parts are empty."""
    filesystem, root = fsspec.core.url_to_fs(parquet_root)
    parts = [
        pq.read_table(part, filesystem=filesystem)
        for part in filesystem.glob(f"{root}/{table}/run_id={run_id}/*.parquet")
    ]
    rows = sorted(repr(tuple(row.values())) for part in parts for row in part.to_pylist())
    return rows, sum(part.num_rows == 0 for part in parts)


@pytest.mark.parametrize("root_kind", ["local", "memory"])
def test_a_run_publishes_exactly_the_rows_it_loaded_when_copies_are_skipped(
    seeds: Path, tmp_path: Path, memory_root: str, root_kind: str
) -> None:
    # Copies of seed articles under other names, in other batches (two files a batch) and, in the second run,
    # of an article the first run loaded: the copies are skipped, and each run's Parquet (rewritten part by
    # part) holds the rows DuckDB holds for that run, articles and removals alike, and no empty part.
    inputs, warehouse = tmp_path / "in", tmp_path / "warehouse"
    shutil.copytree(seeds, inputs)
    originals = sorted(inputs.glob("*.txt"))
    for copy, original in enumerate(originals[:2]):
        shutil.copy(original, inputs / f"zz-copy-{copy}.txt")
    root = str(tmp_path / "parquet") if root_kind == "local" else memory_root
    first = _run(inputs, warehouse, batch_size=2, parquet_root=root)
    shutil.copy(originals[3], inputs / "zz-copy-later.txt")
    write_file(
        inputs,
        "zz-new.txt",
        f"Tram Network Grows\n{' '.join(['The council approved new tram lines.'] * 12)}\n",
    )
    second = _run(inputs, warehouse, batch_size=2, parquet_root=root)
    assert (first.articles_loaded, first.skipped, second.articles_loaded, second.skipped) == (5, 2, 1, 1)
    columns = {"articles": "*", "boilerplate_removals": "*"}
    for summary in (first, second):
        for table, selected in columns.items():
            loaded = sorted(
                repr(row)
                for row in query_rows(
                    warehouse, f"SELECT {selected} FROM {table} WHERE run_id = ?", [summary.run_id]
                )
            )
            published, empty_parts = _published_rows(root, table, summary.run_id)
            assert published == loaded and empty_parts == 0, (table, summary.run_id)
