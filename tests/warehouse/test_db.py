"""Connection helpers: settings scoped to a block of work."""

from __future__ import annotations

import duckdb
import pytest

from warehouse.db import scoped_settings

SETTINGS = "SELECT current_setting('threads'), current_setting('memory_limit')"


def test_scoped_settings_hold_inside_the_block_and_are_restored_after_it_even_when_it_fails() -> None:
    connection = duckdb.connect()
    connection.execute("SET threads = 3")
    connection.execute("SET memory_limit = '1GiB'")
    before = connection.execute(SETTINGS).fetchone()
    with (
        pytest.raises(RuntimeError, match="load failed"),
        scoped_settings(connection, threads="1", memory_limit="256MB"),
    ):
        threads, limit = connection.execute(SETTINGS).fetchone()
        assert (threads, limit) != before
        assert threads == 1 and limit.startswith("244")  # DuckDB reports 256 MB in MiB
        raise RuntimeError("load failed")
    assert connection.execute(SETTINGS).fetchone() == before
