"""The newsetl flow: discover -> plan -> (read, clean, split, validate, stage Parquet) per batch -> load -> publish.

Thin Prefect wiring: every step calls a function of ``transforms``, ``expectations`` or ``warehouse``. Tasks take a
batch of files, never one article, because a task costs milliseconds and a run may hold a million articles.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.runtime import task_run
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

from expectations.articles import BATCH_SUITE, ROW_SUITE, great_expectations
from expectations.data_docs import label_report
from expectations.gate import ExpectationOutcome, check_batch, check_rows
from expectations.thresholds import Thresholds
from flows.analytics import refresh_analytics
from flows.dashboard import publish_dq_site, render_data_docs
from flows.faults import crash_point
from flows.prefect_tls import share_tls_context
from flows.reporting import RunSummary, StageClock, dq_rows, publish_artifacts, summarize
from flows.runners import (
    WORKER_RELEASE_ABOVE_BYTES,
    cyclic_gc_paused,
    freeze_loaded_objects,
    make_task_runner,
    release_free_memory,
    release_free_memory_above,
    task_slots,
    use_system_arrow_pool,
)
from flows.settings import DEFAULT_BATCH_FILES
from transforms.articles import utc_now
from transforms.batch import (
    build_batch,
    discovery_file_rows,
    drop_duplicate_articles,
    quarantine_rows,
    rejected_rows,
    removals_of,
    settle_file_outcomes,
)
from transforms.discovery import Discovery, ReadPlan, chunk_files, discover, entry_stat
from transforms.schemas import concat_tables
from warehouse.layout import WarehouseLayout
from warehouse.lock import warehouse_lock
from warehouse.manifest import plan_reads
from warehouse.parquet import write_staged
from warehouse.store import (
    connect,
    load_run,
    recent_row_counts,
    record_unloaded_run,
    recover_staging,
)

# Every process that runs this flow or its tasks imports this module (worker processes and Dask workers too).
share_tls_context()

PROCESS_BATCH_RETRIES = 2
IN_FLIGHT_PER_WORKER = 2
MAX_BATCH_BYTES = 256 * 1024 * 1024


@dataclass(slots=True)
class DqSiteWork:
    """What the data-quality site needs from a run: its validation reports, and the Data Docs task if one was
    started on a worker while the flow loads DuckDB."""

    reports: list[dict] = field(default_factory=list)
    docs: PrefectFuture | None = None

    def start_docs_on_workers(self, warehouse: str) -> None:
        """Render the reports' Data Docs on the flow's worker pool, side by side with what the flow does next."""
        if self.reports and self.docs is None:
            self.docs = render_data_docs.submit(warehouse, self.reports)

    def wait_for_docs(self) -> bool:
        """Wait for the Data Docs task; returns whether the docs are still to be built (none was started)."""
        if self.docs is None:
            return True
        try:
            self.docs.result()
        except Exception as error:  # the site is a view of the warehouse, never a reason to fail the run
            get_run_logger().warning("Data Docs not updated: %s: %s", type(error).__name__, error)
        return False


class BatchFiles:
    """One batch's paths and the SHA-256 the manifest recorded for them: a single task parameter.

    Not a list, a dict or a dataclass, which Prefect walks element by element looking for futures to resolve (at
    submission in the flow process and again in the worker: some 0.1 s per batch of 4,000 paths); Prefect's own
    ``quote`` is a namedtuple, and Dask turns it into a plain tuple on the way to its workers.
    """

    __slots__ = ("known_sha256", "paths")

    def __init__(self, paths: list[str], known_sha256: dict[str, str] | None = None) -> None:
        self.paths = paths
        self.known_sha256 = known_sha256 or {}

    def __repr__(self) -> str:
        return f"BatchFiles({len(self.paths)} paths)"


@dataclass(slots=True)
class BatchOutcome:
    """What one batch task reports back: counts, validation results, and whether the gate blocked it."""

    documents_seen: int = 0
    quarantined: int = 0
    skipped: int = 0
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    dq_rows: dict[str, list[dict]] = field(default_factory=dict)
    blocked_reason: str | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # GE validation results (compact, labelled with run and batch) for the Data Docs site.
    reports: list[dict] = field(default_factory=list)


def new_run_id() -> str:
    """A sortable, unique run id: UTC time plus a random suffix."""
    return utc_now().strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def _is_transient(task, task_run, state) -> bool:
    """Retry a batch only for I/O errors (a flaky mount), never for a deterministic bug."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:
        return False
    return False


@task(name="discover-inputs")
def discover_inputs(inputs: list[str]) -> Discovery:
    """Find the input files."""
    return discover(inputs)


@task(
    name="process-batch",
    retries=PROCESS_BATCH_RETRIES,
    retry_delay_seconds=1,
    retry_condition_fn=_is_transient,
)
def process_batch(
    files: BatchFiles,
    run_id: str,
    part: int,
    warehouse: str,
    thresholds: Thresholds,
    recent_counts: list[int],
    parquet_root: str | None = None,
) -> BatchOutcome:
    """Read, clean, split and validate one batch of files, and stage its Parquet.

    Order matters: rows failing row expectations leave first (quarantine), then repeated articles (skipped), so a
    quarantined copy never hides a good one; the batch suite then judges exactly what would be loaded.
    """
    use_system_arrow_pool()  # a Dask worker has not run the fork server's preload
    great_expectations()  # imported before the freeze, so that its objects are exempt from cyclic GC as well
    freeze_loaded_objects()
    release_free_memory_above(WORKER_RELEASE_ABOVE_BYTES)
    layout = WarehouseLayout(Path(warehouse), parquet_root)
    ingested_at = utc_now()
    clock = StageClock()
    with cyclic_gc_paused():
        batch = build_batch(
            files.paths,
            run_id,
            ingested_at,
            known_sha256=files.known_sha256,
            final_attempt=task_run.run_count > PROCESS_BATCH_RETRIES,
        )
    clock.add(batch.seconds)
    crash_point("read")
    with clock("validate"):
        rows = check_rows(batch.articles, thresholds)
        passed, duplicates = drop_duplicate_articles(rows.passed)
        verdict = check_batch(
            passed,
            thresholds,
            rows_checked=batch.articles.num_rows,
            rows_rejected=len(rows.rejections),
            recent_row_counts=recent_counts,
        )
    crash_point("validate")
    quarantine = concat_tables(
        [batch.quarantine, rejected_rows(batch.articles, rows.rejections, run_id, ingested_at)]
    )
    files = settle_file_outcomes(batch.files, rows.passed, passed)
    if verdict.success:
        with clock("parquet"):
            name = f"{part:06d}"
            write_staged(layout, run_id, "articles", passed, name)
            crash_point("parquet")
            write_staged(layout, run_id, "boilerplate_removals", removals_of(passed, batch.removals), name)
            write_staged(layout, run_id, "quarantine", quarantine, name)
            write_staged(layout, run_id, "ingested_files", files, name)
    outcomes = rows.outcomes + verdict.outcomes
    return BatchOutcome(
        documents_seen=batch.documents_seen,
        quarantined=quarantine.num_rows,
        skipped=len(duplicates),
        outcomes=outcomes,
        dq_rows=dq_rows(
            run_id, part, outcomes, {ROW_SUITE: batch.articles.num_rows, BATCH_SUITE: passed.num_rows}
        ),
        blocked_reason=verdict.blocked_reason,
        stage_seconds=clock.seconds,
        reports=[label_report(report, run_id, part) for report in (rows.report, verdict.report) if report],
    )


@task(name="load-warehouse")
def load_warehouse(
    warehouse: str,
    run_id: str,
    run_row: dict,
    validation_rows: dict[str, list[dict]],
    parquet_root: str | None = None,
) -> dict:
    """Load the run's staged Parquet into DuckDB in one transaction and publish the Parquet."""
    layout = WarehouseLayout(Path(warehouse), parquet_root)
    # The flow's first connection of this run (under the same lock) already brought the schema up to date.
    with connect(layout, create_schema=False) as connection:
        result = load_run(
            layout,
            connection,
            run_id,
            run_row,
            validation_rows,
            checkpoint=lambda stage: crash_point(f"load_{stage}"),
        )
        by_rule = connection.execute(
            "SELECT rule, count(*) FROM boilerplate_removals WHERE run_id = ? GROUP BY rule ORDER BY 2 DESC, 1",
            [run_id],
        ).fetchall()
    return {"run_row": result.run_row, "by_rule": dict(by_rule)}


@task(name="refresh-analytics")
def refresh_warehouse_analytics(warehouse: str) -> None:
    """Bring near-duplicates, story clusters, figures and the search index up to date (step seconds are logged).

    Runs after the load's commit, on a connection and in a transaction of its own: a failed refresh must not undo
    the load, so it is logged and not raised, and the next refresh catches up on every article this one missed.
    """
    logger = get_run_logger()
    try:
        with connect(WarehouseLayout(Path(warehouse)), create_schema=False) as connection:
            report = refresh_analytics(connection)
    except Exception:
        logger.exception("analytics refresh failed; the load is kept, the next run retries it")
        return
    logger.info("analytics refreshed: %s", report)


@flow(name="newsetl", log_prints=True, task_runner=ThreadPoolTaskRunner(max_workers=1))
def newsetl_pipeline(
    inputs: list[str] | None = None,
    warehouse: str = "warehouse",
    dq_overrides: dict[str, str] | None = None,
    batch_size: int = DEFAULT_BATCH_FILES,
    lock_wait_seconds: float = 0.0,
    full: bool = False,
    analytics: bool = True,
    parquet_root: str | None = None,
) -> RunSummary:
    """Run the pipeline on ``inputs`` into ``warehouse``; returns the run summary (status loaded/blocked/failed).

    Only files that are new or changed since the last run are read, unless ``full``. One run holds the warehouse
    at a time: another waits up to ``lock_wait_seconds`` and then gives up with a clear message. Without
    ``analytics`` the derived tables and search index are left as they were (for bulk backfills); the next run
    with ``analytics`` catches up on every article loaded meanwhile. Parquet goes to ``parquet_root`` (a local path
    or an fsspec URL that every worker can reach) instead of ``<warehouse>/parquet``; DuckDB stays in ``warehouse``.
    """
    inputs = [str(path) for path in (inputs or ["seeds"])]
    thresholds = Thresholds().with_overrides(dq_overrides or {})
    layout = WarehouseLayout(Path(warehouse), parquet_root)
    run_id = new_run_id()
    site = DqSiteWork()
    with warehouse_lock(layout.lock, lock_wait_seconds):
        started = time.perf_counter()
        try:
            summary = _run(inputs, layout, thresholds, run_id, batch_size, full, analytics, site)
        finally:
            # Blocked and failed runs are exactly the ones people come to the dashboard for.
            publish_dq_site(str(layout.root), site.reports, build_docs=site.wait_for_docs())
        summary.seconds = round(time.perf_counter() - started, 3)
        return summary


def run_pipeline(
    *, runner: str = "process", workers: int | None = None, dask_address: str | None = None, **parameters
) -> RunSummary:
    """Run ``newsetl_pipeline`` with batch tasks on the chosen task runner (see ``flows.runners``)."""
    task_runner = make_task_runner(runner, workers, dask_address)
    return newsetl_pipeline.with_options(task_runner=task_runner)(**parameters)


def _run(
    inputs: list[str],
    layout: WarehouseLayout,
    thresholds: Thresholds,
    run_id: str,
    batch_size: int,
    full: bool,
    analytics: bool,
    site: DqSiteWork,
) -> RunSummary:
    logger = get_run_logger()
    started_at = utc_now()
    with connect(layout) as connection:
        recovered = recover_staging(layout, connection, run_id)
        history = recent_row_counts(connection, thresholds.row_count_history_runs)
    if recovered:
        logger.warning("finished or discarded staging left by interrupted runs: %s", ", ".join(recovered))
    run_row = {
        "run_id": run_id,
        "started_at": started_at,
        "status": "running",
        "files_seen": 0,
        "documents_seen": 0,
        "articles_loaded": 0,
        "quarantined": 0,
        "skipped": 0,
        "boilerplate_removed": 0,
        "inputs": inputs,
    }
    clock = StageClock()
    outcomes: list[ExpectationOutcome] = []
    validation_rows: dict[str, list[dict]] = {"dq_validations": [], "dq_expectation_results": []}
    try:
        with clock("discover"):
            plan, files_seen = _plan_run(inputs, layout, full)
            release_free_memory()  # the listing's memory, for the batches and the load
            _stage_discovery_rejections(layout, run_id, plan, started_at)
        crash_point("discover")
        blocked: list[str] = []
        documents = len(plan.new_rejections)
        quarantined = len(plan.new_rejections)
        skipped = 0
        bounds = chunk_files(
            plan.to_read.column("size").to_pylist(),
            max_files=batch_size,
            max_bytes=MAX_BATCH_BYTES,
            slots=task_slots(FlowRunContext.get().task_runner),
        )
        for part, outcome in _run_batches(plan, bounds, run_id, layout, thresholds, history):
            clock.add(outcome.stage_seconds)
            documents += outcome.documents_seen
            quarantined += outcome.quarantined
            skipped += outcome.skipped
            outcomes.extend(outcome.outcomes)
            site.reports.extend(outcome.reports)
            for table, rows in outcome.dq_rows.items():
                validation_rows[table].extend(rows)
            if outcome.blocked_reason:
                blocked.append(f"batch {part}: {outcome.blocked_reason}")
        if len(bounds) > 1 and _workers_are_local(FlowRunContext.get().task_runner):
            # The workers are idle now and have Great Expectations loaded: they render the Data Docs while this
            # process loads DuckDB (a single batch ran here, in this process, which has GE loaded too).
            site.start_docs_on_workers(str(layout.root))
        files_skipped = plan.unchanged + len(plan.unchanged_rejections)
        # The plan (some 70 bytes per file read) is not needed by the load, whose memory peak is the run's.
        del plan, bounds
        release_free_memory()
        run_row.update(
            files_seen=files_seen,
            files_skipped=files_skipped,
            documents_seen=documents,
            quarantined=quarantined,
            skipped=skipped,
            validation_success=not blocked,
        )
        if blocked:
            reason = "data-quality gate blocked the load: " + "; ".join(blocked)
            run_row.update(status="blocked", finished_at=utc_now(), reason=reason)
            with connect(layout) as connection:
                record_unloaded_run(layout, connection, run_id, run_row, validation_rows)
            summary = summarize(run_row, outcomes, {}, str(layout.database.resolve()), clock.seconds)
            publish_artifacts(summary, outcomes)
            return summary
        run_row.update(status="loaded", finished_at=utc_now())
        with clock("load"):
            loaded = load_warehouse(str(layout.root), run_id, run_row, validation_rows, layout.parquet_root)
        run_row = loaded["run_row"]
        if analytics:
            with clock("analytics"):
                refresh_warehouse_analytics(str(layout.root))
        summary = summarize(
            run_row, outcomes, loaded["by_rule"], str(layout.database.resolve()), clock.seconds
        )
        publish_artifacts(summary, outcomes)
        return summary
    except Exception as error:
        run_row.update(status="failed", finished_at=utc_now(), reason=f"{type(error).__name__}: {error}")
        with connect(layout) as connection:
            record_unloaded_run(layout, connection, run_id, run_row, validation_rows)
        raise


def _plan_run(inputs: list[str], layout: WarehouseLayout, full: bool) -> tuple[ReadPlan, int]:
    """Discover the inputs and plan what to read; returns the plan and how many entries were found.

    The listing is dropped here: only the plan (the files to read) lives on through the run.
    """
    discovery: Discovery = discover_inputs(inputs)
    with connect(layout, create_schema=False) as connection:
        plan = plan_reads(connection, discovery, full=full)
    return plan, discovery.listing.num_rows + len(discovery.rejections)


def _run_batches(
    plan: ReadPlan,
    bounds: list[tuple[int, int]],
    run_id: str,
    layout: WarehouseLayout,
    thresholds: Thresholds,
    history: list[int],
) -> Iterator[tuple[int, BatchOutcome]]:
    """Run the batch tasks on the flow's task runner, a bounded number in flight, yielding outcomes in order.

    A single batch runs inline: starting worker processes would cost more than the batch itself. The window keeps
    memory flat however many batches a run has: results are small, tasks in flight hold their batch, and a
    batch's paths become Python objects only when it is submitted.
    """

    def arguments(part: int) -> tuple:
        files = BatchFiles(*plan.batch(*bounds[part]))
        return files, run_id, part, str(layout.root), thresholds, history, layout.parquet_root

    if len(bounds) == 1:
        yield 0, process_batch(*arguments(0))
        return
    window = IN_FLIGHT_PER_WORKER * task_slots(FlowRunContext.get().task_runner)
    pending: deque[tuple[int, PrefectFuture]] = deque()
    for part in range(len(bounds)):
        pending.append((part, process_batch.submit(*arguments(part))))
        if len(pending) >= window:
            done, future = pending.popleft()
            yield done, future.result()
    while pending:
        done, future = pending.popleft()
        yield done, future.result()


def _workers_are_local(runner) -> bool:
    """Whether the task runner's workers share this machine's disk (a process or thread pool, not a cluster)."""
    return isinstance(runner, ThreadPoolTaskRunner | ProcessPoolTaskRunner)


def _stage_discovery_rejections(layout: WarehouseLayout, run_id: str, plan: ReadPlan, at) -> None:
    """Stage quarantine and manifest rows for entries refused before reading (outside links, missing inputs)."""
    if not plan.new_rejections:
        return
    write_staged(layout, run_id, "quarantine", quarantine_rows(plan.new_rejections, run_id, at), "discovery")
    entries = [(rejection, *entry_stat(rejection.source_path)) for rejection in plan.new_rejections]
    write_staged(layout, run_id, "ingested_files", discovery_file_rows(entries, run_id, at), "discovery")
