"""Where batch tasks run: in this process, in a local process pool (both cores), or on a Dask cluster."""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from prefect.task_runners import (
    ProcessPoolTaskRunner,
    TaskRunner,
    ThreadPoolTaskRunner,
    _initialize_process_pool_worker,
)

from flows.worker_server import forkserver_available, worker_context

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
        return PreloadedProcessPoolTaskRunner(
            max_workers=workers,
            initializer=start_worker,
            initargs=(shared_api_url(), flow_process_identity()),
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


class PreloadedProcessPoolTaskRunner(ProcessPoolTaskRunner):
    """Prefect's process-pool task runner with workers forked from a server that has imported their code once.

    Prefect starts each worker with ``spawn``: a fresh interpreter that imports Prefect, Great Expectations and
    the transforms by itself (7 s of CPU each on a 2-core machine, for every worker of every run). Here the pool
    uses multiprocessing's ``forkserver`` (``flows.worker_server``): one clean server process, started by the
    first worker (or earlier, by ``newsetl run``), imports ``flows.worker_preload`` and forks the workers, which
    start with it all loaded. The server holds no threads and no Prefect client (it is not a fork of the flow
    process), so forking it is safe; it lives as long as this process, so later runs in the same process
    (``newsetl serve``) fork from it at once. Where ``forkserver`` does not exist (Windows), the pool is Prefect's
    own.
    """

    def __enter__(self) -> PreloadedProcessPoolTaskRunner:
        super().__enter__()
        if not forkserver_available():
            return self
        # Prefect's executor has started no process yet (they start with the first submission): replace it with
        # the same pool on the fork server (started with the first worker, or earlier by `newsetl run`), keeping
        # Prefect's worker set-up (log and event forwarding) and ours.
        spawned = self._executor
        self._executor = ProcessPoolExecutor(
            max_workers=self._max_workers,
            mp_context=worker_context(),
            initializer=_initialize_process_pool_worker,
            initargs=(self._subprocess_message_queue, self._initializer, self._initargs),
        )
        spawned.shutdown(wait=False)
        return self


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


def start_worker(api_url: str | None, flow_process: tuple[int, float] | None = None) -> None:
    """Set up a process-pool worker: its Prefect API (``use_api``), and its end when the flow process ends.

    ``flow_process`` is the (pid, start time) of the process that owns the pool (``flow_process_identity``).
    """
    use_api(api_url)
    if flow_process is not None:
        exit_with_process(*flow_process)


def use_api(url: str | None) -> None:
    """Point this (worker) process's Prefect client at ``url``; keep its own settings when ``url`` is None."""
    if url:
        os.environ["PREFECT_API_URL"] = url


def flow_process_identity() -> tuple[int, float]:
    """This process's pid and start time: what a worker watches (a pid alone may be reused)."""
    return os.getpid(), process_start(os.getpid())


def process_start(pid: int) -> float:
    """When process ``pid`` started, on a clock that no adjustment of the system's moves.

    On Linux, the start in clock ticks since boot (``/proc/<pid>/stat``). psutil's ``create_time`` adds the boot
    time to it, which the kernel derives from the wall clock: a time sync stepping the clock by a second made
    every worker take its flow process for another and exit mid-run (BrokenProcessPool). Elsewhere, psutil's
    wall-clock start, rounded to the second. Raises ``psutil.NoSuchProcess`` when there is no such process.
    """
    import psutil

    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            raise psutil.NoSuchProcess(pid) from None
        return float(round(psutil.Process(pid).create_time()))
    return float(stat.rsplit(b")", 1)[1].split()[19])  # field 22 of proc(5), after the parenthesised name


# How often a worker checks that the flow process still runs.
OWNER_CHECK_SECONDS = 0.5


def exit_with_process(
    pid: int, started: float, check_seconds: float = OWNER_CHECK_SECONDS
) -> threading.Thread:
    """End this process as soon as the process ``pid`` (started at ``started``) has gone.

    A flow process that is killed (SIGKILL, the OOM killer) cannot shut its pool down, and the pool's workers
    would wait for work for good, each holding its memory and the run's stdout and stderr. The run itself is
    recovered by the next one (its staging is published or discarded), so nothing is lost by ending at once.
    The flow process is watched by pid, not as the parent: workers forked by the pool's fork server are its
    children, and the server lives as long as any worker does.
    """
    import psutil

    def alive() -> bool:
        # A killed process whose parent has not reaped it yet is a zombie: gone, though its pid still answers.
        try:
            return process_start(pid) == started and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except (psutil.Error, OSError, IndexError, ValueError):
            return False

    def watch() -> None:
        while alive():
            time.sleep(check_seconds)
        os._exit(EXIT_OWNER_GONE)

    watcher = threading.Thread(target=watch, name="newsetl-exit-with-flow", daemon=True)
    watcher.start()
    return watcher


EXIT_OWNER_GONE = 70


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


ARROW_POOL_ENVIRONMENT = "ARROW_DEFAULT_MEMORY_POOL"


def use_system_arrow_pool() -> bool:
    """Make glibc's malloc the allocator of pyarrow's buffers in this process; returns whether it is.

    pyarrow's default, mimalloc, decommits and re-faults its pages all the time on this project's 2-core machine
    (919 purges of 350 MB for four batches of 4,000 files), and every stage of a batch paid for it: ``newsetl
    run`` of 100,000 articles took 64-69 s with mimalloc and 58-61 s with malloc, the Arrow step 4 -> 3.5 s,
    Parquet 5.5 -> 1.9 s (docs/performance.md). ``flows/__init__`` sets ``ARROW_DEFAULT_MEMORY_POOL=system``
    before pyarrow loads, which is the only way to reach the pool of pyarrow's C++ side (the Parquet writer), and
    every process started from one that imported ``flows`` (the fork server, its workers, the bench's runs and its
    I/O floor) has it. ``process_batch`` calls this for a process that imported pyarrow first (a Dask worker
    started elsewhere, a notebook), for what pyarrow allocates from Python. A pool the user chose with that
    variable is left as it is.
    """
    if os.environ.get(ARROW_POOL_ENVIRONMENT, "system") != "system":
        return False
    import pyarrow as pa

    if pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())
    return True


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
