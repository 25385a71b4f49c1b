"""``newsetl search``: BM25 full-text search over the current articles (the ``search_articles`` macro)."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.cli_support import WarehouseOption, console, echo_json_lines, read_only_rows, truncate

SNIPPET_WIDTH = 160


def register(app: typer.Typer) -> None:
    """Add the ``search`` command to the ``newsetl`` CLI."""
    app.command("search")(search)


def search(
    query: Annotated[str, typer.Argument(help='Words to look for, e.g. "ceasefire Stepanakert".')],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many articles to show.")] = 10,
    warehouse: WarehouseOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON lines.")] = False,
) -> None:
    """Rank current articles by BM25 relevance to QUERY (title and body); print title, outlet, score, snippet."""
    from rich.table import Table

    columns, rows = read_only_rows(
        "search",
        warehouse,
        "SELECT title, outlet, score, snippet, article_id, published_at FROM search_articles(?, max_rows := ?)",
        [query, limit],
    )
    if as_json:
        echo_json_lines(columns, rows)
        return
    table = Table(title=f"{len(rows)} article{'s' if len(rows) != 1 else ''} for {query!r}")
    for column in ("#", "title", "outlet", "score", "snippet"):
        table.add_column(column, justify="right" if column in ("#", "score") else "left")
    for rank, (title, outlet, score, snippet, *_) in enumerate(rows, start=1):
        table.add_row(str(rank), title or "(no title)", outlet or "", f"{score:.3f}", _snippet(snippet))
    console.print(table)


def _snippet(text: str) -> str:
    return truncate(" ".join(text.split()), SNIPPET_WIDTH)
