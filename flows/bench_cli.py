"""``newsetl synth`` and ``newsetl bench``: a synthetic corpus, and the pipeline measured on it."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from flows.settings import DEFAULT_BATCH_FILES

# Keep table rows on one line when the output goes to a file or a CI log.
console = Console(width=None if Console().is_terminal else 160)
error_console = Console(stderr=True)


class CorpusFormat(StrEnum):
    """File formats of a synthetic corpus."""

    txt = "txt"
    html = "html"
    jsonl = "jsonl"
    mixed = "mixed"


ArticlesOption = Annotated[int, typer.Option("--articles", "-n", min=1, help="Number of articles.")]
FormatOption = Annotated[CorpusFormat, typer.Option("--format", "-f", help="Corpus file format.")]
SeedOption = Annotated[int, typer.Option(help="Random seed: the same seed gives the same bytes.")]


def synth(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the corpus into.")],
    articles: ArticlesOption = 1000,
    fmt: FormatOption = CorpusFormat.txt,
    seed: SeedOption = 0,
) -> None:
    """Write a synthetic corpus of news articles built from the seeds' sentences (for benchmarks and tests)."""
    from flows.bench import write_corpus

    try:
        corpus = write_corpus(out, articles, fmt.value, seed)
    except (FileExistsError, ValueError) as error:
        error_console.print(f"newsetl: {error}")
        raise typer.Exit(1) from None
    kinds = ", ".join(f"{count:,} {kind}" for kind, count in corpus.kinds.items())
    console.print(
        f"wrote {corpus.articles:,} articles ({kinds}) in {corpus.files:,} {corpus.format} files, "
        f"{corpus.bytes / 1e6:,.1f} MB, to {out} in {corpus.seconds:.1f} s"
    )


def bench(
    articles: ArticlesOption = 100_000,
    fmt: FormatOption = CorpusFormat.txt,
    workdir: Annotated[
        Path, typer.Option(help="Folder for the corpus, warehouses and scratch files (git-ignored).")
    ] = Path("bench"),
    json_out: Annotated[
        Path | None,
        typer.Option(help="Write the figures to this JSON file [default: WORKDIR/bench-FMT-N.json]."),
    ] = None,
    seed: SeedOption = 0,
    batch_size: Annotated[int, typer.Option(min=1, help="Files per batch task.")] = DEFAULT_BATCH_FILES,
    sample: Annotated[int, typer.Option(min=1, help="Articles in the trafilatura comparison sample.")] = 2000,
    runner: Annotated[
        str, typer.Option(help="Task runner of the batch tasks (process, thread, dask), as in newsetl run.")
    ] = "process",
    analytics: Annotated[
        bool,
        typer.Option(
            help="Refresh the analytics after the load, as newsetl run does; --no-analytics measures the ETL alone."
        ),
    ] = True,
) -> None:
    """Measure the pipeline on a synthetic corpus: throughput, stage times, peak RSS, no-op re-run, I/O floor."""
    from flows.bench import report_rows, run_bench

    result = run_bench(
        workdir,
        articles,
        fmt.value,
        seed=seed,
        batch_size=batch_size,
        trafilatura_sample=sample,
        runner=runner,
        analytics=analytics,
    )
    target = json_out or workdir / f"bench-{fmt.value}-{articles}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2), encoding="utf-8")
    table = Table(title=f"newsetl bench: {articles:,} {fmt.value} articles", show_header=False)
    table.add_column("metric")
    table.add_column("value")
    for metric, value in report_rows(result):
        table.add_row(metric, value)
    console.print(table)
    console.print(f"figures written to {target}")


def register(app: typer.Typer) -> None:
    """Add the ``synth`` and ``bench`` commands to the newsetl CLI."""
    app.command("synth")(synth)
    app.command("bench")(bench)
