"""Where batch tasks run: in this process, in a local process pool (both cores), or on a Dask cluster."""

from __future__ import annotations

import os

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
        return ProcessPoolTaskRunner(max_workers=workers)
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
