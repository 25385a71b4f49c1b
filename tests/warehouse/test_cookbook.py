"""Every SQL block of docs/queries.md runs on a warehouse built by a real pipeline run, and returns rows unless it
says it may not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO
from warehouse.layout import WarehouseLayout
from warehouse.store import connect

COOKBOOK = REPO / "docs" / "queries.md"
MAY_BE_EMPTY = "-- may return no rows"
_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks() -> list[str]:
    return _BLOCK.findall(COOKBOOK.read_text(encoding="utf-8"))


def test_cookbook_answers_at_least_ten_questions() -> None:
    questions = re.findall(r"^### .*\?$", COOKBOOK.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(questions) >= 10
    assert len(_blocks()) >= 10


@pytest.mark.parametrize("sql", _blocks(), ids=lambda sql: sql.strip().splitlines()[-1][:40])
def test_cookbook_query_runs(sql: str, analyst_warehouse: Path) -> None:
    with connect(WarehouseLayout(analyst_warehouse), read_only=True) as connection:
        rows = connection.execute(sql).fetchall()
    if MAY_BE_EMPTY not in sql:
        assert rows, f"no rows from:\n{sql}"
