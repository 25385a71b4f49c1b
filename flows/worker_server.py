"""The process pool's fork server, started as early as a run knows that it will use worker processes.

Its imports (``flows.worker_preload``: 8 to 9 s of one core on this project's 2-core machine) delay the first
batch unless they overlap something. ``newsetl run`` starts it before importing the flow (3 to 4 s of its own
imports), when a quick look at the inputs finds more files than one batch holds: a single batch runs in the flow
process, and a fork server would only take CPU from it. Otherwise the pool starts it with its first worker. This
module imports nothing heavy, so that starting early is early.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing import forkserver

# Imported by the fork server before it forks a worker (see flows.worker_preload).
WORKER_PRELOAD = ("flows.worker_preload",)


def forkserver_available() -> bool:
    """Whether this platform can fork workers from a server process (not on Windows)."""
    return "forkserver" in multiprocessing.get_all_start_methods()


def worker_context() -> multiprocessing.context.BaseContext:
    """The ``forkserver`` context whose server imports ``WORKER_PRELOAD`` before it forks a worker."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(WORKER_PRELOAD))
    return context


def start_worker_server_for(inputs: list[str], batch_files: int) -> bool:
    """``start_worker_server`` when ``inputs`` (local paths) hold more than ``batch_files`` files; returns whether
    it started one. Only a hint: the count stops at ``batch_files`` + 1, skips hidden names as discovery does, and
    never looks at URLs, so remote inputs start the server with their first worker instead."""
    if _holds_more_files_than(inputs, batch_files):
        return start_worker_server()
    return False


def _holds_more_files_than(inputs: list[str], limit: int) -> bool:
    seen = 0
    folders: list[str] = []
    for path in inputs:
        if "://" in path:
            continue
        if os.path.isdir(path):
            folders.append(path)
        elif os.path.isfile(path):
            seen += 1
    while folders and seen <= limit:
        try:
            with os.scandir(folders.pop()) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        seen += 1
                        if seen > limit:
                            break
        except OSError:
            continue  # discovery reports what cannot be read
    return seen > limit


def start_worker_server() -> bool:
    """Start the fork server (once per process) with ``WORKER_PRELOAD``; returns whether one runs now.

    Never in a worker itself: Prefect enters a copy of the flow's task runner around every task it runs in one,
    and a fork server of the worker's own would import everything again for nothing.
    """
    if not forkserver_available() or multiprocessing.parent_process() is not None:
        return False
    worker_context()
    forkserver.ensure_running()
    return True
