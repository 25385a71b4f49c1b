"""Golden tests: each seed article against its expected body, removals and metadata (tests/golden/seeds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, SEEDS
from transforms.articles import build_article
from transforms.boilerplate import normalize_line
from transforms.documents import Document, parse_source

GOLDEN = REPO / "tests" / "golden" / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt"))


def _document(path: Path) -> Document:
    [document] = parse_source(str(path), path.read_bytes())
    assert isinstance(document, Document)
    return document


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda path: path.stem)
def test_seed_matches_golden(path: Path) -> None:
    expected = json.loads((GOLDEN / f"{path.stem}.json").read_text(encoding="utf-8"))
    rows = build_article(_document(path))
    article = rows.article
    assert article["body"] == expected["body"]
    assert [[r["rule"], r["line_no"], r["removed_text"]] for r in rows.removals] == expected["removals"]
    published = article["published_at"].isoformat() if article["published_at"] else None
    assert published == expected["published_at"]
    for field in (
        "title",
        "published_at_raw",
        "published_precision",
        "dateline",
        "outlet",
        "wire_agencies",
        "language",
    ):
        assert article[field] == expected[field], field


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda path: path.stem)
def test_every_input_line_is_kept_or_accounted_for(path: Path) -> None:
    """No sentence is lost silently: each input line is in the body or covered by recorded removals."""
    rows = build_article(_document(path))
    body_lines = rows.article["body"].split("\n")
    removed_by_line: dict[int, list[str]] = {}
    for removal in rows.removals:
        removed_by_line.setdefault(removal["line_no"], []).append(removal["removed_text"])
    for line_no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = normalize_line(raw)
        if not line or line in body_lines:
            continue
        pieces = removed_by_line.get(line_no)
        assert pieces, f"line {line_no} vanished without a removal: {line[:80]!r}"
        rest = line
        for piece in pieces:
            rest = normalize_line(rest.replace(piece, " ", 1))
        assert not rest or rest in body_lines, f"line {line_no} partly lost: {rest[:80]!r}"


BOILERPLATE_THAT_MUST_GO = [
    "[ad_1]",
    "[ad_2]",
    "source site",
    "Source: DN",
    "Originally published on France24",
    "More Turkey News",
    "Access More",
    "Sign up for The Turkey News",
    "a daily newsletter",
    "(FRANCE 24 with AFP and AP)",
    "With reporting by AFP, AP, and Reuters",
    "date 2023-09-22",
    "Wed, 29 Nov 2023",
    "As of: September 21, 2023",
]


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda path: path.stem)
def test_seed_body_has_no_boilerplate(path: Path) -> None:
    body = build_article(_document(path)).article["body"]
    for text in BOILERPLATE_THAT_MUST_GO:
        assert text not in body


def _seed(prefix: str) -> dict:
    [path] = [path for path in SEED_FILES if path.name.startswith(prefix)]
    return build_article(_document(path)).article


def test_seed_metadata_stated_in_the_issue() -> None:
    a000, a001, a002, a003, a004 = (_seed(f"00{n}_") for n in range(5))
    assert a000["published_at"].isoformat() == "2023-09-22T00:00:00" and a000["published_precision"] == "day"
    assert a000["dateline"] == "United Nations"
    assert a000["body"].startswith("Azerbaijan regained control")
    assert a001["published_at"].date().isoformat() == "2023-11-29"
    assert a001["outlet"] in {"France24", "FRANCE 24"}
    assert a001["wire_agencies"] == ["AFP", "AP"]
    assert a002["title"] == "Azerbaijan’s president declares victory over Armenians in Nagorno-Karabakh"
    assert (
        a002["published_at"].isoformat() == "2023-09-21T02:49:00" and a002["published_precision"] == "minute"
    )
    assert (
        a003["title"]
        == "Azerbaijan Brandishes ‘Success’ In Nagorno-Karabakh Offensive As UN, Outsiders Urge Halt"
    )
    assert a003["wire_agencies"] == ["AFP", "AP", "Reuters"]
    assert a003["published_at"] is None
    assert a004["outlet"] == "DN" and a004["published_at"] is None
    for article in (a000, a001, a004):
        assert article["title"] is None
