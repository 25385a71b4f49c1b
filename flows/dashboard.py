"""Write the data-quality dashboard (``<warehouse>/dq/index.html``) from the warehouse, next to the Data Docs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from prefect import get_run_logger, task

from expectations.data_docs import build_data_docs, data_docs_index
from transforms.articles import utc_now
from transforms.dashboard import render_dashboard
from warehouse.dq_report import DEFAULT_RUNS, read_dashboard_data
from warehouse.layout import WarehouseLayout

DASHBOARD_FILE = "index.html"


def dashboard_path(warehouse_dir: Path) -> Path:
    """Where the dashboard page is written."""
    return WarehouseLayout(Path(warehouse_dir)).dq / DASHBOARD_FILE


def write_dashboard(warehouse_dir: Path, runs: int = DEFAULT_RUNS) -> Path:
    """Render the dashboard of the ``runs`` most recent runs to ``<warehouse>/dq/index.html``; returns its path.

    Reads the warehouse read-only, so call it after the run's load transaction has closed its connection. The
    file is replaced atomically: a browser reloading it never sees half a page.
    """
    layout = WarehouseLayout(Path(warehouse_dir))
    data = read_dashboard_data(layout, runs)
    docs_index = data_docs_index(layout.root)
    page = render_dashboard(
        data,
        data_docs_href=docs_index.relative_to(layout.dq).as_posix() if docs_index.exists() else None,
        generated_at=utc_now().strftime("%Y-%m-%d %H:%M:%S"),
        warehouse=str(layout.root.resolve()),
    )
    target = dashboard_path(layout.root)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".index-", suffix=".html", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as output:
            output.write(page)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


@task(name="build-data-docs")
def render_data_docs(warehouse: str, reports: list[dict]) -> str:
    """Store the run's validation results and render their Data Docs pages; returns the site's index path.

    A task of its own so that it can run on a worker, which has Great Expectations imported already (3 to 5 s
    and 200 MB in a process that has not), while the flow process loads DuckDB.
    """
    return str(build_data_docs(Path(warehouse), reports))


@task(name="publish-dq-site")
def publish_dq_site(warehouse: str, reports: list[dict], *, build_docs: bool = True) -> Path | None:
    """Build the run's Data Docs pages (unless ``build_docs`` is false: they were rendered apart, by
    ``render_data_docs``) and rewrite the dashboard; returns the dashboard's path, or None.

    The data is already committed (or refused) when this runs: a failure here is logged, never fails the run.
    """
    logger = get_run_logger()
    try:
        if build_docs:
            build_data_docs(Path(warehouse), reports)
        page = write_dashboard(Path(warehouse))
    except Exception as error:  # the site is a view of the warehouse, not part of the load
        logger.warning("data-quality site not updated: %s: %s", type(error).__name__, error)
        return None
    logger.info("data-quality dashboard: %s", page.resolve())
    return page
