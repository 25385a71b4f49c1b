"""``newsetl dq``: write the data-quality dashboard of a warehouse."""

from __future__ import annotations

from typing import Annotated

import duckdb
import typer

from flows.cli_support import WarehouseOption, warehouse_root


def register(app: typer.Typer) -> None:
    """Add the ``dq`` command to the ``newsetl`` CLI."""
    app.command("dq")(dq)


def dq(
    warehouse: WarehouseOption = None,
    runs: Annotated[int, typer.Option("--runs", "-n", min=1, help="How many recent runs to show.")] = 20,
) -> None:
    """Write the data-quality dashboard (<warehouse>/dq/index.html): one offline page, charts included."""
    from expectations.data_docs import data_docs_index
    from flows.dashboard import write_dashboard

    root = warehouse_root(warehouse)
    try:
        page = write_dashboard(root, runs)
    except (duckdb.Error, FileNotFoundError) as error:
        typer.echo(f"newsetl: dq failed: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"dashboard: {page.resolve()}")
    docs = data_docs_index(root)
    typer.echo(f"Data Docs: {docs.resolve()}" if docs.exists() else "Data Docs: not built yet (next run)")
