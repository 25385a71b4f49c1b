"""What every worker of the process pool needs loaded, imported once in the pool's fork server.

The fork server (``flows.runners.PreloadedProcessPoolTaskRunner``) imports this module before it forks any worker,
so the workers start with it all in memory instead of importing it each: the flow and its tasks (Prefect, DuckDB,
pyarrow, the transforms), Great Expectations with its expectation registry, and the language model. That was some
7 s of CPU per worker on this project's 2-core machine, paid by every worker of every run; forked, a worker is
ready in milliseconds. Importing this module is the whole of its job.
"""

from __future__ import annotations

import flows.pipeline  # noqa: F401  (the task functions the pool runs, and everything they import)
from expectations.articles import great_expectations
from flows.runners import freeze_loaded_objects
from transforms.language import preload_model

great_expectations()
preload_model()
# Exempt all of it from cyclic GC before the fork: the workers share these pages with the server until they write.
freeze_loaded_objects()
