"""Crash points: named places where a test can kill the run, to prove the warehouse survives it.

Set ``NEWSETL_CRASH_AT=<point>`` and the process kills itself with SIGKILL when it reaches that point: no cleanup,
no ``finally`` blocks, exactly like the OOM killer or a pulled plug. Unset (always, outside tests), a crash point
does nothing.
"""

from __future__ import annotations

import os
import signal

CRASH_POINTS = (
    "discover",
    "read",
    "validate",
    "parquet",
    "load_before_commit",
    "load_after_commit",
)


def crash_point(name: str) -> None:
    """Kill this process now if ``NEWSETL_CRASH_AT`` names this point."""
    if os.environ.get("NEWSETL_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
