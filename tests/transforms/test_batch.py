"""build_batch: files to Arrow tables, whatever size its row chunks."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow.compute as pc
import pytest

from tests.conftest import SEEDS
from transforms import batch as batch_module
from transforms.articles import build_article
from transforms.batch import build_batch
from transforms.documents import parse_source
from transforms.synth import render_file, seed_sentences, synth_article

GOLD = Path(__file__).parents[1] / "gold"


def test_articles_converted_in_chunks_equal_the_batch_converted_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sentences = seed_sentences(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
    for index in range(40):
        (tmp_path / f"synth-{index:02d}.txt").write_bytes(
            render_file(synth_article(sentences, 3, index), "txt")
        )
    (tmp_path / "empty.txt").write_bytes(b"")
    paths = [str(path) for path in sorted(SEEDS.glob("*.txt"))]
    paths += [str(path) for path in sorted(GOLD.glob("*/input.*"))] + sorted(map(str, tmp_path.iterdir()))
    at = datetime(2026, 1, 2, 3, 4, 5)

    monkeypatch.setattr(batch_module, "ROWS_PER_ARROW_CHUNK", 100_000)
    whole = build_batch(paths, "run", at)
    monkeypatch.setattr(batch_module, "ROWS_PER_ARROW_CHUNK", 7)
    chunked = build_batch(paths, "run", at)

    assert whole.articles.num_rows > 90 and whole.quarantine.num_rows >= 1
    for name in ("articles", "removals", "quarantine", "files"):
        assert getattr(chunked, name).equals(getattr(whole, name)), name
    assert (
        chunked.articles.column("language").null_count < chunked.articles.num_rows
    )  # languages were identified


def test_removal_rows_are_each_articles_removals_with_its_file_record_and_run() -> None:
    # The batch gathers removal rows column by column; row by row, they must be what build_article gave each
    # document, with the document's file, record and the run id, in the order of the files.
    paths = [str(path) for path in sorted(SEEDS.glob("*.txt"))] + [
        str(path) for path in sorted(GOLD.glob("*/input.*"))
    ]
    batch = build_batch(paths, "run-1", datetime(2026, 1, 2))
    expected = []
    for path in paths:
        for document in parse_source(path, Path(path).read_bytes()):
            for row in build_article(document, identify_language=False).removals:
                expected.append(
                    dict(row, source_path=path, source_record=document.source_record, run_id="run-1")
                )
    assert len(expected) > 20
    assert batch.removals.to_pylist() == [
        {name: row[name] for name in batch.removals.column_names} for row in expected
    ]


def test_settled_outcomes_quarantine_files_with_no_passing_article_and_skip_files_of_repeats(
    tmp_path: Path,
) -> None:
    from expectations.gate import check_rows
    from expectations.thresholds import Thresholds
    from transforms.batch import drop_duplicate_articles, settle_file_outcomes

    seeds = sorted(SEEDS.glob("*.txt"))
    (tmp_path / "copy.txt").write_bytes(seeds[0].read_bytes())
    (tmp_path / "stub.txt").write_text("Breaking news\n\nMore soon.\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    paths = [str(path) for path in seeds] + [
        str(tmp_path / name) for name in ("copy.txt", "stub.txt", "empty.txt")
    ]
    batch = build_batch(paths, "run", datetime(2026, 1, 2))
    checked = check_rows(batch.articles, Thresholds()).passed
    kept, _ = drop_duplicate_articles(checked)

    settled = settle_file_outcomes(batch.files, checked, kept)

    rows = {row["path"]: row for row in settled.to_pylist()}
    copied_id = checked.filter(pc.equal(checked.column("source_path"), str(seeds[0]))).column("article_id")[0]
    assert (rows[str(tmp_path / "copy.txt")]["outcome"], rows[str(tmp_path / "copy.txt")]["detail"]) == (
        "skipped",
        f"duplicate of {copied_id.as_py()}",
    )
    assert rows[str(tmp_path / "stub.txt")]["outcome"] == "quarantined"
    assert rows[str(tmp_path / "stub.txt")]["detail"] == "every article failed validation"
    assert rows[str(tmp_path / "empty.txt")] == batch.files.to_pylist()[-1]  # refused at reading: as it was
    assert [rows[str(path)]["outcome"] for path in seeds] == ["pending"] * len(seeds)
    assert settled.schema.equals(batch.files.schema)
    assert settle_file_outcomes(batch.files, batch.articles, batch.articles).equals(batch.files)
