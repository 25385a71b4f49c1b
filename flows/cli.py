"""The ``newsetl`` command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flows import bench_cli, dq_cli, search_cli
from flows.cli_support import (
    WarehouseOption,
    console,
    echo_json_lines,
    error_console,
    read_only_rows,
    truncate,
)
from flows.settings import load_settings

ParquetRootOption = Annotated[
    str | None,
    typer.Option(
        help="Where Parquet goes: a local path or an fsspec URL every worker can reach (s3://bucket/prefix)"
        " [default: <warehouse>/parquet]."
    ),
]

app = typer.Typer(
    help="newsetl: batch ETL for scraped news articles.", no_args_is_help=True, add_completion=False
)


def _parse_overrides(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--dq")
        overrides[name.strip()] = value.strip()
    return overrides


@app.command()
def run(
    input: Annotated[
        list[Path] | None,
        typer.Option("--input", "-i", help="Input file or folder (repeatable) [default: seeds/]."),
    ] = None,
    warehouse: WarehouseOption = None,
    parquet_root: ParquetRootOption = None,
    dq: Annotated[
        list[str] | None,
        typer.Option("--dq", help="Override a data-quality threshold: KEY=VALUE (repeatable)."),
    ] = None,
    batch_size: Annotated[int | None, typer.Option(help="Files per batch task.")] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Read every file again, ignoring the manifest.")
    ] = False,
    runner: Annotated[
        str, typer.Option(help="Where batches run: process (all cores), thread, or dask.")
    ] = "process",
    workers: Annotated[int | None, typer.Option(help="Worker processes [default: one per core].")] = None,
    dask_address: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address, e.g. tcp://host:8786 [default: a local cluster]."),
    ] = None,
    wait: Annotated[
        float | None, typer.Option(help="Seconds to wait for another run to release the warehouse.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON.")] = False,
    analytics: Annotated[
        bool,
        typer.Option(
            "--analytics/--no-analytics",
            help="Refresh near-duplicates, stories, figures and search after the load (skip for bulk backfills;"
            " the next run with analytics catches up).",
        ),
    ] = True,
) -> None:
    """Run the pipeline: ingest, clean, split metadata, write Parquet, validate, load DuckDB."""
    settings = load_settings()
    inputs = [str(path) for path in (input or settings.inputs)]
    batch_size = batch_size or settings.batch_size
    if runner == "process":
        from flows.worker_server import start_worker_server_for

        start_worker_server_for(inputs, batch_size)  # its imports overlap this process's own, below
    from flows.pipeline import run_pipeline
    from warehouse.lock import WarehouseBusyError

    try:
        overrides = _parse_overrides(dq or [])
        summary = run_pipeline(
            runner=runner,
            workers=workers,
            dask_address=dask_address,
            inputs=inputs,
            warehouse=str(warehouse or settings.warehouse),
            dq_overrides=overrides,
            batch_size=batch_size,
            lock_wait_seconds=settings.lock_wait_seconds if wait is None else wait,
            full=full,
            analytics=analytics,
            parquet_root=parquet_root or settings.parquet_root,
        )
    except WarehouseBusyError as error:
        error_console.print(f"newsetl: {error}")
        raise typer.Exit(3) from None
    except (ValueError, OSError) as error:
        error_console.print(f"newsetl: run failed: {error}")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False))
    else:
        _print_summary(summary)
    if summary.status != "loaded":
        error_console.print(f"newsetl: {summary.status}: {summary.reason}")
        raise typer.Exit(2)


def _print_summary(summary) -> None:
    table = Table(title=f"newsetl run {summary.run_id}: {summary.status}", show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for label, value in (
        ("files seen", summary.files_seen),
        (
            "  loaded / quarantined / skipped",
            f"{summary.files_loaded} / {summary.files_quarantined} / {summary.files_skipped}",
        ),
        ("documents seen", summary.documents_seen),
        ("articles loaded", summary.articles_loaded),
        ("quarantined", summary.quarantined),
        ("skipped (duplicates)", summary.skipped),
    ):
        table.add_row(label, str(value))
    verdict = "passed" if summary.validation_success else "FAILED"
    failed = f" (failed: {', '.join(summary.expectations_failed)})" if summary.expectations_failed else ""
    table.add_row("validation", f"{verdict}: {summary.expectations_evaluated} expectation results{failed}")
    console.print(table)
    if summary.removals_by_rule:
        rules = Table(title="boilerplate removed by rule")
        rules.add_column("rule")
        rules.add_column("removals", justify="right")
        for rule, count in summary.removals_by_rule.items():
            rules.add_row(rule, str(count))
        console.print(rules)
    console.print(f"DuckDB warehouse: {summary.database}")
    from flows.dashboard import dashboard_path

    dashboard = dashboard_path(Path(summary.database).parent)
    if dashboard.exists():
        console.print(f"Data-quality dashboard: {dashboard}")


@app.command()
def serve(
    cron: Annotated[
        str, typer.Option(help="Cron schedule (UTC), e.g. '0 * * * *' for hourly.")
    ] = "0 * * * *",
    input: Annotated[
        list[Path] | None, typer.Option("--input", "-i", help="Input file or folder (repeatable).")
    ] = None,
    warehouse: WarehouseOption = None,
    parquet_root: ParquetRootOption = None,
    dq: Annotated[
        list[str] | None, typer.Option("--dq", help="Data-quality threshold override KEY=VALUE.")
    ] = None,
    name: Annotated[str, typer.Option(help="Deployment name.")] = "newsetl-scheduled",
    wait: Annotated[float, typer.Option(help="Seconds a scheduled run waits for a busy warehouse.")] = 600.0,
) -> None:
    """Serve the pipeline as a Prefect deployment on a cron schedule (needs `prefect server start`)."""
    from flows.pipeline import newsetl_pipeline

    settings = load_settings()
    newsetl_pipeline.serve(
        name=name,
        cron=cron,
        parameters={
            "inputs": [str(path.resolve()) for path in (input or settings.inputs)],
            "warehouse": str((warehouse or settings.warehouse).resolve()),
            "dq_overrides": _parse_overrides(dq or []),
            "lock_wait_seconds": wait,
            "parquet_root": parquet_root or settings.parquet_root,
        },
        description="newsetl: ingest new or changed articles, validate, load DuckDB.",
        tags=["newsetl"],
        global_limit=1,
        limit=1,
    )


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run (read-only).")],
    warehouse: WarehouseOption = None,
    max_width: Annotated[int, typer.Option(help="Truncate cell text to this many characters.")] = 80,
    as_json: Annotated[bool, typer.Option("--json", help="Print rows as JSON lines.")] = False,
) -> None:
    """Run read-only SQL against the warehouse and print the result as a table."""
    columns, rows = read_only_rows("query", warehouse, sql)
    if as_json:
        echo_json_lines(columns, rows)
        return
    table = Table()
    for column in columns:
        table.add_column(column, no_wrap=True, overflow="ellipsis", max_width=max_width)
    for row in rows:
        table.add_row(*(_cell(value, max_width) for value in row))
    console.print(table)
    console.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")


@app.command("eval")
def eval_(
    gold: Annotated[Path, typer.Option(help="Gold set folder (case/input.* + case/expected.json).")] = Path(
        "tests/gold"
    ),
    html: Annotated[
        Path | None, typer.Option(help="Score HTML main-content extraction on a benchmark folder instead.")
    ] = None,
    compare: Annotated[bool, typer.Option(help="Also score trafilatura on the same inputs.")] = True,
    show_misses: Annotated[
        bool, typer.Option("--misses", help="List every line or field newsetl got wrong.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Measure cleaning and metadata accuracy on a labeled gold set (or HTML extraction F1), next to trafilatura."""
    from flows.evaluate import evaluate_gold, evaluate_html, gold_report_rows

    if html is not None:
        if not (html / "ground-truth.json").is_file():
            error_console.print(
                f"newsetl: {html} has no ground-truth.json (expected html/<id>.html.gz + ground-truth.json)"
            )
            raise typer.Exit(1)
        results = evaluate_html(html, compare=compare)
        if as_json:
            typer.echo(json.dumps(results))
            return
        table = Table(title=f"HTML extraction on {html} ({results[0]['pages']} pages, one core)")
        for column in ("extractor", "F1", "precision", "recall", "pages/s"):
            table.add_column(column, justify="left" if column == "extractor" else "right")
        for row in results:
            table.add_row(
                row["extractor"],
                f"{row['f1']:.4f}",
                f"{row['precision']:.4f}",
                f"{row['recall']:.4f}",
                f"{row['pages_per_s']:.0f}",
            )
        console.print(table)
        return

    if not gold.is_dir():
        error_console.print(f"newsetl: no gold set at {gold}")
        raise typer.Exit(1)
    scores = evaluate_gold(gold, compare=compare)
    if as_json:
        typer.echo(json.dumps([score.as_dict() for score in scores]))
        return
    table = Table(title=f"gold set {gold} ({scores[0].cases} articles)")
    table.add_column("metric")
    for score in scores:
        table.add_column(score.system, justify="right")
    for metric, figures in gold_report_rows(scores):
        table.add_row(metric, *figures)
    console.print(table)
    if show_misses:
        for miss in scores[0].misses:
            console.print(f"  {miss}")


def _cell(value: object, max_width: int) -> str:
    return truncate("NULL" if value is None else str(value), max_width)


for _commands in (dq_cli, search_cli, bench_cli):
    _commands.register(app)


if __name__ == "__main__":
    app()
