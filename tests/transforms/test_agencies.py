"""Wire agency names in credit lines and datelines."""

from __future__ import annotations

import re
from pathlib import Path

from transforms.agencies import _SPELLINGS, find_agencies

ROOT = Path(__file__).resolve().parents[2]


def _one_pattern_at_a_time(text: str) -> list[str]:
    """What find_agencies did before its one-regex pre-check: every spelling's pattern in turn."""
    found: set[str] = set()
    for spelling, name in _SPELLINGS:
        pattern = re.compile(rf"\b{spelling}\b")
        if pattern.search(text):
            found.add(name)
            text = pattern.sub(" ", text)
    return sorted(found, key=str.casefold)


def _texts() -> list[str]:
    files = sorted((ROOT / "seeds").glob("*.txt")) + sorted((ROOT / "tests" / "gold").glob("*/input.txt"))
    lines = [line for path in files for line in path.read_text(encoding="utf-8").splitlines()]
    # Every spelling that is a pattern rather than plain text, in each form it matches.
    samples = [
        "Agence France-Presse",
        "Agence France Presse",
        "Anadolu Agency",
        "Anadolu",
        "APA.az",
        "APAxaz",
    ]
    # Each spelling alone, in a credit line, glued to a word (no match) and next to punctuation.
    for sample in [spelling.replace("\\", "").replace("(?: Agency)?", "") for spelling, _ in _SPELLINGS]:
        samples += [sample, f"(Reporting by X; {sample})", f"x{sample}y", f"-- {sample}/AFP.", sample.lower()]
    return lines + samples + [""]


def test_find_agencies_agrees_with_trying_each_spelling_in_turn() -> None:
    texts = _texts()
    named = 0
    for text in texts:
        expected = _one_pattern_at_a_time(text)
        assert find_agencies(text) == expected, text
        named += bool(expected)
    assert named > 100  # the texts name agencies, not only miss them
    assert find_agencies("(Reporting by Jane Doe; Reuters and AFP)") == ["AFP", "Reuters"]
