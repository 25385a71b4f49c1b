"""The same run on every task runner gives the same warehouse: in-process, a process pool, a Dask LocalCluster.

On the seeds (one batch of two files at a time) and on a small synthetic corpus of every format, with its
duplicates and hostile files spread over many batches.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flows.bench import write_corpus
from flows.pipeline import run_pipeline
from flows.runners import EXIT_OWNER_GONE, make_task_runner, task_slots
from tests.conftest import REPO, run_python, warehouse_contents

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, prefect_harness) -> dict[str, list]:
    warehouse = tmp_path_factory.mktemp("local") / "warehouse"
    summary = run_pipeline(runner="thread", inputs=["seeds"], warehouse=str(warehouse), batch_size=2)
    assert summary.articles_loaded == 5
    return warehouse_contents(warehouse)


@pytest.mark.parametrize("runner", ["process", "dask"])
def test_runner_gives_the_same_warehouse(runner: str, local_run: dict, warehouse: Path) -> None:
    summary = run_pipeline(runner=runner, workers=2, inputs=["seeds"], warehouse=str(warehouse), batch_size=2)
    assert (summary.status, summary.articles_loaded) == ("loaded", 5)
    assert warehouse_contents(warehouse) == local_run


SYNTH_ARTICLES = 200
SYNTH_BATCH = 40


@pytest.fixture(scope="module")
def synth_corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synth") / "corpus"
    write_corpus(root, SYNTH_ARTICLES, "mixed", seed=7)
    return root


@pytest.fixture(scope="module")
def local_synth_run(tmp_path_factory, prefect_harness, synth_corpus: Path) -> dict[str, list]:
    warehouse = tmp_path_factory.mktemp("local-synth") / "warehouse"
    summary = run_pipeline(
        runner="thread", inputs=[str(synth_corpus)], warehouse=str(warehouse), batch_size=SYNTH_BATCH
    )
    assert summary.status == "loaded" and summary.documents_seen == SYNTH_ARTICLES
    assert summary.skipped >= 4 and summary.quarantined >= 2, "duplicates skipped, hostile files quarantined"
    return warehouse_contents(warehouse)


def test_dask_cluster_gives_the_same_warehouse_on_a_synthetic_corpus(
    synth_corpus: Path, local_synth_run: dict, warehouse: Path
) -> None:
    summary = run_pipeline(
        runner="dask", workers=2, inputs=[str(synth_corpus)], warehouse=str(warehouse), batch_size=SYNTH_BATCH
    )
    assert (summary.status, summary.documents_seen) == ("loaded", SYNTH_ARTICLES)
    assert warehouse_contents(warehouse) == local_synth_run


@pytest.mark.parametrize(
    ("runner", "workers", "slots"), [("process", 3, 3), ("process", 1, 1), ("thread", 4, 1), ("dask", 3, 3)]
)
def test_batches_in_flight_follow_the_runner_not_the_machine(runner: str, workers: int, slots: int) -> None:
    # Bug: the flow sized its in-flight window from this machine's cores whatever --workers or the cluster said.
    assert task_slots(make_task_runner(runner, workers)) == slots


def test_free_memory_is_released_only_above_the_limit() -> None:
    import psutil

    from flows.runners import release_free_memory_above, resident_bytes

    rss = psutil.Process().memory_info().rss
    assert abs(resident_bytes() - rss) < 64 * 1024 * 1024
    assert release_free_memory_above(resident_bytes() + 1024**3) is False
    held = bytearray(64 * 1024 * 1024)  # touched pages, freed below: the trim hands them back
    held[::4096] = b"x" * len(held[::4096])
    del held
    assert release_free_memory_above(0) is True


_ARROW_POOL_PROBE = """
import multiprocessing, os
from concurrent.futures import ProcessPoolExecutor
{environment}
import flows
import pyarrow as pa
from flows.runners import use_system_arrow_pool
context = multiprocessing.get_context("forkserver")
with ProcessPoolExecutor(1, mp_context=context) as pool:
    worker = pool.submit(eval, "__import__('pyarrow').default_memory_pool().backend_name").result()
print(pa.default_memory_pool().backend_name, worker, use_system_arrow_pool(), pa.default_memory_pool().backend_name)
"""


def test_arrow_buffers_come_from_malloc_in_the_flow_and_its_workers() -> None:
    """mimalloc made every stage of a batch slower (flows.runners.use_system_arrow_pool); workers inherit the choice."""
    probe = _ARROW_POOL_PROBE.format(environment='os.environ.pop("ARROW_DEFAULT_MEMORY_POOL", None)')
    assert run_python(probe).split() == ["system", "system", "True", "system"]


def test_an_arrow_pool_the_user_chose_is_kept() -> None:
    probe = _ARROW_POOL_PROBE.format(environment='os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "jemalloc"')
    assert run_python(probe).split() == ["jemalloc", "jemalloc", "False", "jemalloc"]


def test_a_process_that_loaded_pyarrow_first_switches_its_python_side_to_malloc() -> None:
    probe = """
import os
os.environ.pop("ARROW_DEFAULT_MEMORY_POOL", None)
import pyarrow as pa
before = pa.default_memory_pool().backend_name
from flows.runners import use_system_arrow_pool
print(before != "system", use_system_arrow_pool(), pa.default_memory_pool().backend_name, pa.array(["x"]).nbytes)
"""
    assert run_python(probe).split() == ["True", "True", "system", "5"]


def test_cyclic_gc_pause_restores_what_it_found() -> None:
    import gc

    from flows.runners import cyclic_gc_paused

    assert gc.isenabled()
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a caller's own pause is not lifted
    finally:
        gc.enable()


def test_the_early_fork_server_hint_counts_files_up_to_one_batch(tmp_path: Path) -> None:
    from flows.worker_server import _holds_more_files_than

    for name in ("a.txt", "b.txt", ".hidden.txt", "deep/c.txt", "deep/deeper/d.txt", ".git/e.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert _holds_more_files_than(
        [str(tmp_path)], 3
    )  # a, b, c, d: hidden names are skipped like discovery does
    assert not _holds_more_files_than([str(tmp_path)], 4)
    assert _holds_more_files_than([str(tmp_path / "a.txt"), str(tmp_path / "b.txt")], 1)
    assert not _holds_more_files_than(["s3://bucket/news", str(tmp_path / "missing")], 0)


def test_a_worker_outlives_a_step_of_the_system_clock() -> None:
    # Workers compared the flow process's start as psutil gives it, boot time plus ticks; the kernel derives the
    # boot time from the wall clock, so a time sync stepping it by a second made every worker exit mid-run
    # (BrokenProcessPool in CI). The step is played by shifting psutil's boot time after the identity is taken.
    probe = """
import time
import psutil._pslinux as linux
from flows.runners import exit_with_process, flow_process_identity
pid, started = flow_process_identity()
real_boot_time = linux.boot_time
linux.boot_time = lambda: real_boot_time() + 1.0
exit_with_process(pid, started, check_seconds=0.02)
time.sleep(0.4)
print("still running")
"""
    if not Path("/proc/self/stat").exists():
        pytest.skip("the clock-independent start is read from /proc (Linux)")
    assert run_python(probe).strip() == "still running"


def test_a_worker_still_exits_when_its_flow_process_is_gone() -> None:
    probe = """
import subprocess, sys, time
from flows.runners import exit_with_process, process_start
owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
exit_with_process(owner.pid, process_start(owner.pid), check_seconds=0.02)
time.sleep(0.3)
print("watching", flush=True)
owner.kill()
time.sleep(5)
print("not reached")
"""
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["watching"] and result.returncode == EXIT_OWNER_GONE, result.stderr


def test_a_batch_reaches_its_task_as_one_value_that_prefect_does_not_walk() -> None:
    """Prefect visits every element of a list or dict parameter (0.1 s per batch of 4,000 paths), Dask unpacks quote."""
    import cloudpickle
    from prefect.utilities.collections import visit_collection

    from flows.pipeline import BatchFiles

    files = BatchFiles([f"in/{n}.txt" for n in range(4000)], {"in/7.txt": "ab" * 32})
    visited: list[object] = []
    visit_collection({"files": files}, visit_fn=visited.append, return_data=False)
    assert any(value is files for value in visited) and "in/0.txt" not in visited
    visit_collection({"files": files.paths}, visit_fn=visited.append, return_data=False)
    assert "in/0.txt" in visited  # what a list parameter costs
    copy = cloudpickle.loads(cloudpickle.dumps(files))
    assert (copy.paths, copy.known_sha256, repr(copy)) == (
        files.paths,
        files.known_sha256,
        "BatchFiles(4000 paths)",
    )
