"""Shared fixtures: one Prefect test harness per session, isolated warehouses, the seed folder."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"


@pytest.fixture(scope="session")
def prefect_harness():
    """A real Prefect API (ephemeral, local) shared by every flow test: starting one costs ~7 s.

    Flow runs in this process send no heartbeats. Prefect 3.8's heartbeat thread (every 180 s by default) sleeps in
    one-second steps and the flow waits for it to wake up on exit: a second added to every run of a few files, some
    60 runs in this suite. Nothing here tests heartbeats; runs in child processes keep Prefect's default (the
    setting cannot be unset from the environment).
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield PREFECT_API_URL.value()


@pytest.fixture
def cli_env(prefect_harness: str) -> dict[str, str]:
    """Environment for running ``newsetl`` in a subprocess against the session's Prefect API (no server start)."""
    env = dict(os.environ, PREFECT_API_URL=prefect_harness, PREFECT_LOGGING_LEVEL="WARNING")
    env.pop("NEWSETL_CRASH_AT", None)
    return env


NEWSETL = [sys.executable, "-m", "flows.cli"]


def run_newsetl(
    arguments: list[str], env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess:
    """``newsetl ARGUMENTS`` in a child process at the repository root, its output captured as text."""
    return subprocess.run(
        [*NEWSETL, *arguments], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """An empty warehouse directory of the test's own."""
    return tmp_path / "warehouse"


@pytest.fixture
def seeds() -> Path:
    """The seed articles folder."""
    return SEEDS


@pytest.fixture
def memory_root() -> Iterator[str]:
    """A Parquet root of the test's own in fsspec's memory filesystem (one store per process), removed after."""
    import fsspec

    root = f"memory://newsetl-test/{uuid.uuid4().hex}"
    yield root
    memory, path = fsspec.core.url_to_fs(root)
    if memory.exists(path):
        memory.rm(path, recursive=True)


def run_python(code: str, timeout: float = 180) -> str:
    """What ``code`` prints when run by this venv's Python in a fresh process at the repository root.

    For what one process cannot show about itself once the test session has imported everything: which modules a
    fresh import loads, what stays in memory.
    """
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=timeout, check=True
    )
    return result.stdout


def write_file(folder: Path, name: str, content: str | bytes) -> Path:
    """Write a test input file (text as UTF-8)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def query_rows(warehouse: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    """Rows of read-only SQL on a warehouse, through the project's own connection (fts loaded, as analysts get it)."""
    from warehouse.layout import WarehouseLayout
    from warehouse.store import connect

    with connect(WarehouseLayout(warehouse), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()


# What two runs that should agree must agree on: articles, removals, quarantine and manifest, without run ids and
# timestamps (which differ between any two runs).
WAREHOUSE_CONTENTS = {
    "articles": "SELECT article_id, source_path, title, published_at, outlet, wire_agencies, body FROM articles",
    "removals": "SELECT article_id, rule, line_no, removed_text FROM boilerplate_removals",
    "quarantine": "SELECT source_path, stage, reason FROM quarantine",
    "manifest": "SELECT path, sha256, outcome, articles FROM ingested_files",
}


def warehouse_contents(warehouse: Path) -> dict[str, list]:
    """A warehouse's ``WAREHOUSE_CONTENTS``, each as sorted row reprs, for comparing two runs."""
    return {name: sorted(map(repr, query_rows(warehouse, sql))) for name, sql in WAREHOUSE_CONTENTS.items()}
