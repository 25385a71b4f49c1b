"""The opening guard may let through a text that cannot match, but must never refuse one that can."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pytest

import transforms.boilerplate as boilerplate
from transforms.regex_openings import OpeningGuard, openings

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

# (pattern, texts it matches): the texts, their prefixes, case changes and one-character edits are tried as well as
# every short string of ALPHABET.
PATTERNS = [
    (r"^ad$", ["ad", "AD"]),
    (r"^(?:the|a) (?:free )?new", ["the new", "A free news"]),
    (r"^(?-i:AP)\b|^ab", ["AP photo", "abc"]),
    (r"^\(?\s*(?:photo|video)s?\s*:", ["(photo: x", "Videos :", "  photo:"]),
    (r"^(?:[\w.]+\s+){0,2}(?:via|for)\s+k", ["jane roe via k", "x. for k", "via K"]),
    (r"^(\w)\1b", ["aab", "11B"]),
    (r"^(?=ab)a|^b(?!a)", ["ab", "bc", "b"]),
    (r"^a{2,}+b|^c*?d", ["aab", "aaaab", "ccd", "d"]),
    (r"^(?>a|ab)c", ["ac"]),
    (r"^(?:a|)b$", ["ab", "b"]),
    (r"^K[^a]\.", ["kb.", "\u212a1."]),  # the Kelvin sign: under IGNORECASE it matches k and K
    (r"^(?i:a)(?-i:B)", ["aB", "AB"]),
    (r"^©|^\(c\)|^copyright\b", ["© x", "(C) x", "Copyright 2023"]),
]
ALPHABET = "aAbBcCdkK .()-\u212a©:1"


def _texts(samples: list[str]) -> list[str]:
    texts = {"".join(chars) for length in range(5) for chars in itertools.product(ALPHABET, repeat=length)}
    for sample in samples:
        for text in (sample, sample.upper(), sample.lower(), sample.swapcase(), sample + " tail"):
            texts.update(text[:end] for end in range(len(text) + 1))
            for index in range(len(text)):
                texts.update(text[:index] + char + text[index + 1 :] for char in ALPHABET + "xyz")
    randomly = random.Random(7)
    texts.update("".join(randomly.choices(ALPHABET, k=randomly.randint(5, 9))) for _ in range(5_000))
    return sorted(texts)


@pytest.mark.parametrize(("pattern", "samples"), PATTERNS)
@pytest.mark.parametrize("width", [1, 2, 3])
def test_no_text_the_pattern_matches_is_refused(pattern: str, samples: list[str], width: int) -> None:
    compiled = re.compile(pattern, re.IGNORECASE)
    guard = OpeningGuard(compiled, width)
    assert guard.usable
    assert all(compiled.match(sample) for sample in samples)
    matched = refused = 0
    for text in _texts(samples):
        if compiled.match(text):
            matched += 1
            assert guard.admits(text), text
        elif not guard.admits(text):
            refused += 1
    # Not vacuous: the guard spares the regex for some texts.
    assert matched >= len(samples)
    assert refused > 0


def test_the_guard_asks_the_regex_when_the_opening_is_not_ascii() -> None:
    guard = OpeningGuard(re.compile(r"^k", re.IGNORECASE), 3)
    assert guard.admits("\u212a is the Kelvin sign")
    assert not guard.admits("x is not")


def test_openings_are_listed_per_position() -> None:
    listed = openings(re.compile(r"^(?:the|a) x", re.IGNORECASE), 3)
    assert listed == [
        (frozenset("aA"), frozenset(" "), frozenset("xX")),
        (frozenset("tT"), frozenset("hH"), frozenset("eE")),
    ]


def test_every_rule_plan_has_a_guard_that_refuses_only_lines_it_cannot_match() -> None:
    lines = [
        boilerplate.normalize_line(line)
        for path in sorted(SEEDS.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    lines += [
        "Advertisement",
        "(Reporting by Jane Roe; Editing by John Doe)",
        "- AFP",
        "(AP Photo)",
        "Photo: Jane Roe",
        "The daily newsletter you need",
        "Copyright 2023 The Outlet",
        "© The Outlet",
        "Source: DN",
        "Follow us on Twitter",
        "https://example.com/x",
        "More Turkey News",
    ]
    plans = {id(plan): plan for plan in boilerplate._PLANS.values() if plan.anchored is not None}
    assert all(plan.opening is not None for plan in plans.values())
    refused = 0
    for line in filter(None, lines):
        for plan in plans.values():
            if not plan.opening.admits(line):
                refused += 1
                assert plan.anchored.match(line) is None, line
    assert refused > 0
    assert boilerplate.matching_rule("Advertisement").name == "ad_label"
    assert boilerplate.matching_rule("More Turkey News", in_footer=True).name == "more_news_link"
