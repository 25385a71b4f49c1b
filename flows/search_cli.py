"""``newsetl search``: BM25 full-text search over the current articles (the ``search_articles`` macro)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import duckdb
import typer

SNIPPET_WIDTH = 160


def register(app: typer.Typer) -> None:
    """Add the ``search`` command to the ``newsetl`` CLI."""
    app.command("search")(search)


def search(
    query: Annotated[str, typer.Argument(help='Words to look for, e.g. "ceasefire Stepanakert".')],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many articles to show.")] = 10,
    warehouse: Annotated[
        Path | None, typer.Option("--warehouse", "-w", help="Warehouse directory [default: warehouse/].")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON lines.")] = False,
) -> None:
    """Rank current articles by BM25 relevance to QUERY (title and body); print title, outlet, score, snippet."""
    from rich.console import Console
    from rich.table import Table

    from flows.settings import load_settings
    from warehouse.layout import WarehouseLayout
    from warehouse.store import connect

    layout = WarehouseLayout(warehouse or load_settings().warehouse)
    try:
        with connect(layout, read_only=True) as connection:
            cursor = connection.execute(
                "SELECT title, outlet, score, snippet, article_id, published_at "
                "FROM search_articles(?, max_rows := ?)",
                [query, limit],
            )
            columns = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
    except (duckdb.Error, FileNotFoundError) as error:
        typer.echo(f"newsetl: search failed: {error}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        for row in rows:
            typer.echo(json.dumps(dict(zip(columns, row, strict=True)), default=str, ensure_ascii=False))
        return
    console = Console(width=None if Console().is_terminal else 200)
    table = Table(title=f"{len(rows)} article{'s' if len(rows) != 1 else ''} for {query!r}")
    for column in ("#", "title", "outlet", "score", "snippet"):
        table.add_column(column, justify="right" if column in ("#", "score") else "left")
    for rank, (title, outlet, score, snippet, *_) in enumerate(rows, start=1):
        table.add_row(str(rank), title or "(no title)", outlet or "", f"{score:.3f}", _snippet(snippet))
    console.print(table)


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_WIDTH else text[: SNIPPET_WIDTH - 1] + "…"
