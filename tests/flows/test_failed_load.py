"""A load that fails with a query result still open (a full disk) is recorded as a failed run; the run never hangs."""

from __future__ import annotations

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
    import errno, sys
    import warehouse.store
    from flows.pipeline import run_pipeline

    def disk_full(layout, run_id, table, batches):
        # The query's result stream is open and unread when the error comes (creating the output file fails).
        raise OSError(errno.ENOSPC, "No space left on device")

    warehouse.store.rewrite_staged = disk_full
    try:
        run_pipeline(runner="thread", inputs=[sys.argv[1]], warehouse=sys.argv[2], analytics=False)
    except OSError as error:
        print("run raised:", error)
    """
)


def test_a_load_failing_with_a_result_open_is_recorded_and_the_run_ends(
    cli_env: dict, seeds: Path, warehouse: Path
) -> None:
    try:
        result = subprocess.run(
            [sys.executable, "-c", FAILING_RUN, str(seeds), str(warehouse)],
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
        runs = connection.execute("SELECT status, reason FROM pipeline_runs").fetchall()
        articles = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert [status for status, _ in runs] == ["failed"]
    assert "No space left on device" in runs[0][1]
    assert articles == 0
    assert not list((warehouse / "parquet").rglob("*.parquet"))
