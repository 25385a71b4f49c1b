"""Data Docs from the gate's reports: compact JSON-able reports, GE's site under <warehouse>/dq/data_docs/."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from expectations.data_docs import build_data_docs, data_docs_index, label_report
from expectations.gate import SAMPLE_CHARS, check_batch, check_rows
from expectations.thresholds import Thresholds
from tests.expectations.test_gate import BODY, _article
from transforms.schemas import ARTICLES, table_from_rows

SCRIPT = "<script>alert(1)</script>"


def _checks():
    table = table_from_rows(
        [
            _article(),
            _article(body=BODY + " Two.", title=SCRIPT + "T" * 400),
            _article(body=BODY + " [ad_1] " + "x" * 5000),
        ],
        ARTICLES,
    )
    rows = check_rows(table, Thresholds())
    batch = check_batch(rows.passed, Thresholds(), rows_checked=3, rows_rejected=2, recent_row_counts=[])
    return rows, batch


def test_reports_are_compact_json() -> None:
    rows, batch = _checks()
    assert rows.report["suite_name"] == "articles.rows" and batch.report["suite_name"] == "articles.batch"
    json.dumps([rows.report, batch.report])
    for result in rows.report["results"]:
        assert "unexpected_list" not in result["result"]
        for value in result["result"].get("partial_unexpected_list", []):
            assert not isinstance(value, str) or len(value) <= SAMPLE_CHARS + 1
    # the batch suite passed: the ratio of failing rows blocked the batch, outside GE
    assert not rows.report["success"] and batch.report["success"] and not batch.success


def test_label_report_names_the_run_and_batch() -> None:
    rows, _ = _checks()
    before = copy.deepcopy(rows.report)
    labelled = label_report(rows.report, "20260102T030405Z-0123abcd", 7)
    assert labelled["meta"]["run_id"] == {
        "run_name": "20260102T030405Z-0123abcd",
        "run_time": "2026-01-02T03:04:05+00:00",
    }
    assert rows.report == before  # labelled as a copy: the report itself is left as GE made it


def test_build_data_docs_writes_the_site_and_escapes_values(tmp_path: Path) -> None:
    rows, batch = _checks()
    reports = [label_report(report, "20260102T030405Z-0123abcd", 0) for report in (rows.report, batch.report)]
    index = build_data_docs(tmp_path, reports)
    assert index == data_docs_index(tmp_path) == tmp_path / "dq" / "data_docs" / "index.html"
    assert "20260102T030405Z-0123abcd" in index.read_text(encoding="utf-8")
    pages = list((index.parent / "validations").rglob("*.html"))
    assert len(pages) == 2
    text = "".join(page.read_text(encoding="utf-8") for page in pages)
    assert SCRIPT not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    # a later run adds its pages; the index lists both runs
    later = [label_report(rows.report, "20260103T000000Z-89abcdef", 0)]
    build_data_docs(tmp_path, later)
    assert len(list((index.parent / "validations").rglob("*.html"))) == 3
    assert "20260103T000000Z-89abcdef" in index.read_text(encoding="utf-8")
