"""`newsetl serve` registers a scheduled deployment, runs it when triggered, and stops cleanly."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import NEWSETL, REPO

DEPLOYMENT = "newsetl/newsetl-test-serve"


def _wait_for_deployment(client, deadline: float):
    while time.monotonic() < deadline:
        try:
            return client.read_deployment_by_name(DEPLOYMENT)
        except Exception:
            time.sleep(0.5)
    raise TimeoutError(f"deployment {DEPLOYMENT} was not registered in time")


def test_serve_runs_the_deployment_and_stops(seeds: Path, warehouse: Path, cli_env: dict) -> None:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    command = [
        *NEWSETL,
        "serve",
        "--cron",
        "0 3 * * *",
        "-i",
        str(seeds),
        "-w",
        str(warehouse),
        "--name",
        "newsetl-test-serve",
    ]
    server = subprocess.Popen(
        command, env=cli_env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        with get_client(sync_client=True) as client:
            deployment = _wait_for_deployment(client, time.monotonic() + 120)
            assert [schedule.schedule.cron for schedule in deployment.schedules] == ["0 3 * * *"]
            flow_run = run_deployment(DEPLOYMENT, timeout=240, poll_interval=1)
        assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    with duckdb.connect(str(warehouse / "news.duckdb"), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone()[0] == 5


def test_prefect_yaml_describes_the_same_flow() -> None:
    config = yaml.safe_load((REPO / "prefect.yaml").read_text())
    [deployment] = config["deployments"]
    module, function = deployment["entrypoint"].split(":")
    assert (REPO / module).is_file() and function == "newsetl_pipeline"
    assert deployment["schedules"][0]["cron"] == "0 * * * *"
    from flows.pipeline import newsetl_pipeline

    assert set(deployment["parameters"]) <= set(newsetl_pipeline.parameters.properties)


pytestmark = pytest.mark.usefixtures("prefect_harness")
