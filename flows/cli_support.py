"""What every ``newsetl`` command shares: the consoles, the ``--warehouse`` option, read-only SQL and its output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

# Analysts pipe output to files and pagers: keep rows on one line even when stdout is not a terminal.
console = Console(width=None if Console().is_terminal else 200)
error_console = Console(stderr=True)

WarehouseOption = Annotated[
    Path | None, typer.Option("--warehouse", "-w", help="Warehouse directory [default: warehouse/].")
]


def warehouse_root(warehouse: Path | None) -> Path:
    """The warehouse directory a command works on: the option, else the settings' default."""
    from flows.settings import load_settings

    return warehouse or load_settings().warehouse


def read_only_rows(
    command: str, warehouse: Path | None, sql: str, parameters: list | None = None
) -> tuple[list[str], list[tuple]]:
    """Column names and rows of ``sql`` on a read-only connection; a one-line error and exit 1 when it fails."""
    import duckdb

    from warehouse.layout import WarehouseLayout
    from warehouse.store import connect

    try:
        with connect(WarehouseLayout(warehouse_root(warehouse)), read_only=True) as connection:
            cursor = connection.execute(sql, parameters)
            columns = [column[0] for column in cursor.description or []]
            return columns, cursor.fetchall()
    except (duckdb.Error, FileNotFoundError) as error:
        # markup=False: DuckDB's messages quote SQL, whose brackets rich would take for style tags.
        error_console.print(f"newsetl: {command} failed: {error}", markup=False)
        raise typer.Exit(1) from None


def echo_json_lines(columns: list[str], rows: list[tuple]) -> None:
    """Print rows as JSON objects, one a line (values that JSON lacks, such as timestamps, as text)."""
    for row in rows:
        typer.echo(json.dumps(dict(zip(columns, row, strict=True)), default=str, ensure_ascii=False))


def truncate(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, an ellipsis marking the cut."""
    return text if len(text) <= width else text[: width - 1] + "…"
