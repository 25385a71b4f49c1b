"""The same run on every task runner gives the same warehouse: in-process, a process pool, a Dask LocalCluster.

On the seeds (one batch of two files at a time) and on a small synthetic corpus of every format, with its
duplicates and hostile files spread over many batches.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.bench import write_corpus
from flows.pipeline import run_pipeline
from flows.runners import make_task_runner, task_slots
from tests.conftest import warehouse_contents

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
