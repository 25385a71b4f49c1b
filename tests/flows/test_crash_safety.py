"""Kill the run (SIGKILL) at every crash point: the warehouse is the old state or the complete new one, and the
next run ends exactly where an uninterrupted run would."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import duckdb
import psutil
import pytest

from flows.faults import CRASH_POINTS
from flows.pipeline import run_pipeline
from tests.conftest import REPO, run_newsetl, write_file

EXTRA = (
    "The city council voted on Thursday to expand the tram network to the northern suburbs by 2030. "
    "The plan adds twelve stations and is expected to carry forty thousand passengers a day, officials said. "
    "Opposition councillors questioned the cost, which they put at more than one billion euros."
)


def _killed_run(env: dict, inputs: Path, warehouse: Path, crash_at: str) -> subprocess.CompletedProcess:
    """``newsetl run`` in a child process that SIGKILLs itself at ``crash_at``."""
    return run_newsetl(
        ["run", "-i", str(inputs), "-w", str(warehouse), "--json"], dict(env, NEWSETL_CRASH_AT=crash_at)
    )


def _uninterrupted_run(inputs: Path, warehouse: Path) -> str:
    """The run the CLI makes, in this process: nothing here is killed, and it saves a process start (5 s)."""
    return run_pipeline(inputs=[str(inputs)], warehouse=str(warehouse)).status


def _state(warehouse: Path) -> dict[str, list]:
    """The warehouse's data, without run ids and timestamps (which differ between any two runs)."""
    queries = {
        "articles": "SELECT article_id, source_path, title, published_at, body, superseded_by FROM articles",
        "removals": "SELECT article_id, source_path, rule, line_no, removed_text FROM boilerplate_removals",
        "quarantine": "SELECT source_path, stage, reason, detail FROM quarantine",
        "manifest": "SELECT path, sha256, outcome, articles FROM ingested_files",
        "runs": "SELECT status, files_seen, articles_loaded, quarantined, skipped FROM pipeline_runs",
    }
    with duckdb.connect(str(warehouse / "news.duckdb"), read_only=True) as connection:
        state = {name: sorted(map(repr, connection.execute(sql).fetchall())) for name, sql in queries.items()}
    parquet = warehouse / "parquet" / "articles"
    ids = []
    for path in sorted(parquet.rglob("*.parquet")):
        with duckdb.connect() as connection:
            ids += [
                row[0]
                for row in connection.execute(f"SELECT article_id FROM read_parquet('{path}')").fetchall()
            ]
    state["parquet_ids"] = sorted(ids)
    return state


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, seeds: Path = REPO / "seeds") -> dict:
    """Inputs for a first run (the seeds) and a second run (one more article, one bad file)."""
    root = tmp_path_factory.mktemp("crash")
    first = root / "first"
    shutil.copytree(seeds, first)
    second = root / "second"
    shutil.copytree(seeds, second)
    write_file(second, "tram.txt", f"Tram Network Grows\n{EXTRA}\n")
    write_file(second, "empty.txt", "")
    return {"root": root, "first": first, "second": second}


@pytest.fixture(scope="module")
def reference(scenario: dict, prefect_harness: str) -> dict:
    """Uninterrupted runs: a copy of the warehouse after the first run, and the states after each run."""
    warehouse = scenario["root"] / "reference"
    assert _uninterrupted_run(scenario["first"], warehouse) == "loaded"
    baseline = scenario["root"] / "baseline"
    shutil.copytree(warehouse, baseline)
    before = _state(warehouse)
    assert _uninterrupted_run(scenario["second"], warehouse) == "loaded"
    return {"baseline": baseline, "before": before, "after": _state(warehouse)}


def _without_runs(state: dict) -> dict:
    return {name: rows for name, rows in state.items() if name != "runs"}


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_kill_at_every_point(
    point: str, scenario: dict, reference: dict, cli_env: dict, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse"
    shutil.copytree(reference["baseline"], warehouse)
    killed = _killed_run(cli_env, scenario["second"], warehouse, point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    after_crash = _state(warehouse)
    if point == "load_after_commit":
        committed = {name: rows for name, rows in after_crash.items() if not name.startswith("parquet")}
        expected = {name: rows for name, rows in reference["after"].items() if not name.startswith("parquet")}
        assert committed == expected
    else:
        assert after_crash == reference["before"]
    assert _uninterrupted_run(scenario["second"], warehouse) == "loaded"
    final = _state(warehouse)
    if point == "load_after_commit":
        assert final["runs"] == sorted([*reference["after"]["runs"], repr(("loaded", 7, 0, 0, 0))])
    assert _without_runs(final) == _without_runs(reference["after"])
    assert not any((warehouse / "parquet" / "_staging").glob("*"))


def _processes_marked(marker: str) -> list[psutil.Process]:
    marked = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("NEWSETL_TEST_MARKER") == marker:
                marked.append(process)
        except psutil.Error:
            continue
    return marked


def test_a_killed_run_leaves_no_worker_processes_behind(tmp_path: Path, cli_env: dict) -> None:
    # Three batches on the process pool, then the flow process is killed in the load: its two workers, idle in
    # the pool, used to live on for good (0.8 GB each after a real batch).
    marker = uuid.uuid4().hex
    env = dict(cli_env, NEWSETL_CRASH_AT="load_before_commit", NEWSETL_TEST_MARKER=marker)
    killed = run_newsetl(
        ["run", "-i", str(REPO / "seeds"), "-w", str(tmp_path / "w"), "--batch-size", "2", "--json"],
        env,
        # Orphaned workers also held the run's stdout and stderr open: reading them never ended.
        timeout=180,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    deadline = time.monotonic() + 20
    while (left := _processes_marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.25)
    for process in left:
        process.kill()
    assert left == []
