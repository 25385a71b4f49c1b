"""Read-only queries behind the data-quality dashboard: the recent runs, their checks, quarantine and loads.

Everything comes back as plain dicts and lists (timestamps as ``YYYY-MM-DD HH:MM:SS`` text, UTC), so the renderer
(``transforms.dashboard``) needs no database.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from warehouse.layout import WarehouseLayout
from warehouse.store import connect

DEFAULT_RUNS = 20
QUARANTINE_ROWS = 50
OUTLETS = 100

# The window every section shares: the N most recent runs, whatever their status.
_RUNS = "SELECT run_id FROM pipeline_runs ORDER BY started_at DESC, run_id DESC LIMIT $runs"


def read_dashboard_data(layout: WarehouseLayout, runs: int = DEFAULT_RUNS) -> dict:
    """Everything the dashboard shows about the ``runs`` most recent runs, read from a read-only connection."""
    with connect(layout, read_only=True) as connection:
        return dashboard_data(connection, runs)


def dashboard_data(connection: duckdb.DuckDBPyConnection, runs: int = DEFAULT_RUNS) -> dict:
    """The dashboard's data from an open connection (see ``read_dashboard_data``)."""
    recent = recent_runs(connection, runs)
    latest = recent[-1] if recent else None
    return {
        "runs": recent,
        "latest_run": latest,
        "latest_failures": failed_expectations(connection, latest["run_id"]) if latest else [],
        "pass_rates": expectation_pass_rates(connection, runs),
        "quarantine_by_reason": quarantine_by_reason(connection, runs),
        "quarantine_rows": quarantine_rows(connection, runs),
        "articles_by_outlet": articles_by_outlet(connection, runs),
    }


def recent_runs(connection: duckdb.DuckDBPyConnection, runs: int) -> list[dict]:
    """The ``runs`` most recent runs, oldest first, with their status, reason and counts."""
    rows = _dicts(
        connection,
        f"""
        SELECT run_id, started_at, finished_at, status, reason, validation_success, files_seen, documents_seen,
               articles_loaded, quarantined, skipped
        FROM pipeline_runs WHERE run_id IN ({_RUNS})
        ORDER BY started_at DESC, run_id DESC
        """,
        {"runs": runs},
    )
    return rows[::-1]


def failed_expectations(connection: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    """The expectations one run failed, with how many batches failed them and how many rows were unexpected."""
    return _dicts(
        connection,
        """
        SELECT suite, expectation_type AS expectation, "column" AS column_name,
               count(*) AS validations, sum(coalesce(unexpected_count, 0)) AS unexpected
        FROM dq_expectation_results WHERE run_id = $run_id AND NOT success
        GROUP BY ALL ORDER BY suite, expectation, column_name
        """,
        {"run_id": run_id},
    )


def expectation_pass_rates(connection: duckdb.DuckDBPyConnection, runs: int) -> list[dict]:
    """Per expectation and run: the share that passed, from 0 to 1.

    A column expectation's rate is the share of validated rows that met it (one bad row among thousands is a
    quarantine, not a failed run); a table-level one's is the share of batch validations that passed.
    """
    return _dicts(
        connection,
        f"""
        WITH results AS (
            SELECT r.suite, r.expectation_type, r."column", r.run_id, r.success,
                   coalesce(r.unexpected_count, 0) AS unexpected, v.rows_validated
            FROM dq_expectation_results r
            LEFT JOIN dq_validations v USING (run_id, batch_part, suite)
            WHERE r.run_id IN ({_RUNS})
        )
        SELECT suite, expectation_type AS expectation, "column" AS column_name, run_id,
               count(*) AS validations,
               count(*) FILTER (WHERE success) AS passed,
               sum(unexpected) AS unexpected,
               sum(coalesce(rows_validated, 0)) AS rows_validated,
               CASE WHEN "column" IS NOT NULL AND sum(coalesce(rows_validated, 0)) > 0
                    THEN greatest(0.0, 1.0 - sum(unexpected) / sum(rows_validated))
                    ELSE count(*) FILTER (WHERE success) / count(*) END AS pass_rate,
               CASE WHEN "column" IS NOT NULL AND sum(coalesce(rows_validated, 0)) > 0
                    THEN 'rows' ELSE 'validations' END AS basis
        FROM results
        GROUP BY suite, expectation_type, "column", run_id
        ORDER BY suite DESC, column_name NULLS FIRST, expectation, run_id
        """,
        {"runs": runs},
    )


def quarantine_by_reason(connection: duckdb.DuckDBPyConnection, runs: int) -> list[dict]:
    """Rows quarantined by the recent runs, counted per stage and reason, most frequent first."""
    return _dicts(
        connection,
        f"""
        SELECT stage, reason, count(*) AS quarantined, count(DISTINCT source_path) AS files
        FROM quarantine WHERE run_id IN ({_RUNS})
        GROUP BY ALL ORDER BY quarantined DESC, stage, reason
        """,
        {"runs": runs},
    )


def quarantine_rows(
    connection: duckdb.DuckDBPyConnection, runs: int, limit: int = QUARANTINE_ROWS
) -> list[dict]:
    """The most recent quarantine rows of the recent runs: where each came from and why it was refused."""
    return _dicts(
        connection,
        f"""
        SELECT run_id, source_path, source_record, stage, reason, detail, quarantined_at
        FROM quarantine WHERE run_id IN ({_RUNS})
        ORDER BY quarantined_at DESC, source_path, source_record LIMIT $limit
        """,
        {"runs": runs, "limit": limit},
    )


def articles_by_outlet(connection: duckdb.DuckDBPyConnection, runs: int, limit: int = OUTLETS) -> list[dict]:
    """Articles loaded by the recent runs per outlet (NULL outlet as None), most first."""
    return _dicts(
        connection,
        f"""
        SELECT outlet, count(*) AS articles
        FROM articles WHERE run_id IN ({_RUNS})
        GROUP BY outlet ORDER BY articles DESC, outlet NULLS LAST LIMIT $limit
        """,
        {"runs": runs, "limit": limit},
    )


def _dicts(connection: duckdb.DuckDBPyConnection, sql: str, parameters: dict) -> list[dict]:
    cursor = connection.execute(sql, parameters)
    columns = [column[0] for column in cursor.description]
    return [
        {name: _plain(value) for name, value in zip(columns, row, strict=True)} for row in cursor.fetchall()
    ]


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value
