"""The dashboard renderer on small inline data: sections, charts, escaping, empty states."""

from __future__ import annotations

import re

from transforms.dashboard import render_dashboard

HOSTILE = '<script>alert("x")</script><img src="http://evil.example/x.png">'


def _run(run_id: str, status: str, loaded: int, reason: str | None = None) -> dict:
    return {
        "run_id": run_id,
        "started_at": f"2026-01-0{run_id[-1]} 10:00:00",
        "finished_at": f"2026-01-0{run_id[-1]} 10:01:00",
        "status": status,
        "reason": reason,
        "validation_success": status == "loaded",
        "files_seen": 3,
        "documents_seen": 3,
        "articles_loaded": loaded,
        "quarantined": 1,
        "skipped": 0,
    }


def _rate(run_id: str, expectation: str, column: str | None, rate: float) -> dict:
    return {
        "suite": "articles.rows" if column else "articles.batch",
        "expectation": expectation,
        "column_name": column,
        "run_id": run_id,
        "validations": 1,
        "passed": int(rate == 1.0),
        "unexpected": 0 if rate == 1.0 else 1,
        "rows_validated": 4,
        "pass_rate": rate,
        "basis": "rows" if column else "validations",
    }


DATA = {
    "runs": [_run("r1", "loaded", 12), _run("r2", "blocked", 0, f"gate blocked: {HOSTILE}")],
    "latest_run": _run("r2", "blocked", 0, f"gate blocked: {HOSTILE}"),
    "latest_failures": [
        {
            "suite": "articles.rows",
            "expectation": "expect_column_values_to_be_between",
            "column_name": "word_count",
            "validations": 1,
            "unexpected": 3,
        }
    ],
    "pass_rates": [
        _rate("r1", "expect_column_values_to_be_between", "word_count", 1.0),
        _rate("r2", "expect_column_values_to_be_between", "word_count", 0.25),
        _rate("r1", "expect_table_columns_to_match_ordered_list", None, 1.0),
    ],
    "quarantine_by_reason": [{"stage": "validate", "reason": HOSTILE, "quarantined": 2, "files": 1}],
    "quarantine_rows": [
        {
            "run_id": "r1",
            "source_path": f"in/{HOSTILE}.txt",
            "source_record": 0,
            "stage": "validate",
            "reason": "expect_column_values_to_be_between",
            "detail": f"title={HOSTILE!r} fails",
            "quarantined_at": "2026-01-01 10:00:30",
        }
    ],
    "articles_by_outlet": [{"outlet": HOSTILE, "articles": 7}, {"outlet": None, "articles": 5}]
    + [{"outlet": f"Outlet {n}", "articles": 1} for n in range(20)],
}


def _page(data: dict = DATA, docs: str | None = "data_docs/index.html") -> str:
    return render_dashboard(data, data_docs_href=docs, generated_at="2026-01-02 10:02:00", warehouse="/w")


def test_every_section_and_chart_is_there() -> None:
    page = _page()
    for section in (
        "latest-run",
        "data-docs",
        "pass-rates",
        "articles-per-run",
        "articles-per-outlet",
        "quarantine",
    ):
        assert f'<section id="{section}"' in page
    assert page.count("<svg") == 4
    assert 'href="data_docs/index.html"' in page
    assert ">blocked<" in page and "25.0" in page
    # 22 outlets are folded into 12 bars: 11 named and the rest
    assert "11 other outlets" in page


def test_text_from_the_data_is_escaped() -> None:
    page = _page()
    assert "<script" not in page and "<img" not in page
    assert 'src="http' not in page
    assert page.count("&lt;script&gt;") >= 5


def test_the_page_loads_nothing() -> None:
    page = _page()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_an_empty_warehouse_renders_placeholders() -> None:
    empty = {
        "runs": [],
        "latest_run": None,
        "latest_failures": [],
        "pass_rates": [],
        "quarantine_by_reason": [],
    }
    page = _page(empty, docs=None)
    assert "No runs recorded yet" in page and "No Data Docs built yet" in page
    assert "<svg" not in page
