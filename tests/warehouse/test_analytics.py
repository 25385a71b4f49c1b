"""The analyst layer after real pipeline runs: derived tables, documented views, search through the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SEEDS, query_rows, run_newsetl, write_file
from tests.warehouse.conftest import ORIGINAL, syndicated_copy
from warehouse.analytics import fts_extension_path

VIEWS = (
    "v_articles",
    "v_daily_counts",
    "v_wire_agencies",
    "v_removals_by_rule",
    "v_latest_run",
    "dq_results",
)


def _newsetl(env: dict, *arguments: str) -> subprocess.CompletedProcess:
    return run_newsetl(list(arguments), env, timeout=120)


def test_seed_articles_form_one_story(analyst_warehouse: Path) -> None:
    stories = query_rows(analyst_warehouse, "SELECT story_id, count(*) FROM v_articles GROUP BY story_id")
    assert len(stories) == 1 and stories[0][1] == 6


def test_syndicated_copy_points_to_the_original(analyst_warehouse: Path) -> None:
    rows = query_rows(
        analyst_warehouse,
        "SELECT a.outlet, o.outlet FROM v_articles a JOIN v_articles o ON o.article_id = a.duplicate_of",
    )
    assert rows == [("Caucasus Courier", "France24")]
    [(jaccard,)] = query_rows(
        analyst_warehouse,
        "SELECT jaccard FROM article_similarity s JOIN v_articles a USING (article_id) WHERE a.outlet = 'France24'",
    )
    assert jaccard > 0.8


def test_figures_are_extracted(analyst_warehouse: Path) -> None:
    rows = query_rows(analyst_warehouse, "SELECT quantity, qualifier, what FROM article_figures")
    assert (10000, "more than", "fled") in rows
    assert (200, "at least", "killed") in rows


def test_views_and_columns_are_documented(analyst_warehouse: Path) -> None:
    views = dict(
        query_rows(analyst_warehouse, "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal")
    )
    assert all(views.get(view) for view in VIEWS)
    undocumented = query_rows(
        analyst_warehouse,
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND NOT internal AND (comment IS NULL OR comment = '')",
    )
    assert undocumented == []
    [(macro_comment,)] = query_rows(
        analyst_warehouse, "SELECT comment FROM duckdb_functions() WHERE function_name = 'search_articles'"
    )
    assert "LOAD fts" in macro_comment


def test_search_command_ranks_the_matching_articles(analyst_warehouse: Path, cli_env: dict) -> None:
    result = _newsetl(
        cli_env, "search", "ceasefire Stepanakert", "--limit", "3", "-w", str(analyst_warehouse), "--json"
    )
    assert result.returncode == 0, result.stderr
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(hits) == 3
    assert [hit["score"] for hit in hits] == sorted((hit["score"] for hit in hits), reverse=True)
    assert all(
        "ceasefire" in hit["snippet"].lower() or "stepanakert" in hit["snippet"].lower() for hit in hits
    )
    table = _newsetl(cli_env, "search", "ceasefire Stepanakert", "-w", str(analyst_warehouse))
    assert table.returncode == 0 and "score" in table.stdout


def test_search_macro_works_through_newsetl_query(analyst_warehouse: Path, cli_env: dict) -> None:
    result = _newsetl(
        cli_env,
        "query",
        "SELECT article_id, score FROM search_articles('Yevlakh talks') ORDER BY score DESC",
        "-w",
        str(analyst_warehouse),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert hits and hits[0]["score"] > 0


def test_search_needs_no_network(analyst_warehouse: Path, tmp_path: Path) -> None:
    """A client with an empty extension directory and autoinstall off loads fts from the package's file."""
    assert fts_extension_path().is_file()
    config = {"extension_directory": str(tmp_path / "ext"), "autoinstall_known_extensions": False}
    with duckdb.connect(str(analyst_warehouse / "news.duckdb"), read_only=True, config=config) as connection:
        with pytest.raises(duckdb.Error):
            connection.execute("SELECT * FROM search_articles('ceasefire')").fetchall()
        connection.execute(f"INSTALL '{fts_extension_path()}'")
        connection.execute("LOAD fts")
        assert connection.execute("SELECT count(*) FROM search_articles('ceasefire')").fetchone()[0] >= 2


def test_refresh_follows_new_and_superseded_articles(tmp_path: Path, prefect_harness: str) -> None:
    from flows.pipeline import newsetl_pipeline

    inputs, warehouse = tmp_path / "in", tmp_path / "warehouse"
    shutil.copytree(SEEDS, inputs)
    newsetl_pipeline(inputs=[str(inputs)], warehouse=str(warehouse))
    before = query_rows(warehouse, "SELECT * FROM article_similarity")
    assert before == []
    newsetl_pipeline(inputs=[str(inputs)], warehouse=str(warehouse))
    assert query_rows(warehouse, "SELECT count(*) FROM article_minhash") == [(5,)]
    copy = write_file(inputs, "copy.txt", syndicated_copy((SEEDS / ORIGINAL).read_text(encoding="utf-8")))
    newsetl_pipeline(inputs=[str(inputs)], warehouse=str(warehouse))
    assert len(query_rows(warehouse, "SELECT * FROM article_similarity")) == 2
    assert query_rows(warehouse, "SELECT count(*) FROM search_articles('Envoys')") == [(1,)]
    # The copy's file changes into an unrelated story: its old version leaves every derived table.
    copy.write_text("Tram Network Grows\n" + " ".join(["The council approved new tram lines."] * 12) + "\n")
    newsetl_pipeline(inputs=[str(inputs)], warehouse=str(warehouse))
    assert query_rows(warehouse, "SELECT * FROM article_similarity") == []
    assert query_rows(warehouse, "SELECT count(*) FROM article_minhash") == [(6,)]
    assert query_rows(warehouse, "SELECT count(*) FROM story_clusters") == [(6,)]
    assert query_rows(warehouse, "SELECT count(DISTINCT story_id) FROM v_articles") == [(2,)]


def test_refresh_builds_the_search_index_where_fts_was_never_installed(
    tmp_path: Path, prefect_harness: str
) -> None:
    """A fresh machine's first run: fts is in neither the extension directory nor the connection.

    Trying ``LOAD fts`` inside the refresh's transaction failed there and aborted the transaction, so the whole
    refresh failed and the first ``make run`` on a new machine had no search index.
    """
    from flows.analytics import refresh_analytics
    from flows.pipeline import newsetl_pipeline

    warehouse = tmp_path / "warehouse"
    newsetl_pipeline(inputs=[str(SEEDS)], warehouse=str(warehouse), analytics=False)
    config = {"extension_directory": str(tmp_path / "empty-ext"), "autoinstall_known_extensions": False}
    with duckdb.connect(str(warehouse / "news.duckdb"), config=config) as connection:
        [(installed,)] = connection.execute(
            "SELECT installed FROM duckdb_extensions() WHERE extension_name = 'fts'"
        ).fetchall()
        assert not installed
        report = refresh_analytics(connection)
        assert report.analysed == 5
        assert connection.execute("SELECT count(*) FROM search_articles('ceasefire')").fetchone()[0] >= 2
