"""``newsetl synth`` and ``newsetl bench`` through typer's CliRunner, on a small corpus (no timed assertions)."""

from __future__ import annotations

import json
from numbers import Number
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.bench import MANIFEST_NAME, ensure_corpus
from flows.cli import app
from tests.conftest import write_file

runner = CliRunner()

FIGURES = (
    ("pipeline", "seconds"),
    ("pipeline", "articles_per_s"),
    ("pipeline", "mb_per_s"),
    *(
        ("pipeline", "stage_seconds", stage)
        for stage in ("discover", "read_decode", "clean_split", "arrow", "validate", "parquet")
    ),
    ("pipeline", "stage_seconds", "load"),
    ("pipeline", "process_seconds"),
    ("peak_rss_mb", "flow_process"),
    ("peak_rss_mb", "workers"),
    ("peak_rss_mb", "largest_worker"),
    ("peak_rss_mb", "api_server"),
    ("peak_rss_mb", "total"),
    ("noop_rerun", "seconds"),
    ("noop_rerun", "process_seconds"),
    ("io_floor", "seconds"),
    ("io_floor", "articles_per_s"),
    ("io_floor", "mb_per_s"),
    ("trafilatura", "articles_per_s"),
    ("trafilatura", "newsetl_articles_per_s"),
    ("ratios", "pipeline_over_floor"),
    ("ratios", "pipeline_over_trafilatura"),
    ("ratios", "newsetl_one_core_over_trafilatura"),
    ("warmup_seconds",),
)


def _figure(result: dict, path: tuple[str, ...]) -> object:
    for key in path:
        result = result[key]
    return result


@pytest.mark.usefixtures("prefect_harness")
def test_bench_reports_every_figure(tmp_path: Path) -> None:
    # One bench, with the analytics refresh (the default, and the longer path): each run of it costs some 30 s.
    target = tmp_path / "figures.json"
    result = runner.invoke(
        app,
        [
            "bench",
            "-n",
            "300",
            "--batch-size",
            "100",
            "--workdir",
            str(tmp_path / "bench"),
            "--json-out",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(target.read_text(encoding="utf-8"))
    for path in FIGURES:
        value = _figure(figures, path)
        assert isinstance(value, Number) and value >= 0, (path, value)
    pipeline = figures["pipeline"]
    assert pipeline["status"] == "loaded" and pipeline["documents_seen"] == 300
    assert (
        pipeline["documents_seen"]
        == pipeline["articles_loaded"] + pipeline["quarantined"] + pipeline["skipped"]
    )
    assert pipeline["skipped"] >= 6, "the corpus's duplicates are skipped"
    assert figures["noop_rerun"]["articles_loaded"] == 0
    assert figures["noop_rerun"]["files_skipped"] == figures["corpus"]["files"] == 300
    assert figures["io_floor"]["files"] == 300
    rss = figures["peak_rss_mb"]
    # The run went through a child `newsetl run`: its flow process and workers were seen, apart from the bench.
    assert 100 < rss["largest_worker"] <= rss["workers"] < rss["total"]  # workers hold Prefect, GE, pandas
    assert 100 < rss["flow_process"] < rss["total"]
    assert figures["pipeline"]["seconds"] < figures["pipeline"]["process_seconds"]
    assert figures["params"]["analytics"] is True and pipeline["stage_seconds"]["analytics"] > 0
    for text in ("end to end", "clean_split", "peak RSS", "no-op re-run", "I/O floor", "trafilatura"):
        assert text in result.output


def test_corpus_is_reused_when_parameters_match(tmp_path: Path) -> None:
    first = ensure_corpus(tmp_path, 120, "jsonl", seed=2)
    assert not first.reused and first.files == 1
    assert ensure_corpus(tmp_path, 120, "jsonl", seed=2).reused
    assert not ensure_corpus(tmp_path, 120, "jsonl", seed=3).reused


def test_synth_writes_a_sharded_corpus(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    result = runner.invoke(app, ["synth", "--articles", "1500", "--out", str(out), "--format", "html"])
    assert result.exit_code == 0, result.output
    files = sorted(path for path in out.rglob("*.html"))
    assert len(files) == 1500
    assert {path.parent.name for path in files} == {"0000", "0001"}
    assert (out / MANIFEST_NAME).is_file()
    # Running it again replaces the corpus it made.
    assert runner.invoke(app, ["synth", "-n", "10", "-o", str(out)]).exit_code == 0
    assert len(list(out.rglob("*.txt"))) == 10 and not list(out.rglob("*.html"))


def test_synth_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    write_file(tmp_path / "data", "precious.txt", "not a synthetic corpus")
    result = runner.invoke(app, ["synth", "-n", "10", "-o", str(tmp_path / "data")])
    assert result.exit_code == 1
    assert (tmp_path / "data" / "precious.txt").read_text() == "not a synthetic corpus"
