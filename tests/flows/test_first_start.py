"""`newsetl run` on a machine where Prefect has never run: the README's first command on a fresh machine."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import query_rows, run_newsetl


def test_first_run_with_an_empty_prefect_home_starts_its_own_api(seeds: Path, tmp_path: Path) -> None:
    # No PREFECT_API_URL: the run starts the ephemeral API, which must first create and migrate its database.
    # That took longer than Prefect's default wait of 20 s here, and the first `make run` failed.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("PREFECT_") or name == "PREFECT_SERVER_ANALYTICS_ENABLED"
    }
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    warehouse = tmp_path / "warehouse"
    result = run_newsetl(
        ["run", "--input", str(seeds), "--warehouse", str(warehouse), "--no-analytics"], env, timeout=400
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "prefect-home" / "prefect.db").exists()
    assert query_rows(warehouse, "SELECT count(*) FROM articles") == [(5,)]
