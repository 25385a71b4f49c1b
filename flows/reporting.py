"""What a run reports: the summary the CLI prints, the validation rows DuckDB stores, the Prefect artifacts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from expectations.gate import ExpectationOutcome
from transforms.articles import utc_now


@dataclass(slots=True)
class RunSummary:
    """The run's accounting and verdict, as printed by the CLI and stored in ``pipeline_runs``."""

    run_id: str
    status: str
    files_seen: int
    files_loaded: int
    files_quarantined: int
    files_skipped: int
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
    # The flow's wall time, from taking the warehouse lock to the data-quality site being written.
    seconds: float = 0.0

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

    def add(self, seconds: dict[str, float]) -> None:
        """Fold in another clock's stage seconds (a batch task's)."""
        for stage, value in seconds.items():
            self.seconds[stage] = self.seconds.get(stage, 0.0) + value


def dq_rows(
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


def summarize(
    run_row: dict,
    outcomes: list[ExpectationOutcome],
    by_rule: dict[str, int],
    database: str,
    stage_seconds: dict[str, float],
) -> RunSummary:
    """The run summary from the ``pipeline_runs`` row and the validation outcomes."""
    failed = sorted({f"{o.suite}:{o.expectation}({o.column or 'table'})" for o in outcomes if not o.success})
    return RunSummary(
        run_id=run_row["run_id"],
        status=run_row["status"],
        files_seen=run_row["files_seen"],
        files_loaded=run_row.get("files_loaded") or 0,
        files_quarantined=run_row.get("files_quarantined") or 0,
        files_skipped=run_row.get("files_skipped") or 0,
        documents_seen=run_row["documents_seen"],
        articles_loaded=run_row["articles_loaded"],
        quarantined=run_row["quarantined"],
        skipped=run_row["skipped"],
        removals_by_rule=by_rule,
        validation_success=run_row.get("validation_success"),
        expectations_evaluated=len(outcomes),
        expectations_failed=failed,
        reason=run_row.get("reason"),
        database=database,
        stage_seconds={stage: round(seconds, 4) for stage, seconds in stage_seconds.items()},
    )


def publish_artifacts(summary: RunSummary, outcomes: list[ExpectationOutcome]) -> None:
    """Show the run in the Prefect UI: a markdown summary and a table of expectation results."""
    rules = "\n".join(f"| {rule} | {count} |" for rule, count in summary.removals_by_rule.items())
    create_markdown_artifact(
        key="newsetl-run-summary",
        description=f"newsetl run {summary.run_id}",
        markdown=(
            f"# newsetl run `{summary.run_id}`: {summary.status}\n\n"
            f"{summary.reason or ''}\n\n"
            "| files seen | loaded | quarantined | skipped | documents | articles loaded | rows quarantined |"
            " duplicates skipped |\n|---|---|---|---|---|---|---|---|\n"
            f"| {summary.files_seen} | {summary.files_loaded} | {summary.files_quarantined} | "
            f"{summary.files_skipped} | {summary.documents_seen} | {summary.articles_loaded} | "
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
