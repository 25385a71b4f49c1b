"""build_batch: files to Arrow tables, whatever size its row chunks."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import SEEDS
from transforms import batch as batch_module
from transforms.batch import build_batch
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
