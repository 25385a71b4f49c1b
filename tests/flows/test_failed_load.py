"""A load that fails with a query result still open (a full disk) is recorded as a failed run; the run never hangs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO

# Run in a child process: the bug this guards against spun forever inside DuckDB's C++ (no signal stops it),
# so only a process that the test can kill keeps a regression from hanging the suite.
FAILING_RUN = textwrap.dedent(
    """
    import errno, shutil, sys
    from pathlib import Path
    import warehouse.store
    from flows.pipeline import run_pipeline

    inputs, warehouse_dir, failing, duplicate_of = sys.argv[1:5]

    def disk_full(layout, run_id, table, batches):
        # The query's result stream is open and unread when the error comes (creating the output file fails).
        raise OSError(errno.ENOSPC, "No space left on device")

    def run():
        return run_pipeline(runner="thread", inputs=[inputs], warehouse=warehouse_dir, analytics=False)

    if duplicate_of:
        # An article already in the warehouse comes again: the load drops it, so it rewrites the staged Parquet.
        run()
        shutil.copy(duplicate_of, Path(inputs) / ("copy-of-" + Path(duplicate_of).name))
    setattr(warehouse.store, failing, disk_full)
    try:
        run()
    except OSError as error:
        print("run raised:", error)
    """
)


@pytest.mark.parametrize(
    ("failing", "with_duplicate"),
    [
        # the manifest's rewrite, in the load's own thread (every load has one)
        ("rewrite_staged", False),
        # the rewrite of articles and removals without the run's duplicates, on a cursor in a thread of its own
        # while the load inserts: its error must fail the load, once the inserts are done with the staged parts
        ("write_replacement", True),
    ],
)
def test_a_load_failing_with_a_result_open_is_recorded_and_the_run_ends(
    cli_env: dict, seeds: Path, tmp_path: Path, warehouse: Path, failing: str, with_duplicate: bool
) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(seeds, inputs)
    duplicate_of = str(sorted(seeds.iterdir())[0]) if with_duplicate else ""
    try:
        result = subprocess.run(
            [sys.executable, "-c", FAILING_RUN, str(inputs), str(warehouse), failing, duplicate_of],
            env=cli_env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            "the run hung after its load failed (an unfinished DuckDB result outlived its connection)"
        )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "run raised: [Errno 28] No space left on device" in result.stdout
    with duckdb.connect(str(warehouse / "news.duckdb"), read_only=True) as connection:
        runs = connection.execute("SELECT status, reason FROM pipeline_runs ORDER BY started_at").fetchall()
        articles = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
        loaded_runs = {
            f"run_id={run_id}"
            for (run_id,) in connection.execute(
                "SELECT run_id FROM pipeline_runs WHERE status = 'loaded'"
            ).fetchall()
        }
    assert [status for status, _ in runs] == ["loaded"] * with_duplicate + ["failed"]
    assert "No space left on device" in runs[-1][1]
    # Nothing of the failed run is left: no rows, no Parquet, no staging (the first run's Parquet stays).
    assert articles == (len(list(seeds.iterdir())) if with_duplicate else 0)
    assert {path.parent.name for path in (warehouse / "parquet").rglob("*.parquet")} == loaded_runs
    assert not list((warehouse / "parquet" / "_staging").glob("*/*"))
