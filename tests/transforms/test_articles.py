"""Article rows from documents: counts and hashes that analysts filter on."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SEEDS
from transforms.articles import build_article
from transforms.documents import Document, parse_source
from transforms.synth import render_file, seed_sentences, synth_article

GOLD = Path(__file__).parents[1] / "gold"


def _documents() -> list[Document]:
    files = [(path.name, path.read_bytes()) for path in sorted(SEEDS.glob("*.txt"))]
    files += [(str(path), path.read_bytes()) for path in sorted(GOLD.glob("*/input.*"))]
    sentences = seed_sentences(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
    for index in range(300):
        for fmt in ("txt", "html"):
            files.append((f"synth-{index}.{fmt}", render_file(synth_article(sentences, 11, index), fmt)))
    files.append(
        ("spaced.txt", "MOSCOW (Reuters) -   Talks  resumed\u00a0today.\n\n\tSecond   paragraph \n".encode())
    )
    items = [item for name, data in files for item in parse_source(name, data)]
    return [item for item in items if isinstance(item, Document)]


def test_word_count_is_the_number_of_whitespace_separated_words_in_the_body() -> None:
    documents = _documents()
    assert len(documents) > 600
    with_dateline = 0
    for document in documents:
        article = build_article(document, identify_language=False).article
        assert article["word_count"] == len(article["body"].split()), document.source_path
        assert article["char_count"] == len(article["body"])
        with_dateline += article["dateline"] is not None
    assert with_dateline > 50  # first lines that lost a dateline prefix are among them
