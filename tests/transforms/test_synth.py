"""The synthetic corpus: deterministic, the size asked for, realistic enough for every reader, hostile on purpose."""

from __future__ import annotations

import codecs
import hashlib
import random
from collections import Counter
from datetime import datetime

import pytest

from expectations.thresholds import Thresholds
from tests.conftest import SEEDS
from transforms.articles import build_article
from transforms.documents import Document, Rejection, parse_source
from transforms.synth import (
    ARTICLE,
    DUPLICATE,
    FORMATS,
    HOSTILE,
    RECORDS_PER_JSONL_FILE,
    SynthFile,
    format_date,
    iter_corpus,
    render_text,
    seed_sentences,
    synth_article,
)


@pytest.fixture(scope="module")
def sentences() -> tuple[str, ...]:
    return seed_sentences(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))


def _corpus(sentences: tuple[str, ...], articles: int, fmt: str, seed: int = 11) -> list[SynthFile]:
    return list(iter_corpus(sentences, articles, fmt, seed))


def _digest(files: list[SynthFile]) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relpath.encode() + b"\0" + file.data)
    return digest.hexdigest()


def test_sentences_leave_out_headings_and_boilerplate(sentences: tuple[str, ...]) -> None:
    assert len(sentences) > 100
    assert not any(
        s.startswith(("[ad", "Source:", "date 2023")) or "More Turkey News" in s for s in sentences
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_seed_gives_the_same_bytes(sentences: tuple[str, ...], fmt: str) -> None:
    first = _corpus(sentences, 250, fmt, seed=3)
    assert _digest(first) == _digest(_corpus(sentences, 250, fmt, seed=3))
    assert _digest(first) != _digest(_corpus(sentences, 250, fmt, seed=4))


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_requested_number_of_articles(sentences: tuple[str, ...], fmt: str) -> None:
    files = _corpus(sentences, 1234, fmt)
    assert sum(len(file.kinds) for file in files) == 1234
    if fmt in ("txt", "html"):
        assert len(files) == 1234
        assert all(file.relpath.endswith("." + fmt) for file in files)
    if fmt == "jsonl":
        assert len(files) == 2 and [len(file.kinds) for file in files] == [
            RECORDS_PER_JSONL_FILE["jsonl"],
            234,
        ]
    # Folders stay small however large the corpus.
    assert max(Counter(file.relpath.rsplit("/", 1)[0] for file in files).values()) <= 1000


def test_two_percent_duplicates_one_percent_hostile(sentences: tuple[str, ...]) -> None:
    files = _corpus(sentences, 2000, "txt")
    kinds = Counter(file.kinds[0] for file in files)
    assert kinds == {ARTICLE: 1940, DUPLICATE: 40, HOSTILE: 20}
    originals = {file.data for file in files if file.kinds[0] == ARTICLE}
    assert len(originals) == 1940, "originals are all different"
    assert all(file.data in originals for file in files if file.kinds[0] == DUPLICATE), "duplicates are exact"


def test_shares_hold_for_a_mixed_corpus(sentences: tuple[str, ...]) -> None:
    kinds = Counter(kind for file in _corpus(sentences, 1000, "mixed") for kind in file.kinds)
    assert kinds == {ARTICLE: 970, DUPLICATE: 20, HOSTILE: 10}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_parses_and_every_article_has_a_body(sentences: tuple[str, ...], fmt: str) -> None:
    min_words = Thresholds().min_word_count
    bodies = 0
    for file in _corpus(sentences, 400, fmt):
        items = parse_source(file.relpath, file.data)
        assert len(items) == len(file.kinds), file.relpath
        for kind, item in zip(file.kinds, items, strict=True):
            if kind == HOSTILE:
                continue
            assert isinstance(item, Document), (file.relpath, item)
            article = build_article(item).article
            assert article["body"] and article["word_count"] >= min_words, file.relpath
            bodies += 1
    assert bodies == 400 - 4


@pytest.mark.parametrize(
    "fmt",
    [
        "txt",
        "html",
        "jsonl",
    ],
)
def test_hostile_inputs_are_refused_or_fail_the_gate(sentences: tuple[str, ...], fmt: str) -> None:
    min_words = Thresholds().min_word_count
    hostile = 0
    for file in _corpus(sentences, 3000, fmt):
        for kind, item in zip(file.kinds, parse_source(file.relpath, file.data), strict=True):
            if kind == HOSTILE:
                hostile += 1
                assert isinstance(item, Rejection) or build_article(item).article["word_count"] < min_words, (
                    file.relpath
                )
    assert hostile == 30


def test_encodings_vary(sentences: tuple[str, ...]) -> None:
    files = [file for file in _corpus(sentences, 3000, "txt") if file.kinds[0] != HOSTILE]
    seen = Counter()
    for file in files:
        if file.data.startswith(codecs.BOM_UTF8):
            seen["utf-8-sig"] += 1
        elif file.data.startswith(codecs.BOM_UTF16_LE):
            seen["utf-16"] += 1
        else:
            try:
                file.data.decode("utf-8")
                seen["utf-8"] += 1
            except UnicodeDecodeError:
                seen["cp1252"] += 1
    assert seen.keys() == {"utf-8", "utf-8-sig", "utf-16", "cp1252"}
    assert seen["utf-8"] > 0.8 * len(files)


def test_date_header_formats() -> None:
    when = datetime(2023, 9, 21, 14, 5, 9)
    written = {style: format_date(when, style, random.Random(0)) for style in ("as_of", "none")}
    assert written == {"as_of": "As of: September 21, 2023 2:05 p.m", "none": None}
    labelled = {
        "iso": "2023-09-21T14:05:09Z",
        "rfc2822": "Thu, 21 Sep 2023",
        "ap_month": "Sept. 21, 2023",
        "day_month_gmt": "21 September 2023 14:05 GMT",
        "numeric": "21/09/2023",
    }
    for style, text in labelled.items():
        assert format_date(when, style, random.Random(0)).endswith(text)


@pytest.mark.parametrize("index", range(40))
def test_written_dates_are_read_back(sentences: tuple[str, ...], index: int) -> None:
    article = synth_article(sentences, 5, index)
    text = render_text(article)
    [document] = parse_source("a.txt", text.encode("utf-8"))
    published = build_article(document).article["published_at"]
    if article.date_style == "none" or (article.date_style == "numeric" and article.published.day <= 12):
        assert published is None  # no date, or day and month ambiguous: never guessed
    else:
        assert published is not None and published.date() == article.published.date(), text[:300]


def test_html_pages_look_like_pages(sentences: tuple[str, ...]) -> None:
    pages = [
        file.data.decode("utf-8-sig") for file in _corpus(sentences, 20, "html") if file.kinds[0] == ARTICLE
    ]
    for part in ('property="og:title"', "<nav", "<article", "<aside", "<footer", "<p>"):
        assert all(part in page for page in pages), part
    assert any('property="article:published_time"' in page for page in pages)


def test_the_corpus_is_a_stream(sentences: tuple[str, ...]) -> None:
    """Files come one by one: the first is there before the (huge) rest is made."""
    corpus = iter_corpus(sentences, 10**9, "txt", 1)
    assert next(corpus).relpath == "txt/0000/0000000.txt"
