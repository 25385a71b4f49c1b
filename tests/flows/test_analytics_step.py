"""The analytics refresh as a step of its own: timed, skippable for backfills, caught up by the next run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from warehouse.layout import WarehouseLayout
from warehouse.store import connect

pytestmark = pytest.mark.usefixtures("prefect_harness")
runner = CliRunner()


def _run(seeds: Path, warehouse: Path, *options: str) -> dict:
    result = runner.invoke(app, ["run", "-i", str(seeds), "-w", str(warehouse), "--json", *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def _derived(warehouse: Path) -> tuple:
    with connect(WarehouseLayout(warehouse), read_only=True) as connection:
        return connection.execute(
            """
            SELECT (SELECT count(*) FROM article_minhash),
                   (SELECT count(*) FROM story_clusters),
                   (SELECT count(DISTINCT cluster_id) FROM story_clusters),
                   (SELECT count(*) FROM duckdb_schemas() WHERE schema_name = 'fts_main_articles')
            """
        ).fetchone()


def test_no_analytics_then_catch_up(seeds: Path, warehouse: Path) -> None:
    backfill = _run(seeds, warehouse, "--no-analytics")
    assert backfill["articles_loaded"] == 5
    assert "analytics" not in backfill["stage_seconds"]
    assert _derived(warehouse) == (0, 0, 0, 0)

    # Nothing new to load: the refresh still finds the five articles the backfill left unanalysed.
    catch_up = _run(seeds, warehouse)
    assert catch_up["articles_loaded"] == 0
    assert catch_up["stage_seconds"]["analytics"] > 0
    assert _derived(warehouse) == (5, 5, 1, 1)
    result = runner.invoke(app, ["search", "ceasefire Stepanakert", "-w", str(warehouse), "--json"])
    assert result.exit_code == 0, result.output
    assert result.output.strip()


def test_failed_refresh_keeps_the_load(seeds: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows import pipeline

    def broken(connection):
        raise RuntimeError("refresh broke")

    monkeypatch.setattr(pipeline, "refresh_analytics", broken)
    summary = pipeline.newsetl_pipeline(inputs=[str(seeds)], warehouse=str(warehouse))
    assert (summary.status, summary.articles_loaded) == ("loaded", 5)
    assert _derived(warehouse) == (0, 0, 0, 0)
    monkeypatch.undo()
    pipeline.newsetl_pipeline(inputs=[str(seeds)], warehouse=str(warehouse))
    assert _derived(warehouse) == (5, 5, 1, 1)
