"""Article rows from documents: counts and hashes that analysts filter on."""

from __future__ import annotations

from pathlib import Path

import pytest

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


def test_the_compiled_space_count_agrees_with_str_count_for_every_storage_width() -> None:
    from transforms import articles

    assert articles._count_spaces is not articles._python_count_spaces, "transforms._textscan is not built"
    # One, two and four bytes a character (CPython stores a str by its widest character), spaces at both ends,
    # doubled, and lookalikes that are not " " (no-break space, ideographic space, tab).
    samples = ["", " ", "a", "a b", "  a  b  ", "\u00a0 \u3000\t x"]
    samples += [text + wide for text in list(samples) for wide in ("é", "\u201c", "\U0001f600")]
    samples += ["word " * 2000 + wide for wide in ("", "é", "\u201c", "\U0001f600")]
    for text in samples:
        assert articles._count_spaces(text) == text.count(" "), repr(text[:20])


def test_the_compiled_utf8_kept_in_the_str_is_its_encoding_for_every_character() -> None:
    # transforms._textscan encodes strs of one and two bytes a character itself (ASCII runs 8 or 16 at a time) and
    # keeps the result in the str, where str.encode and pyarrow then read it: it must be exactly CPython's
    # encoding. Every BMP character but the surrogates, each between ASCII runs of every length around the block
    # sizes; Latin-1 alone; four bytes a character (left to CPython). Expected bytes come from fresh copies, which
    # hold no kept encoding.
    import pyarrow as pa

    from transforms import articles

    def fresh(text: str) -> str:
        return (text + "\x00")[:-1]

    bmp = [chr(code) for code in range(0x80, 0x10000) if not 0xD800 <= code <= 0xDFFF]
    samples = ["".join(bmp), "".join(chr(code) for code in range(0x80, 0x100))]
    for run in range(0, 34):
        samples.append(("a" * run).join(["\u201c", "é", "\u0416", "\u4e2d", "x", "\uffff", "\u00ff"]))
        samples.append("é" + "b" * run + "\u00a0")
    samples += ["word " * 2000 + "\u201c", "\U0001f600 and \u201cquotes\u201d", "ascii only " * 50]
    for sample in samples:
        text = fresh(sample)
        expected = fresh(sample).encode("utf-8")
        assert articles._utf8(text) == expected, repr(sample[:40])
        assert text.encode("utf-8") == expected and articles._utf8(text) == expected  # as kept in the str
        assert pa.array([text]).buffers()[2].to_pybytes() == expected  # what pyarrow takes from the str
        assert text == sample and hash(text) == hash(sample)
    with pytest.raises(UnicodeEncodeError) as compiled:
        articles._utf8(fresh("\u201cquoted\u201d then a lone \udc80 surrogate"))
    with pytest.raises(UnicodeEncodeError) as python:
        fresh("\u201cquoted\u201d then a lone \udc80 surrogate").encode("utf-8")
    assert str(compiled.value) == str(python.value)


def test_the_compiled_utf8_is_str_encode_and_refuses_lone_surrogates_alike() -> None:
    import hashlib

    import pytest

    from transforms import articles

    assert articles._utf8 is not articles._python_utf8, "transforms._textscan is not built"
    for text in ["", "plain", "café", "“quoted” – dash", "\U0001f600 emoji", "word " * 2000 + "\u201c"]:
        assert articles._utf8(text) == text.encode("utf-8"), repr(text[:20])
    with pytest.raises(UnicodeEncodeError) as compiled:
        articles._utf8("a\ud800b")
    with pytest.raises(UnicodeEncodeError) as python:
        "a\ud800b".encode("utf-8")
    assert str(compiled.value) == str(python.value)
    # The content hash is still the SHA-256 of the body's UTF-8.
    body = "“quoted” body"
    assert articles.article_id_for(body)[1] == hashlib.sha256(body.encode("utf-8")).hexdigest()
