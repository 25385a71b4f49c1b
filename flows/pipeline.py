"""The newsetl flow: discover -> (read, clean, split, validate, stage Parquet) per batch -> load -> publish.

Thin Prefect wiring: every step calls a function of ``transforms``, ``expectations`` or ``warehouse``. Tasks take a
batch of files, never one article, because a task costs milliseconds and a run may hold a million articles.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from expectations.articles import BATCH_SUITE, ROW_SUITE
from expectations.gate import ExpectationOutcome, check_batch, check_rows
from expectations.thresholds import Thresholds
from flows import settings as _settings  # noqa: F401  (sets the no-telemetry environment before prefect loads)
from transforms.articles import utc_now
from transforms.batch import (
    build_batch,
    drop_duplicate_articles,
    quarantine_rows,
    rejected_rows,
    removals_of,
)
from transforms.discovery import Discovery, discover
from transforms.schemas import concat_tables
from warehouse.layout import WarehouseLayout
from warehouse.lock import warehouse_lock
from warehouse.parquet import write_staged
from warehouse.store import connect, load_run, recent_row_counts, record_unloaded_run, recover_staging


@dataclass(slots=True)
class BatchOutcome:
    """What one batch task reports back: counts, validation results, and whether the gate blocked it."""

    documents_seen: int = 0
    articles_passed: int = 0
    quarantined: int = 0
    skipped: int = 0
    removals: int = 0
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    dq_rows: dict[str, list[dict]] = field(default_factory=dict)
    blocked_reason: str | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class RunSummary:
    """The run's accounting and verdict, as printed by the CLI and stored in ``pipeline_runs``."""

    run_id: str
    status: str
    files_seen: int
    documents_seen: int
    articles_loaded: int
    quarantined: int
    skipped: int
    removals_by_rule: dict[str, int]
    validation_success: bool | None
    expectations_evaluated: int
    expectations_failed: list[str]
    reason: str | None
    database: str
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Plain-data view (for JSON output and artifacts)."""
        return asdict(self)


class StageClock:
    """Wall-clock seconds spent per named stage (summed over repeated entries)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started


def new_run_id() -> str:
    """A sortable, unique run id: UTC time plus a random suffix."""
    return utc_now().strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def chunk(items: list[str], size: int) -> list[list[str]]:
    """Consecutive slices of ``items`` of at most ``size``."""
    return [items[start : start + size] for start in range(0, len(items), max(size, 1))]


@task(name="discover-inputs")
def discover_inputs(inputs: list[str]) -> Discovery:
    """Find the input files."""
    return discover(inputs)


def _is_transient(task, task_run, state) -> bool:
    """Retry a batch only for I/O errors (a flaky mount), never for a deterministic bug."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:
        return False
    return False


@task(name="process-batch", retries=2, retry_delay_seconds=1, retry_condition_fn=_is_transient)
def process_batch(
    paths: list[str], run_id: str, part: int, warehouse: str, thresholds: Thresholds, recent_counts: list[int]
) -> BatchOutcome:
    """Read, clean, split and validate one batch of files, and stage its Parquet.

    Order matters: rows failing row expectations leave first (quarantine), then repeated articles (skipped), so a
    quarantined copy never hides a good one; the batch suite then judges exactly what would be loaded.
    """
    layout = WarehouseLayout(Path(warehouse))
    ingested_at = utc_now()
    clock = StageClock()
    with clock("read_clean_split"):
        batch = build_batch(paths, run_id, ingested_at)
    with clock("validate"):
        rows = check_rows(batch.articles, thresholds)
    passed, duplicates = drop_duplicate_articles(rows.passed)
    with clock("validate"):
        verdict = check_batch(
            passed,
            thresholds,
            rows_checked=batch.articles.num_rows,
            rows_rejected=len(rows.rejections),
            recent_row_counts=recent_counts,
        )
    quarantine = concat_tables(
        [batch.quarantine, rejected_rows(batch.articles, rows.rejections, run_id, ingested_at)]
    )
    removals = removals_of(passed, batch.removals)
    if verdict.success:
        with clock("parquet"):
            write_staged(layout, run_id, "articles", passed, f"{part:06d}")
            write_staged(layout, run_id, "boilerplate_removals", removals, f"{part:06d}")
            write_staged(layout, run_id, "quarantine", quarantine, f"{part:06d}")
    return BatchOutcome(
        documents_seen=batch.documents_seen,
        articles_passed=passed.num_rows,
        quarantined=quarantine.num_rows,
        skipped=len(duplicates),
        removals=removals.num_rows,
        outcomes=rows.outcomes + verdict.outcomes,
        dq_rows=_dq_rows(
            run_id,
            part,
            rows.outcomes + verdict.outcomes,
            {ROW_SUITE: batch.articles.num_rows, BATCH_SUITE: passed.num_rows},
        ),
        blocked_reason=verdict.blocked_reason,
        stage_seconds=clock.seconds,
    )


@task(name="load-warehouse")
def load_warehouse(warehouse: str, run_id: str, run_row: dict, dq_rows: dict[str, list[dict]]) -> dict:
    """Load the run's staged Parquet into DuckDB in one transaction and publish the Parquet."""
    layout = WarehouseLayout(Path(warehouse))
    with connect(layout) as connection:
        result = load_run(layout, connection, run_id, run_row, dq_rows)
        by_rule = connection.execute(
            "SELECT rule, count(*) FROM boilerplate_removals WHERE run_id = ? GROUP BY rule ORDER BY 2 DESC, 1",
            [run_id],
        ).fetchall()
    return {
        "loaded": result.articles_loaded,
        "duplicates": result.duplicates_skipped,
        "by_rule": dict(by_rule),
    }


@flow(name="newsetl", log_prints=True)
def newsetl_pipeline(
    inputs: list[str] | None = None,
    warehouse: str = "warehouse",
    dq_overrides: dict[str, str] | None = None,
    batch_size: int = 2000,
    lock_wait_seconds: float = 0.0,
) -> RunSummary:
    """Run the pipeline on ``inputs`` into ``warehouse``; returns the run summary (status loaded/blocked/failed)."""
    inputs = [str(path) for path in (inputs or ["seeds"])]
    thresholds = Thresholds().with_overrides(dq_overrides or {})
    layout = WarehouseLayout(Path(warehouse))
    run_id = new_run_id()
    with warehouse_lock(layout.lock, lock_wait_seconds):
        return _run(inputs, layout, thresholds, run_id, batch_size)


def _run(
    inputs: list[str], layout: WarehouseLayout, thresholds: Thresholds, run_id: str, batch_size: int
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
    outcomes: list[ExpectationOutcome] = []
    dq_rows: dict[str, list[dict]] = {"dq_validations": [], "dq_expectation_results": []}
    clock = StageClock()
    try:
        with clock("discover"):
            discovery = discover_inputs(inputs)
        if discovery.rejections:
            write_staged(
                layout,
                run_id,
                "quarantine",
                quarantine_rows(discovery.rejections, run_id, started_at),
                "discovery",
            )
        totals = BatchOutcome(documents_seen=len(discovery.rejections), quarantined=len(discovery.rejections))
        blocked: list[str] = []
        for part, paths in enumerate(chunk(discovery.files, batch_size)):
            outcome = process_batch(paths, run_id, part, str(layout.root), thresholds, history)
            _add(totals, outcome)
            outcomes.extend(outcome.outcomes)
            for table, rows in outcome.dq_rows.items():
                dq_rows[table].extend(rows)
            if outcome.blocked_reason:
                blocked.append(f"batch {part}: {outcome.blocked_reason}")
        run_row.update(
            files_seen=len(discovery.files) + len(discovery.rejections),
            documents_seen=totals.documents_seen,
            quarantined=totals.quarantined,
            skipped=totals.skipped,
            boilerplate_removed=totals.removals,
            validation_success=not blocked,
        )
        if blocked:
            reason = "data-quality gate blocked the load: " + "; ".join(blocked)
            run_row.update(status="blocked", finished_at=utc_now(), reason=reason, quarantined=0)
            with connect(layout) as connection:
                record_unloaded_run(layout, connection, run_id, run_row, dq_rows)
            return _summary(layout, run_row, outcomes, {})
        run_row.update(status="loaded", finished_at=utc_now())
        with clock("load"):
            loaded = load_warehouse(str(layout.root), run_id, run_row, dq_rows)
        run_row.update(articles_loaded=loaded["loaded"], skipped=run_row["skipped"] + loaded["duplicates"])
        summary = _summary(
            layout, run_row, outcomes, loaded["by_rule"], {**totals.stage_seconds, **clock.seconds}
        )
        _publish_artifacts(summary, outcomes)
        return summary
    except Exception as error:
        run_row.update(status="failed", finished_at=utc_now(), reason=f"{type(error).__name__}: {error}")
        with connect(layout) as connection:
            record_unloaded_run(layout, connection, run_id, run_row, dq_rows)
        raise


def _add(totals: BatchOutcome, outcome: BatchOutcome) -> None:
    totals.documents_seen += outcome.documents_seen
    totals.articles_passed += outcome.articles_passed
    totals.quarantined += outcome.quarantined
    totals.skipped += outcome.skipped
    totals.removals += outcome.removals
    for stage, seconds in outcome.stage_seconds.items():
        totals.stage_seconds[stage] = totals.stage_seconds.get(stage, 0.0) + seconds


def _dq_rows(
    run_id: str, part: int, outcomes: list[ExpectationOutcome], rows_validated: dict[str, int]
) -> dict:
    """The ``dq_validations`` and ``dq_expectation_results`` rows of one batch's validations."""
    validated_at = utc_now()
    validations = []
    for suite in dict.fromkeys(outcome.suite for outcome in outcomes):
        results = [outcome for outcome in outcomes if outcome.suite == suite]
        passed = sum(outcome.success for outcome in results)
        validations.append(
            {
                "run_id": run_id,
                "batch_part": part,
                "suite": suite,
                "success": passed == len(results),
                "evaluated": len(results),
                "successful": passed,
                "unsuccessful": len(results) - passed,
                "rows_validated": rows_validated.get(suite, 0),
                "validated_at": validated_at,
            }
        )
    results = [
        dict(outcome.as_row(), run_id=run_id, batch_part=part, validated_at=validated_at)
        for outcome in outcomes
    ]
    return {"dq_validations": validations, "dq_expectation_results": results}


def _summary(
    layout: WarehouseLayout,
    run_row: dict,
    outcomes: list[ExpectationOutcome],
    by_rule: dict,
    stage_seconds: dict[str, float] | None = None,
) -> RunSummary:
    failed = sorted({f"{o.suite}:{o.expectation}({o.column or 'table'})" for o in outcomes if not o.success})
    return RunSummary(
        run_id=run_row["run_id"],
        status=run_row["status"],
        files_seen=run_row["files_seen"],
        documents_seen=run_row["documents_seen"],
        articles_loaded=run_row["articles_loaded"],
        quarantined=run_row["quarantined"],
        skipped=run_row["skipped"],
        removals_by_rule=by_rule,
        validation_success=run_row.get("validation_success"),
        expectations_evaluated=len(outcomes),
        expectations_failed=failed,
        reason=run_row.get("reason"),
        database=str(layout.database.resolve()),
        stage_seconds={stage: round(seconds, 4) for stage, seconds in (stage_seconds or {}).items()},
    )


def _publish_artifacts(summary: RunSummary, outcomes: list[ExpectationOutcome]) -> None:
    """Show the run in the Prefect UI: a markdown summary and a table of expectation results."""
    rules = "\n".join(f"| {rule} | {count} |" for rule, count in summary.removals_by_rule.items())
    create_markdown_artifact(
        key="newsetl-run-summary",
        description=f"newsetl run {summary.run_id}",
        markdown=(
            f"# newsetl run `{summary.run_id}`: {summary.status}\n\n"
            f"| files seen | documents | loaded | quarantined | skipped |\n|---|---|---|---|---|\n"
            f"| {summary.files_seen} | {summary.documents_seen} | {summary.articles_loaded} | "
            f"{summary.quarantined} | {summary.skipped} |\n\n"
            f"## Boilerplate removed by rule\n\n| rule | removals |\n|---|---|\n{rules}\n"
        ),
    )
    create_table_artifact(
        key="newsetl-validation",
        description=f"Great Expectations results of run {summary.run_id}",
        table=[
            {
                "suite": o.suite,
                "expectation": o.expectation,
                "column": o.column or "",
                "success": o.success,
                "unexpected": o.unexpected_count,
            }
            for o in outcomes
        ],
    )
