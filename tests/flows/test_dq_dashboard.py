"""The data-quality site on a real warehouse: GE Data Docs from real validations, and the offline dashboard.

The warehouse, its Data Docs and its dashboard are built once for the module by the real flow: a clean seed run, a run that quarantines rows (one
carries ``<script>`` in its title) and loads an article whose outlet is ``<script>``, and a run the gate blocks.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.dashboard import write_dashboard
from flows.pipeline import newsetl_pipeline
from tests.conftest import REPO, SEEDS, write_file
from tests.flows.test_pipeline import GOOD_BODY
from transforms.dashboard import BAR_COLOUR, QUARANTINE_COLOUR, STATUS_COLOURS

SCRIPT = "<script>alert('pwned')</script>"
CHROMIUM = next(
    (path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None
)
SECTIONS = ("latest-run", "data-docs", "pass-rates", "articles-per-run", "articles-per-outlet", "quarantine")
REMOTE_REFERENCE = re.compile(r"""(?:src|href|action|srcset|xlink:href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def dq_site(prefect_harness: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("dq")
    warehouse = root / "warehouse"
    mixed = root / "mixed"
    write_file(mixed, "good.txt", f"Flood Plan Approved\n{GOOD_BODY}\n")
    write_file(mixed, "future.txt", f"date 2031-05-01 Paris : {GOOD_BODY}\n")
    write_file(mixed, "empty.txt", "")
    records = [
        {"title": "Harbour Reopens", "outlet": SCRIPT, "body": f"{GOOD_BODY} The harbour reopened today."},
        {"title": f"{SCRIPT} {'Very long headline ' * 20}", "body": f"{GOOD_BODY} A late edition."},
    ]
    write_file(mixed, "feed.jsonl", "".join(json.dumps(record) + "\n" for record in records))
    broken = root / "broken"
    write_file(broken, "good.txt", f"{GOOD_BODY} Another edition.\n")
    for n in range(3):
        write_file(broken, f"stub{n}.txt", f"Short stub number {n} with no article in it.\n")
    folders = (SEEDS, mixed, broken)
    # Each run of the flow builds its Data Docs pages and rewrites the dashboard itself.
    summaries = [newsetl_pipeline(inputs=[str(folder)], warehouse=str(warehouse)) for folder in folders]
    docs = warehouse / "dq" / "data_docs" / "index.html"
    page = warehouse / "dq" / "index.html"
    return {"warehouse": warehouse, "summaries": summaries, "docs": docs, "page": page}


def test_the_runs_cover_loaded_quarantined_and_blocked(dq_site: dict) -> None:
    statuses = [
        (summary.status, summary.articles_loaded, summary.quarantined) for summary in dq_site["summaries"]
    ]
    assert statuses == [("loaded", 5, 0), ("loaded", 2, 3), ("blocked", 0, 3)]


def test_data_docs_render_every_validation(dq_site: dict) -> None:
    docs: Path = dq_site["docs"]
    assert docs == dq_site["warehouse"] / "dq" / "data_docs" / "index.html"
    assert docs.is_file()
    pages = sorted((docs.parent / "validations").rglob("*.html"))
    # three runs, each validated by the row suite and the batch suite
    assert len(pages) == 6
    index = docs.read_text(encoding="utf-8")
    for summary in dq_site["summaries"]:
        assert summary.run_id in index
    assert (docs.parent / "expectations" / "articles" / "rows.html").is_file()
    rows_pages = [page.read_text(encoding="utf-8") for page in pages if "/rows/" in page.as_posix()]
    # GE puts unexpected values into its pages as raw HTML: ours are escaped before GE sees them.
    assert not any(SCRIPT in page for page in rows_pages)
    assert any("&lt;script&gt;alert('pwned')&lt;/script&gt;" in page for page in rows_pages)


def test_dashboard_has_every_section(dq_site: dict) -> None:
    page = dq_site["page"].read_text(encoding="utf-8")
    assert dq_site["page"] == dq_site["warehouse"] / "dq" / "index.html"
    for section in SECTIONS:
        assert f'<section id="{section}"' in page
    blocked = dq_site["summaries"][-1]
    assert blocked.run_id in page and "max_row_failure_ratio" in page
    assert 'href="data_docs/index.html"' in page
    assert page.count("<svg") == 4
    for reason in (
        "empty_file",
        "expect_column_values_to_be_between",
        "expect_column_value_lengths_to_be_between",
    ):
        assert reason in page
    assert "mixed/future.txt" in page


def test_dashboard_is_self_contained(dq_site: dict) -> None:
    page = dq_site["page"].read_text(encoding="utf-8")
    assert not REMOTE_REFERENCE.search(page)
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower().replace("&lt;script", "")
    assert "<link" not in page and "@import" not in page and "url(" not in page


def test_dashboard_escapes_text_from_the_data(dq_site: dict) -> None:
    page = dq_site["page"].read_text(encoding="utf-8")
    assert SCRIPT not in page
    escaped = "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;"
    # the outlet in its chart, and the quarantined title in the detail column
    assert page.count(escaped) >= 2
    assert re.search(r'<td class="detail">title=.{0,20}&lt;script&gt;', page)


def test_dq_command_writes_the_dashboard(dq_site: dict) -> None:
    page: Path = dq_site["page"]
    page.unlink()
    result = CliRunner().invoke(app, ["dq", "--warehouse", str(dq_site["warehouse"]), "--runs", "2"])
    assert result.exit_code == 0, result.output
    assert str(page.resolve()) in result.output and "Data Docs:" in result.output
    text = page.read_text(encoding="utf-8")
    assert "last 2 runs" in text and dq_site["summaries"][0].run_id not in text
    write_dashboard(dq_site["warehouse"])


def test_dq_command_without_a_warehouse_fails_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["dq", "--warehouse", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "run `newsetl run` first" in result.output


def test_readme_query_lists_this_weeks_failed_checks(dq_site: dict) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Data quality") :]
    [query] = re.findall(r"```sql\n(.*?)```", section, re.S)
    with duckdb.connect(str(dq_site["warehouse"] / "news.duckdb"), read_only=True) as connection:
        rows = connection.execute(query).fetchall()
    failed = {(suite, expectation, column) for suite, expectation, column, *_ in rows}
    assert failed == {
        ("articles.rows", "expect_column_values_to_be_between", "published_at"),
        ("articles.rows", "expect_column_value_lengths_to_be_between", "title"),
        ("articles.rows", "expect_column_value_lengths_to_be_between", "body"),
        ("articles.rows", "expect_column_values_to_be_between", "word_count"),
    }


@pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not found: install it with `apt-get install chromium`"
)
def test_dashboard_renders_its_charts_offline_in_chromium(dq_site: dict, tmp_path: Path) -> None:
    screenshot = tmp_path / "dashboard.png"
    completed = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            # No host resolves: the page must render with the network off.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={screenshot}",
            "--window-size=1280,2000",
            "--dump-dom",
            dq_site["page"].resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    dom = completed.stdout
    assert dom.count("<svg") == 4
    assert len(re.findall(r"<rect\b", dom)) >= 30
    assert SCRIPT not in dom
    width, height, colours = _png_colours(screenshot)
    assert (width, height) == (1280, 2000)
    assert len(colours) >= 20, "the screenshot is nearly blank"
    # the charts' own fills are on screen: loaded-run bars, quarantine bars, fully passing heat-map cells
    for fill in (BAR_COLOUR, QUARANTINE_COLOUR, STATUS_COLOURS["loaded"], STATUS_COLOURS["blocked"]):
        assert bytes.fromhex(fill.removeprefix("#")) in colours, fill


def _png_colours(path: Path) -> tuple[int, int, set[bytes]]:
    """Width, height and the set of RGB colours of an 8-bit RGB or RGBA PNG (a tiny decoder: no Pillow here)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, header, compressed = 8, b"", bytearray()
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            compressed += body
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, "unexpected PNG format"
    channels = 3 if colour_type == 2 else 4
    stride = width * channels
    raw = zlib.decompress(bytes(compressed))
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous, channels)
        colours.update(bytes(line[i : i + 3]) for i in range(0, stride, channels))
        previous = line
    return width, height, colours


def _unfilter(kind: int, line: bytearray, previous: bytearray, step: int) -> bytearray:
    """Undo one scanline's PNG filter (RFC 2083, section 6)."""
    if kind == 1:
        for i in range(step, len(line)):
            line[i] = (line[i] + line[i - step]) & 255
    elif kind == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, previous, strict=True))
    elif kind == 3:
        for i in range(len(line)):
            left = line[i - step] if i >= step else 0
            line[i] = (line[i] + ((left + previous[i]) >> 1)) & 255
    elif kind == 4:
        for i in range(len(line)):
            a = line[i - step] if i >= step else 0
            b = previous[i]
            c = previous[i - step] if i >= step else 0
            estimate = a + b - c
            pa, pb, pc = abs(estimate - a), abs(estimate - b), abs(estimate - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    return line


def test_every_run_publishes_its_summary_and_results_as_prefect_artifacts(dq_site: dict) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        summaries = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["newsetl-run-summary"]))
        )
        tables = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["newsetl-validation"]))
        )
    for summary in dq_site["summaries"]:
        [markdown] = [a for a in summaries if a.description == f"newsetl run {summary.run_id}"]
        assert f"`{summary.run_id}`: {summary.status}" in markdown.data
        [table] = [a for a in tables if summary.run_id in (a.description or "")]
        rows = json.loads(table.data) if isinstance(table.data, str) else table.data
        assert {row["suite"] for row in rows} == {"articles.rows", "articles.batch"}
    blocked = dq_site["summaries"][-1]
    [markdown] = [a for a in summaries if a.description == f"newsetl run {blocked.run_id}"]
    assert "max_row_failure_ratio" in markdown.data
