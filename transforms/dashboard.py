"""The data-quality dashboard as one self-contained HTML page: plain data in, HTML with inline SVG charts out.

The page must open from disk with the network off and must not run anything it was given: no script, no external
URL (a Content-Security-Policy forbids loading any), inline CSS only, and every text that comes from the data
(paths, titles, outlets, details) HTML-escaped.
"""

from __future__ import annotations

import html

STATUS_COLOURS = {"loaded": "#2e7d32", "blocked": "#e08600", "failed": "#c62828", "running": "#607d8b"}
BAR_COLOUR = "#3a6ea5"
QUARANTINE_COLOUR = "#8e44ad"
EMPTY_CELL = "#eceff1"
MAX_BARS = 12

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d2733;
       background: #f4f6f8; }
header { background: #1d2733; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #cfd8dc; }
header a { color: #9ecbff; }
main { padding: 18px 28px 40px; display: grid; gap: 18px; grid-template-columns: 1fr 1fr; }
section { background: #fff; border-radius: 8px; padding: 14px 18px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
section.wide { grid-column: 1 / -1; }
h2 { font-size: 16px; margin: 0 0 10px; }
.status { display: inline-block; padding: 4px 12px; border-radius: 14px; color: #fff; font-weight: 600;
          text-transform: uppercase; letter-spacing: .04em; }
.reason { background: #fff4e0; border-left: 4px solid #e08600; padding: 8px 12px; margin: 10px 0;
          white-space: pre-wrap; word-break: break-word; }
.counts { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0 0; }
.count { background: #f4f6f8; border-radius: 6px; padding: 6px 12px; min-width: 90px; }
.count b { display: block; font-size: 20px; }
.note { color: #5f6b76; font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e3e7ea; vertical-align: top; }
th { background: #f4f6f8; }
td.detail, td.path { word-break: break-all; }
svg { display: block; max-width: 100%; height: auto; font: 11px system-ui, sans-serif; }
.legend span { display: inline-block; margin-right: 12px; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; vertical-align: -1px;
          margin-right: 4px; }
"""


def render_dashboard(data: dict, *, data_docs_href: str | None, generated_at: str, warehouse: str) -> str:
    """The dashboard page for ``data`` (as ``warehouse.dq_report.dashboard_data`` returns it).

    ``data_docs_href`` is the relative link to the Great Expectations Data Docs index, or None when none were
    built yet.
    """
    runs = data.get("runs", [])
    sections = [
        _latest_run_section(data.get("latest_run"), data.get("latest_failures", [])),
        _links_section(data_docs_href),
        _pass_rate_section(data.get("pass_rates", []), runs),
        _articles_per_run_section(runs),
        _outlet_section(data.get("articles_by_outlet", [])),
        _quarantine_section(data.get("quarantine_by_reason", []), data.get("quarantine_rows", [])),
    ]
    docs_link = f' · <a href="{_e(data_docs_href)}">Data Docs</a>' if data_docs_href else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        # Belt and braces: even if data ever slipped through unescaped, the page may load and run nothing.
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>newsetl data quality</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        "<header><h1>newsetl data quality</h1>"
        f"<p>Warehouse {_e(warehouse)} · last {len(runs)} run{'s' if len(runs) != 1 else ''} · "
        f"generated {_e(generated_at)} UTC{docs_link}</p></header>\n"
        "<main>\n" + "\n".join(sections) + "\n</main>\n</body>\n</html>\n"
    )


def _latest_run_section(run: dict | None, failures: list[dict]) -> str:
    if run is None:
        body = '<p class="note">No runs recorded yet: run <code>newsetl run</code> first.</p>'
        return _section("latest-run", "Latest run", body, wide=True)
    status = run.get("status") or "unknown"
    colour = STATUS_COLOURS.get(status, "#607d8b")
    parts = [
        f'<p><span class="status" style="background:{colour}">{_e(status)}</span> '
        f"run <code>{_e(run.get('run_id'))}</code>, started {_e(run.get('started_at'))}, "
        f"finished {_e(run.get('finished_at') or '—')} (UTC)</p>"
    ]
    if run.get("reason"):
        parts.append(f'<div class="reason"><b>Reason:</b> {_e(run["reason"])}</div>')
    counts = [
        ("files seen", run.get("files_seen")),
        ("documents seen", run.get("documents_seen")),
        ("articles loaded", run.get("articles_loaded")),
        ("quarantined", run.get("quarantined")),
        ("skipped (duplicates)", run.get("skipped")),
    ]
    parts.append(
        '<div class="counts">'
        + "".join(
            f'<div class="count"><b>{_e(_number(value))}</b>{_e(label)}</div>' for label, value in counts
        )
        + "</div>"
    )
    if failures:
        rows = "".join(
            f"<tr><td>{_e(item['suite'])}</td><td>{_e(item['expectation'])}</td>"
            f"<td>{_e(item['column_name'] or '(table)')}</td><td>{_e(item['validations'])}</td>"
            f"<td>{_e(_number(item['unexpected']))}</td></tr>"
            for item in failures
        )
        parts.append(
            "<h3>Expectations this run failed</h3><table><tr><th>suite</th><th>expectation</th><th>column</th>"
            f"<th>batches</th><th>unexpected rows</th></tr>{rows}</table>"
        )
    return _section("latest-run", "Latest run", "".join(parts))


def _links_section(data_docs_href: str | None) -> str:
    if data_docs_href:
        body = (
            f'<p><a href="{_e(data_docs_href)}">Great Expectations Data Docs</a>: every validation of every '
            "batch, expectation by expectation, with sample unexpected values, and the suites themselves.</p>"
            '<p class="note">The Data Docs are Great Expectations\' own pages: they load their scripts and '
            "styles from public CDNs and show little without a network. This page needs none.</p>"
        )
    else:
        body = '<p class="note">No Data Docs built yet: they appear after the next run.</p>'
    return _section("data-docs", "Validation details", body)


def _pass_rate_section(pass_rates: list[dict], runs: list[dict]) -> str:
    if not pass_rates or not runs:
        return _section(
            "pass-rates", "Pass rate per expectation", _empty("No validations recorded."), wide=True
        )
    run_ids = [run["run_id"] for run in runs if any(rate["run_id"] == run["run_id"] for rate in pass_rates)]
    keys = list(
        dict.fromkeys((rate["suite"], rate["expectation"], rate["column_name"]) for rate in pass_rates)
    )
    cells = {
        (rate["suite"], rate["expectation"], rate["column_name"], rate["run_id"]): rate for rate in pass_rates
    }
    started = {run["run_id"]: run.get("started_at") or "" for run in runs}
    statuses = {run["run_id"]: run.get("status") or "" for run in runs}
    label_width, cell_w, cell_h, top = 330, 46, 24, 58
    width = label_width + cell_w * len(run_ids) + 10
    height = top + cell_h * len(keys) + 10
    parts = [_svg_open(width, height, "Pass rate of each expectation in each run")]
    for column, run_id in enumerate(run_ids):
        x = label_width + column * cell_w + cell_w / 2
        colour = STATUS_COLOURS.get(statuses[run_id], "#607d8b")
        parts.append(
            f"<g><title>{_e(run_id)} ({_e(statuses[run_id])})</title>"
            f'<text x="{x:.1f}" y="20" text-anchor="middle">{_e(_short_time(started[run_id]))}</text>'
            f'<text x="{x:.1f}" y="34" text-anchor="middle" fill="#5f6b76">{_e(started[run_id][:10][5:])}</text>'
            f'<rect x="{x - 16:.1f}" y="42" width="32" height="6" rx="2" fill="{colour}"/></g>'
        )
    for row, (suite, expectation, column_name) in enumerate(keys):
        y = top + row * cell_h
        label = f"{suite.split('.')[-1]} · {column_name or 'table'} · {_short_expectation(expectation)}"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + cell_h / 2 + 4:.1f}" text-anchor="end">'
            f"<title>{_e(suite)}: {_e(expectation)}({_e(column_name or 'table')})</title>"
            f"{_e(_truncate(label, 52))}</text>"
        )
        for column, run_id in enumerate(run_ids):
            x = label_width + column * cell_w
            cell = cells.get((suite, expectation, column_name, run_id))
            if cell is None:
                parts.append(
                    f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" '
                    f'fill="{EMPTY_CELL}"><title>not evaluated in {_e(run_id)}</title></rect>'
                )
                continue
            rate = float(cell["pass_rate"])
            basis = (
                f"{_number(cell['unexpected'])} of {_number(cell['rows_validated'])} rows unexpected"
                if cell["basis"] == "rows"
                else f"{cell['passed']} of {cell['validations']} validations passed"
            )
            parts.append(
                f"<g><title>{_e(run_id)}: {_e(_percent(rate))} ({_e(basis)})</title>"
                f'<rect x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{_rate_colour(rate)}"/>'
                f'<text x="{x + cell_w / 2:.1f}" y="{y + cell_h / 2 + 4:.1f}" text-anchor="middle" '
                f'fill="{"#fff" if rate < 0.99 else "#0b2e13"}">{_e(_percent(rate, short=True))}</text></g>'
            )
    parts.append("</svg>")
    legend = (
        '<p class="legend note">'
        + "".join(
            f'<span><i class="swatch" style="background:{colour}"></i>{label}</span>'
            for label, colour in (
                ("100%", _rate_colour(1.0)),
                ("≥ 99%", _rate_colour(0.995)),
                ("≥ 90%", _rate_colour(0.95)),
                ("< 90%", _rate_colour(0.5)),
                ("not evaluated", EMPTY_CELL),
            )
        )
        + "<br>Column expectations: share of rows that met the expectation (failing rows go to quarantine). "
        "Table expectations: share of batch validations that passed. The bar under each run is its status.</p>"
    )
    return _section("pass-rates", "Pass rate per expectation, per run", "".join(parts) + legend, wide=True)


def _articles_per_run_section(runs: list[dict]) -> str:
    if not runs:
        return _section("articles-per-run", "Articles loaded per run", _empty("No runs recorded."))
    width, height, left, bottom, top = 560, 260, 44, 46, 18
    plot_w, plot_h = width - left - 10, height - top - bottom
    peak = _nice_ceiling(max(int(run.get("articles_loaded") or 0) for run in runs))
    slot = plot_w / len(runs)
    bar_w = min(44.0, slot * 0.7)
    parts = [_svg_open(width, height, "Articles loaded per run"), _y_axis(left, top, plot_w, plot_h, peak)]
    for index, run in enumerate(runs):
        loaded = int(run.get("articles_loaded") or 0)
        status = run.get("status") or ""
        x = left + index * slot + (slot - bar_w) / 2
        bar_h = plot_h * loaded / peak
        y = top + plot_h - bar_h
        colour = STATUS_COLOURS.get(status, "#607d8b") if status != "loaded" else BAR_COLOUR
        tip = f"{run['run_id']}: {status}, {loaded} loaded, {run.get('quarantined') or 0} quarantined"
        parts.append(f"<g><title>{_e(tip)}</title>")
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" fill="{colour}"/>'
        )
        label = str(loaded) if status == "loaded" else status
        label_colour = "#1d2733" if status == "loaded" else colour
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" fill="{label_colour}">'
            f"{_e(label)}</text>"
        )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
            f"{_e(_short_time(run.get('started_at') or ''))}</text>"
            f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 30}" text-anchor="middle" fill="#5f6b76">'
            f"{_e((run.get('started_at') or '')[5:10])}</text></g>"
        )
    parts.append("</svg>")
    note = '<p class="note">Blocked and failed runs load nothing: their bar is empty and labelled.</p>'
    return _section("articles-per-run", "Articles loaded per run", "".join(parts) + note)


def _outlet_section(outlets: list[dict]) -> str:
    items = [
        (item["outlet"] if item["outlet"] is not None else "(no outlet)", item["articles"])
        for item in outlets
    ]
    if len(items) > MAX_BARS:
        rest = items[MAX_BARS - 1 :]
        items = [*items[: MAX_BARS - 1], (f"{len(rest)} other outlets", sum(count for _, count in rest))]
    body = (
        _hbar_chart(items, BAR_COLOUR, "Articles loaded per outlet")
        if items
        else _empty("No articles loaded.")
    )
    return _section("articles-per-outlet", "Articles loaded per outlet (these runs)", body)


def _quarantine_section(by_reason: list[dict], rows: list[dict]) -> str:
    if not by_reason:
        return _section("quarantine", "Quarantined rows by reason", _empty("Nothing quarantined."), wide=True)
    items = [(f"{item['stage']}: {item['reason']}", item["quarantined"]) for item in by_reason]
    chart = _hbar_chart(
        items[:MAX_BARS], QUARANTINE_COLOUR, "Quarantined rows by reason", width=1000, label_w=420
    )
    table_rows = "".join(
        f'<tr><td>{_e(row["quarantined_at"])}</td><td class="path">{_e(row["source_path"])}'
        f"{_e(_record(row.get('source_record')))}</td><td>{_e(row['stage'])}</td><td>{_e(row['reason'])}</td>"
        f'<td class="detail">{_e(row.get("detail") or "")}</td></tr>'
        for row in rows
    )
    total = sum(item["quarantined"] for item in by_reason)
    table = (
        f"<h3>Latest quarantined rows ({len(rows)} of {total})</h3>"
        "<table><tr><th>when (UTC)</th><th>source_path</th><th>stage</th><th>reason</th><th>detail</th></tr>"
        f"{table_rows}</table>"
    )
    return _section("quarantine", "Quarantined rows by reason", chart + table, wide=True)


def _hbar_chart(
    items: list[tuple[str, int]], colour: str, title: str, *, width: int = 560, label_w: int = 230
) -> str:
    bar_h, gap, value_w = 20, 6, 50
    label_chars = int(label_w / 6.3)
    plot_w = width - label_w - value_w
    height = len(items) * (bar_h + gap) + 8
    peak = max((count for _, count in items), default=1) or 1
    parts = [_svg_open(width, height, title)]
    for index, (label, count) in enumerate(items):
        y = 4 + index * (bar_h + gap)
        length = max(plot_w * count / peak, 1.0)
        parts.append(
            f"<g><title>{_e(label)}: {_e(count)}</title>"
            f'<text x="{label_w - 8}" y="{y + bar_h / 2 + 4:.1f}" text-anchor="end">'
            f"{_e(_truncate(label, label_chars))}</text>"
            f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{bar_h}" rx="2" fill="{colour}"/>'
            f'<text x="{label_w + length + 6:.1f}" y="{y + bar_h / 2 + 4:.1f}">{_e(count)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is at least ``value``: an axis top with round ticks."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _y_axis(left: float, top: float, plot_w: float, plot_h: float, peak: int) -> str:
    lines = []
    ticks = 4 if peak % 4 == 0 and peak >= 4 else 5 if peak % 5 == 0 else 2
    for tick in range(ticks + 1):
        y = top + plot_h * (1 - tick / ticks)
        value = f"{peak * tick / ticks:g}"
        lines.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#dfe3e6"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5f6b76">{value}</text>'
        )
    return "".join(lines)


def _svg_open(width: float, height: float, title: str) -> str:
    # No xmlns: inline SVG in HTML does not need one, and the page then holds no URL at all.
    return (
        f'<svg viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" role="img" '
        f'aria-label="{_e(title)}">'
    )


def _section(anchor: str, title: str, body: str, *, wide: bool = False) -> str:
    css = ' class="wide"' if wide else ""
    return f'<section id="{anchor}"{css}><h2>{_e(title)}</h2>{body}</section>'


def _empty(message: str) -> str:
    return f'<p class="note">{_e(message)}</p>'


def _rate_colour(rate: float) -> str:
    if rate >= 1.0:
        return "#2e7d32"
    if rate >= 0.99:
        return "#9ccc65"
    if rate >= 0.9:
        return "#f0a030"
    return "#c62828"


def _percent(rate: float, *, short: bool = False) -> str:
    if short:
        return (
            "100" if rate >= 1.0 else f"{min(rate * 100, 99.9):.1f}" if rate >= 0.1 else f"{rate * 100:.0f}"
        )
    return f"{rate * 100:.2f}%"


def _short_expectation(name: str) -> str:
    return name.removeprefix("expect_").removeprefix("column_").removeprefix("table_").replace("_", " ")


def _short_time(timestamp: str) -> str:
    return timestamp[11:16] if len(timestamp) >= 16 else timestamp


def _record(record: object) -> str:
    return f" #{record}" if record else ""


def _number(value: object) -> str:
    if value is None:
        return "—"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)
