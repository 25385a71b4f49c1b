"""The real flow, on a real Prefect API, into a temporary DuckDB warehouse."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from flows.pipeline import newsetl_pipeline
from tests.conftest import query_rows, write_file
from transforms.schemas import ARTICLES

pytestmark = pytest.mark.usefixtures("prefect_harness")

GOOD_BODY = (
    "The regional council approved a new flood defence plan on Tuesday after months of debate. "
    "Engineers said the barrier would protect thousands of homes along the river. "
    "Residents who attended the meeting welcomed the decision but asked for faster work. "
    "The project is expected to take four years and will be paid for by national and local funds."
)


def _snapshot(warehouse: Path) -> dict[str, object]:
    """Every data table's rows, plus a hash of every published Parquet file."""
    tables = {
        table: sorted(map(repr, query_rows(warehouse, f"SELECT * FROM {table}")))
        for table in ("articles", "boilerplate_removals", "quarantine")
    }
    files = {
        str(path.relative_to(warehouse)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((warehouse / "parquet").rglob("*.parquet"))
    }
    return {"tables": tables, "files": files}


def test_seed_run_loads_every_article(seeds: Path, warehouse: Path) -> None:
    summary = newsetl_pipeline(inputs=[str(seeds)], warehouse=str(warehouse))
    assert summary.status == "loaded"
    assert (summary.files_seen, summary.articles_loaded, summary.quarantined, summary.skipped) == (5, 5, 0, 0)
    rows = query_rows(
        warehouse,
        "SELECT source_path, title, published_at, outlet, wire_agencies FROM articles ORDER BY source_path",
    )
    assert [Path(row[0]).name[:3] for row in rows] == ["000", "001", "002", "003", "004"]
    assert rows[1][3] == "France24" and rows[1][4] == ["AFP", "AP"]
    assert rows[4][2] is None
    [(status, seen, loaded, quarantined, skipped)] = query_rows(
        warehouse, "SELECT status, documents_seen, articles_loaded, quarantined, skipped FROM pipeline_runs"
    )
    assert status == "loaded" and seen == loaded + quarantined + skipped
    removals = dict(query_rows(warehouse, "SELECT rule, count(*) FROM boilerplate_removals GROUP BY rule"))
    assert removals["ad_marker"] == 2 and removals["credit_line"] == 2
    assert summary.removals_by_rule == removals
    dq = query_rows(warehouse, "SELECT suite, expectation, success FROM dq_results")
    assert dq and all(success for _, _, success in dq)


def test_parquet_equals_duckdb(seeds: Path, warehouse: Path) -> None:
    newsetl_pipeline(inputs=[str(seeds)], warehouse=str(warehouse))
    [parquet] = list((warehouse / "parquet" / "articles").rglob("*.parquet"))
    table = pq.read_table(parquet)
    assert [(f.name, f.type) for f in table.schema] == [(f.name, f.type) for f in ARTICLES]
    assert pq.ParquetFile(parquet).metadata.row_group(0).column(0).compression == "ZSTD"
    ids = sorted(table.column("article_id").to_pylist())
    assert ids == sorted(row[0] for row in query_rows(warehouse, "SELECT article_id FROM articles"))


def test_rerun_is_idempotent(seeds: Path, warehouse: Path) -> None:
    newsetl_pipeline(inputs=[str(seeds)], warehouse=str(warehouse))
    before = _snapshot(warehouse)["tables"]
    summary = newsetl_pipeline(inputs=[str(seeds)], warehouse=str(warehouse))
    assert (summary.files_seen, summary.files_skipped, summary.documents_seen, summary.articles_loaded) == (
        5,
        5,
        0,
        0,
    )
    assert _snapshot(warehouse)["tables"] == before
    full = newsetl_pipeline(inputs=[str(seeds)], warehouse=str(warehouse), full=True)
    assert (full.documents_seen, full.articles_loaded, full.skipped, full.files_skipped) == (5, 0, 5, 5)
    assert _snapshot(warehouse)["tables"] == before


def test_bad_rows_are_quarantined_and_the_rest_loads(tmp_path: Path, warehouse: Path) -> None:
    inputs = tmp_path / "in"
    write_file(inputs, "good.txt", f"Flood Plan Approved\n{GOOD_BODY}\n")
    write_file(inputs, "good2.txt", f"{GOOD_BODY} A second edition added this sentence.\n")
    write_file(inputs, "good3.txt", f"{GOOD_BODY} A third edition added another sentence.\n")
    write_file(inputs, "future.txt", f"date 2031-05-01 Paris : {GOOD_BODY}\n")
    write_file(inputs, "empty.txt", "")
    write_file(inputs, "ads.txt", "[ad_1]\nAdvertisement\nSign up for The Daily Example\n")
    summary = newsetl_pipeline(inputs=[str(inputs)], warehouse=str(warehouse))
    assert summary.status == "loaded"
    assert (summary.articles_loaded, summary.quarantined) == (3, 3)
    reasons = dict(
        (Path(path).name, reason)
        for path, reason in query_rows(warehouse, "SELECT source_path, reason FROM quarantine")
    )
    assert reasons == {
        "future.txt": "expect_column_values_to_be_between",
        "empty.txt": "empty_file",
        "ads.txt": "expect_column_value_lengths_to_be_between",
    }


def test_a_batch_failing_the_gate_leaves_the_warehouse_unchanged(
    seeds: Path, tmp_path: Path, warehouse: Path
) -> None:
    newsetl_pipeline(inputs=[str(seeds)], warehouse=str(warehouse))
    before = _snapshot(warehouse)
    broken_feed = tmp_path / "broken"
    write_file(broken_feed, "good.txt", f"{GOOD_BODY}\n")
    for n in range(3):
        write_file(broken_feed, f"stub{n}.txt", f"Short stub number {n} with no article in it.\n")
    summary = newsetl_pipeline(inputs=[str(broken_feed)], warehouse=str(warehouse))
    assert summary.status == "blocked"
    assert "max_row_failure_ratio" in summary.reason
    assert _snapshot(warehouse) == before
    assert not list((warehouse / "parquet" / "_staging").glob("*"))
    [(status, reason)] = query_rows(
        warehouse, "SELECT status, reason FROM pipeline_runs WHERE status <> 'loaded'"
    )
    assert status == "blocked" and "data-quality gate" in reason
    next_run = newsetl_pipeline(inputs=[str(broken_feed / "good.txt")], warehouse=str(warehouse))
    assert (next_run.status, next_run.articles_loaded) == ("loaded", 1)


def test_threshold_override_changes_the_gate(seeds: Path, warehouse: Path) -> None:
    summary = newsetl_pipeline(
        inputs=[str(seeds)], warehouse=str(warehouse), dq_overrides={"min_word_count": "800"}
    )
    assert summary.status == "blocked"
    assert query_rows(warehouse, "SELECT count(*) FROM articles")[0][0] == 0
