"""Where batch tasks run: in this process, in a local process pool (both cores), or on a Dask cluster."""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

RUNNERS = ("process", "thread", "dask")


def default_workers() -> int:
    """One worker per core: cleaning is CPU-bound and threads would share one GIL."""
    return max(os.cpu_count() or 1, 1)


def make_task_runner(
    kind: str = "process", workers: int | None = None, dask_address: str | None = None
) -> TaskRunner:
    """The Prefect task runner for ``kind``.

    ``process`` uses a local process pool; ``thread`` runs batches one at a time in this process (for debugging and
    small inputs); ``dask`` uses prefect-dask's DaskTaskRunner, on the cluster at ``dask_address`` or on a local
    cluster of ``workers`` single-threaded worker processes.
    """
    workers = workers or default_workers()
    if kind == "process":
        return ProcessPoolTaskRunner(
            max_workers=workers, initializer=start_worker, initargs=(shared_api_url(),)
        )
    if kind == "thread":
        return ThreadPoolTaskRunner(max_workers=1)
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": workers,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": None,
            }
        )
    raise ValueError(f"unknown runner {kind!r}; choose one of {', '.join(RUNNERS)}")


def task_slots(runner: TaskRunner) -> int:
    """How many batch tasks ``runner`` runs at once: its workers (or, on Dask, the cluster's worker threads).

    The flow keeps twice this many batches in flight, so the count must follow ``--workers`` and the cluster,
    not this machine's cores.
    """
    max_workers = getattr(runner, "_max_workers", None)
    if isinstance(max_workers, int) and 0 < max_workers < 1_000_000:
        return max_workers
    client = getattr(runner, "_client", None)
    if client is not None:
        workers = client.scheduler_info().get("workers", {})
        threads = sum(int(worker.get("nthreads", 1)) for worker in workers.values())
        if threads:
            return threads
    cluster_workers = (getattr(runner, "cluster_kwargs", None) or {}).get("n_workers")
    return int(cluster_workers) if cluster_workers else default_workers()


def start_worker(api_url: str | None) -> None:
    """Set up a process-pool worker: its Prefect API (``use_api``), and an end when the flow process ends."""
    use_api(api_url)
    exit_with_parent()


def use_api(url: str | None) -> None:
    """Point this (worker) process's Prefect client at ``url``; keep its own settings when ``url`` is None."""
    if url:
        os.environ["PREFECT_API_URL"] = url


# How often a worker checks that the flow process still runs.
PARENT_CHECK_SECONDS = 0.5


def exit_with_parent(check_seconds: float = PARENT_CHECK_SECONDS) -> threading.Thread:
    """End this process as soon as its parent has gone (it is then re-parented: ``os.getppid()`` changes).

    A flow process that is killed (SIGKILL, the OOM killer) cannot shut its pool down, and the pool's workers
    would wait for work forever: each held 0.8 GB and kept polling. The run itself is recovered by the next one
    (its staging is published or discarded), so nothing is lost by ending at once.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(check_seconds)
        os._exit(EXIT_PARENT_GONE)

    watcher = threading.Thread(target=watch, name="newsetl-exit-with-parent", daemon=True)
    watcher.start()
    return watcher


EXIT_PARENT_GONE = 70


def shared_api_url() -> str | None:
    """The API worker processes must report to when none is configured: this process's ephemeral server.

    Without it each worker starts an ephemeral API server of its own (a subprocess of some 230 MB and seconds
    of start-up per worker) and its task runs are recorded in a database nobody reads.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return None
    from prefect.server.api.server import SubprocessASGIServer

    # The same instance the flow's client uses (one per process), so the flow does not start a second one.
    server = SubprocessASGIServer()
    server.start()
    return server.api_url


# A worker hands its free heap back only above this resident size. Trimming after every batch kept workers at
# 0.64-0.78 GB over 1,000,000 articles but cost a fifth of their time: the next batch faulted the same pages back
# in (system time 17 -> 10 s and the run 45.8 -> 40.4 s at 100,000 articles without it). A worker keeps its free
# heap for the next batch; this bound stops slow growth (fragmentation) from going on. With batches of 4,000 files
# workers peaked at 0.83 GB over 100,000 articles and 0.85 GB over 1,000,000.
WORKER_RELEASE_ABOVE_BYTES = 700 * 1024 * 1024


def release_free_memory_above(limit_bytes: int) -> bool:
    """``release_free_memory`` when this process's resident size exceeds ``limit_bytes``; True if it did."""
    if resident_bytes() <= limit_bytes:
        return False
    release_free_memory()
    return True


def resident_bytes() -> int:
    """This process's resident set size (from /proc where there is one: cheaper than psutil)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except OSError:
        import psutil

        return psutil.Process().memory_info().rss


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def release_free_memory() -> None:
    """Hand memory freed by the last batch back to the system (glibc's heap and Arrow's pool keep it otherwise).

    A worker runs hundreds of batches. Workers used to grow by about 40 MB per 10,000 articles (free heap, not
    live data: tracemalloc saw no growth); with this and file reads sized by the file (``transforms.batch``: a
    16 MiB buffer per read had raised glibc's mmap threshold, so big buffers came from the heap) they stayed at
    0.64 to 0.78 GB over 1,000,000 articles. Which of the two did it was not isolated. Workers now call it only
    above ``WORKER_RELEASE_ABOVE_BYTES`` (``release_free_memory_above``); the flow process after planning.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if _libc is not None:
        _libc.malloc_trim(0)


def _load_libc():
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None  # glibc only


_libc = _load_libc()


_frozen = False


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (reference counting still frees what it can).

    Building a batch allocates millions of objects, none of them in cycles (strings, dicts, lists, Arrow
    tables), and each collection would walk them all: some 10% of build_batch's time. Cycles made meanwhile are
    collected after the block like any others.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def freeze_loaded_objects() -> None:
    """Exempt what this process has loaded so far (Prefect, Great Expectations, pandas) from cyclic GC; once.

    A batch allocates millions of objects, which triggers full collections, and each would walk the millions of
    objects those libraries leave alive: a quarter to a third of a worker's batch time went there (newsetl bench).
    """
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True
