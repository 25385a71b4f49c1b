"""Hostile input: every case loads correctly or lands in quarantine with a clear reason, and the run finishes.

The corpus is built by the fixture (the 50 MB and 5 MB files are generated, not committed). The run goes through
the real CLI in a subprocess; as root, without the capabilities that let root read any file, so that a file
without read permission is really unreadable.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.conftest import NEWSETL, REPO, write_file

GOOD = (
    "The regional parliament approved a new water law on Tuesday after a heated debate that lasted into the night. "
    "The law caps the amount farmers may draw from rivers during droughts and funds new reservoirs in the south. "
    "Environmental groups welcomed the caps but said the reservoirs would damage protected wetlands."
)
DROP_TITLE = "'); DROP TABLE articles; --"


def _paragraphs(seed: str) -> str:
    return "\n\n".join(f"{GOOD} ({seed}, part {n}.)" for n in range(3))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    os.chmod(root, 0o755)
    inputs = root / "inputs"
    write_file(inputs, "empty.txt", b"")
    write_file(inputs, "whitespace.txt", b"  \n\t\n   \n")
    write_file(inputs, "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40)
    damaged = _paragraphs("damaged “quotes” café").encode()
    write_file(inputs, "invalid_utf8.txt", damaged[:400] + b"\xff" + damaged[400:])
    write_file(inputs, "utf16.txt", _paragraphs("utf-16 café").encode("utf-16"))
    write_file(
        inputs,
        "cp1252.txt",
        f"“Quoted” headline — naïve\n\n{_paragraphs('cp1252 “smart” quotes')}".encode("cp1252"),
    )
    (inputs / "big.txt").write_bytes((_paragraphs("big") + "\n").encode() * (50 * 1024 * 1024 // 2000))
    (inputs / "one_line.txt").write_bytes(b"word " * (5 * 1024 * 1024 // 5))
    write_file(
        inputs,
        "soup.html",
        "<html><head><title>Water Law Passes | Example Post</title><style>p{color:red}</style>"
        "<script>alert('x')</script></head><body><nav><a href='/'>Home</a></nav><article><h1>Water Law Passes</h1>"
        + "".join(
            f"<p>{GOOD.replace('and', '&amp;')} &#8220;Part {n}&#8221; &nbsp;&eacute;t&eacute;.</p>"
            for n in range(3)
        )
        + "<script>document.write('<p>injected</p>')</script></article><footer>&copy; 2024 Example Post</footer></body></html>",
    )
    write_file(
        inputs,
        "boilerplate_only.txt",
        "[ad_1]\nAdvertisement\nSign up for The Daily Example\nShare this article\n",
    )
    good = write_file(inputs, "good.txt", f"Water Law Passes\n\n{_paragraphs('good')}\n")
    shutil.copy(good, inputs / "good copy.txt")
    write_file(inputs, "spaced name ünï 'q\".txt", f"Unicode Names Work\n\n{_paragraphs('names')}\n")
    write_file(inputs, "sql.txt", f"{DROP_TITLE}\n\n{_paragraphs('sql')}\n")
    outside = write_file(root / "outside", "secret.txt", _paragraphs("outside"))
    (inputs / "link_outside.txt").symlink_to(outside)
    # A named pipe: opening it to read waited for a writer, and the run hung for good. Two links to each other.
    os.mkfifo(inputs / "pipe.txt")
    (inputs / "loop_a.txt").symlink_to(inputs / "loop_b.txt")
    (inputs / "loop_b.txt").symlink_to(inputs / "loop_a.txt")
    unreadable = write_file(inputs, "unreadable.txt", _paragraphs("unreadable"))
    unreadable.chmod(0o000)
    write_file(inputs / "folder.txt", "inner.txt", f"Inner File Loads\n\n{_paragraphs('inner')}\n")
    records = [
        json.dumps({"title": "First Record", "text": _paragraphs("jsonl one")}),
        '{"title": "broken", "text": ',
        json.dumps({"title": "Third Record", "text": _paragraphs("jsonl three")}),
    ]
    write_file(inputs, "feed.jsonl", "\n".join(records) + "\n")
    # Nested deeper than Python's json parser recurses: a RecursionError failed the whole run.
    write_file(inputs, "deep.jsonl", '{"text": ' + "[" * 200_000 + "]" * 200_000 + "}\n")
    return root


@pytest.fixture(scope="module")
def outcome(hostile: Path, prefect_harness: str) -> dict:
    env = dict(os.environ, PREFECT_API_URL=prefect_harness, PREFECT_LOGGING_LEVEL="WARNING")
    warehouse = hostile / "warehouse"
    command = [*NEWSETL, "run", "-i", str(hostile / "inputs"), "-w", str(warehouse), "--json"]
    if os.geteuid() == 0:
        drop = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", *command]
    result = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    with duckdb.connect(str(warehouse / "news.duckdb"), read_only=True) as connection:
        quarantine = {
            (Path(path).name, record): (stage, reason, detail)
            for path, record, stage, reason, detail in connection.execute(
                "SELECT source_path, source_record, stage, reason, detail FROM quarantine"
            ).fetchall()
        }
        articles = {
            (Path(path).name, record): (title, body)
            for path, record, title, body in connection.execute(
                "SELECT source_path, source_record, title, body FROM articles"
            ).fetchall()
        }
        files = {
            Path(path).name: (outcome, detail)
            for path, outcome, detail in connection.execute(
                "SELECT path, outcome, detail FROM ingested_files"
            ).fetchall()
        }
    return {"summary": summary, "quarantine": quarantine, "articles": articles, "files": files}


@pytest.mark.parametrize(
    ("name", "stage", "reason"),
    [
        ("empty.txt", "read", "empty_file"),
        ("whitespace.txt", "read", "empty_file"),
        ("image.txt", "decode", "undecodable"),
        ("big.txt", "read", "file_too_large"),
        ("one_line.txt", "validate", "expect_column_values_to_be_between"),
        ("boilerplate_only.txt", "validate", "expect_column_value_lengths_to_be_between"),
        ("link_outside.txt", "read", "symlink_outside_input"),
        ("unreadable.txt", "read", "permission_denied"),
        ("pipe.txt", "read", "not_a_regular_file"),
        ("loop_a.txt", "read", "symlink_loop"),
        ("loop_b.txt", "read", "symlink_loop"),
    ],
)
def test_bad_files_are_quarantined_with_a_reason(outcome: dict, name: str, stage: str, reason: str) -> None:
    got_stage, got_reason, detail = outcome["quarantine"][(name, 0)]
    assert (got_stage, got_reason) == (stage, reason)
    assert detail
    assert outcome["files"][name][0] == "quarantined"


def test_decodable_files_load_with_the_right_text(outcome: dict) -> None:
    articles = outcome["articles"]
    assert (
        "\ufffd" in articles[("invalid_utf8.txt", 0)][1]
        and "“quotes”" in articles[("invalid_utf8.txt", 0)][1]
    )
    assert "utf-16 café" in articles[("utf16.txt", 0)][1]
    assert articles[("cp1252.txt", 0)][0] == "“Quoted” headline — naïve"
    assert "“smart” quotes" in articles[("cp1252.txt", 0)][1]
    assert ("spaced name ünï 'q\".txt", 0) in articles
    assert ("inner.txt", 0) in articles


def test_html_soup_loads_without_script_or_style(outcome: dict) -> None:
    title, body = outcome["articles"][("soup.html", 0)]
    assert title == "Water Law Passes"
    assert "alert" not in body and "color:red" not in body and "injected" not in body
    assert "“Part 1”" in body and "été" in body and "&amp;" not in body and " & " in body


def test_sql_in_a_title_loads_verbatim(outcome: dict) -> None:
    assert outcome["articles"][("sql.txt", 0)][0] == DROP_TITLE


def test_exact_duplicate_is_skipped_with_the_id_it_duplicates(outcome: dict) -> None:
    pair = ["good copy.txt", "good.txt"]
    outcomes = sorted(outcome["files"][name][0] for name in pair)
    assert outcomes == ["loaded", "skipped"]
    [skipped] = [name for name in pair if outcome["files"][name][0] == "skipped"]
    assert outcome["files"][skipped][1].startswith("duplicate of ")
    assert sum((name, 0) in outcome["articles"] for name in pair) == 1


def test_jsonl_good_lines_load_and_the_malformed_one_is_quarantined(outcome: dict) -> None:
    assert {key for key in outcome["articles"] if key[0] == "feed.jsonl"} == {
        ("feed.jsonl", 1),
        ("feed.jsonl", 3),
    }
    assert outcome["quarantine"][("feed.jsonl", 2)][1] == "malformed_json"


def test_json_nested_too_deep_is_quarantined_as_malformed(outcome: dict) -> None:
    stage, reason, detail = outcome["quarantine"][("deep.jsonl", 1)]
    assert (stage, reason) == ("parse", "malformed_json") and "nested deeper" in detail
    assert outcome["files"]["deep.jsonl"][0] == "quarantined"


def test_the_run_accounts_for_every_input(outcome: dict) -> None:
    summary = outcome["summary"]
    assert summary["status"] == "loaded"
    assert (
        summary["files_seen"]
        == summary["files_loaded"] + summary["files_quarantined"] + summary["files_skipped"]
    )
    assert (
        summary["documents_seen"] == summary["articles_loaded"] + summary["quarantined"] + summary["skipped"]
    )
    assert summary["files_seen"] == 22
