"""newsetl's Prefect flows, tasks and command line.

Importing the package sets the process environment every entry point needs, before any of its modules imports
Prefect, Great Expectations or pyarrow (each reads these variables once, when it loads), and so before any worker
process starts: worker processes inherit it.
"""

import os

# Nothing may call out.
for _name, _value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    # The ephemeral API's first start on a machine creates and migrates its SQLite database: 20 s or more on a
    # 2-core machine, past Prefect's default wait of 20 s, so that `make run` on a fresh machine failed the first time.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}.items():
    os.environ.setdefault(_name, _value)
# glibc's malloc for Arrow's buffers instead of pyarrow's mimalloc: much faster here (flows.runners.
# use_system_arrow_pool says why). The variable is read once, when pyarrow is first imported, and the worker
# processes inherit it; only pyarrow itself can choose the pool of its C++ side (Parquet writer, compute kernels).
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
