"""Connection helpers: batches fetched ahead of their consumer, from a real DuckDB result stream."""

from __future__ import annotations

import threading

import duckdb
import pytest

from warehouse.db import fetched_ahead, streamed

ROWS = 10_000
QUERY = f"SELECT i, repeat('x', i % 50) AS text FROM range({ROWS}) t(i) ORDER BY i"


def _fetch_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("newsetl-fetch")]


def test_every_batch_arrives_in_order() -> None:
    with duckdb.connect() as connection:
        expected = connection.execute(QUERY).fetchall()
        with streamed(connection, QUERY, batch_rows=1_000) as reader, fetched_ahead(reader) as batches:
            sizes, rows = [], []
            for batch in batches:
                sizes.append(batch.num_rows)
                rows.extend(zip(batch.column("i").to_pylist(), batch.column("text").to_pylist(), strict=True))
    assert rows == expected
    assert len(sizes) > 1 and sum(sizes) == ROWS
    assert not _fetch_threads()


def test_a_consumer_that_stops_early_leaves_no_fetch_running() -> None:
    with duckdb.connect() as connection:
        with (
            pytest.raises(OSError, match="disk full"),
            streamed(connection, QUERY, batch_rows=1_000) as reader,
            fetched_ahead(reader) as batches,
        ):
            next(batches)  # the next batch is now being fetched
            raise OSError("disk full")
        assert not _fetch_threads()
        # The connection is still usable: no result was left half read by a thread.
        assert connection.execute("SELECT 42").fetchone() == (42,)


def test_an_error_while_fetching_reaches_the_consumer() -> None:
    failing = (
        f"SELECT CASE WHEN i < 5000 THEN i ELSE error('broken row ' || i) END AS i FROM range({ROWS}) t(i)"
    )
    with (
        duckdb.connect() as connection,
        pytest.raises(duckdb.Error, match="broken row"),
        streamed(connection, failing, batch_rows=1_000) as reader,
        fetched_ahead(reader) as batches,
    ):
        for _ in batches:
            pass
    assert not _fetch_threads()
