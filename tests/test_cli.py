"""The newsetl CLI, driven through typer's CliRunner against a real flow run and a real DuckDB file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import REPO, write_file

pytestmark = pytest.mark.usefixtures("prefect_harness")
runner = CliRunner()


def test_run_then_query(seeds: Path, warehouse: Path) -> None:
    result = runner.invoke(app, ["run", "--input", str(seeds), "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    for text in (
        "files seen",
        "articles loaded",
        "quarantined",
        "skipped",
        "validation",
        "ad_marker",
        "news.duckdb",
    ):
        assert text in result.output
    result = runner.invoke(
        app,
        [
            "query",
            "SELECT title, published_at, outlet FROM articles ORDER BY source_path",
            "-w",
            str(warehouse),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert len(rows) == 5
    assert rows[2]["title"].startswith("Azerbaijan’s president declares victory")
    assert rows[4]["outlet"] == "DN"


def test_query_prints_a_table(seeds: Path, warehouse: Path) -> None:
    runner.invoke(app, ["run", "-i", str(seeds), "-w", str(warehouse)])
    result = runner.invoke(
        app,
        ["query", "SELECT outlet, count(*) AS n FROM articles GROUP BY 1 ORDER BY 1", "-w", str(warehouse)],
    )
    assert result.exit_code == 0
    assert "outlet" in result.output and "France24" in result.output and "5 rows" not in result.output


def test_query_is_read_only(seeds: Path, warehouse: Path) -> None:
    runner.invoke(app, ["run", "-i", str(seeds), "-w", str(warehouse)])
    result = runner.invoke(app, ["query", "DELETE FROM articles", "-w", str(warehouse)])
    assert result.exit_code == 1
    assert "read-only" in result.output.lower() or "read only" in result.output.lower()


def test_blocked_run_exits_non_zero_with_one_line_reason(tmp_path: Path, warehouse: Path) -> None:
    inputs = tmp_path / "in"
    for n in range(3):
        write_file(inputs, f"stub{n}.txt", f"Stub {n}: nothing to read here.\n")
    result = runner.invoke(app, ["run", "-i", str(inputs), "-w", str(warehouse)])
    assert result.exit_code == 2
    assert "blocked" in result.output and "data-quality gate" in result.output


def test_unknown_threshold_is_a_clear_error(seeds: Path, warehouse: Path) -> None:
    result = runner.invoke(app, ["run", "-i", str(seeds), "-w", str(warehouse), "--dq", "no_such=1"])
    assert result.exit_code == 1
    assert "unknown data-quality threshold" in result.output


def test_query_without_a_warehouse_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["query", "SELECT 1", "-w", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "newsetl run" in result.output


BENCHMARK = REPO.parent / "shared" / "extraction-benchmark"


@pytest.mark.skipif(
    not (BENCHMARK / "ground-truth.json").is_file(), reason="needs ../shared/extraction-benchmark"
)
def test_eval_html_on_the_dev_set_beats_the_floor_and_trafilatura() -> None:
    result = runner.invoke(app, ["eval", "--html", str(BENCHMARK), "--json"])
    assert result.exit_code == 0, result.output
    scores = {row["extractor"]: row for row in json.loads(result.output)}
    assert scores["newsetl"]["pages"] == 58
    assert scores["newsetl"]["f1"] >= 0.96
    if "trafilatura" in scores:
        assert scores["newsetl"]["f1"] > scores["trafilatura"]["f1"]
