"""The same run on every task runner gives the same warehouse: in-process, a process pool, a Dask LocalCluster."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from flows.pipeline import run_pipeline

pytestmark = pytest.mark.usefixtures("prefect_harness")


def _contents(warehouse: Path) -> dict[str, list]:
    queries = {
        "articles": "SELECT article_id, source_path, title, published_at, outlet, wire_agencies, body FROM articles",
        "removals": "SELECT article_id, rule, line_no, removed_text FROM boilerplate_removals",
        "quarantine": "SELECT source_path, stage, reason FROM quarantine",
        "manifest": "SELECT path, sha256, outcome, articles FROM ingested_files",
    }
    with duckdb.connect(str(warehouse / "news.duckdb"), read_only=True) as connection:
        return {name: sorted(map(repr, connection.execute(sql).fetchall())) for name, sql in queries.items()}


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, prefect_harness) -> dict[str, list]:
    warehouse = tmp_path_factory.mktemp("local") / "warehouse"
    summary = run_pipeline(runner="thread", inputs=["seeds"], warehouse=str(warehouse), batch_size=2)
    assert summary.articles_loaded == 5
    return _contents(warehouse)


@pytest.mark.parametrize("runner", ["process", "dask"])
def test_runner_gives_the_same_warehouse(runner: str, local_run: dict, warehouse: Path) -> None:
    summary = run_pipeline(runner=runner, workers=2, inputs=["seeds"], warehouse=str(warehouse), batch_size=2)
    assert (summary.status, summary.articles_loaded) == ("loaded", 5)
    assert _contents(warehouse) == local_run
