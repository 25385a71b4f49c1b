"""Wire agencies: the canonical names and the spellings that credit lines and datelines use."""

from __future__ import annotations

import re

# Canonical short name -> spellings (regex fragments). Short all-caps names are matched case-sensitively so that
# "ap" inside a word or "efe" in prose never counts.
WIRE_AGENCIES: dict[str, tuple[str, ...]] = {
    "AFP": ("AFP", r"Agence France[- ]Presse"),
    "AP": ("AP", r"Associated Press"),
    "Reuters": ("Reuters", "REUTERS"),
    "TASS": ("TASS", r"Tass"),
    "Interfax": ("Interfax", "INTERFAX"),
    "dpa": ("dpa", "DPA", r"Deutsche Presse-Agentur"),
    "EFE": ("EFE",),
    "ANSA": ("ANSA",),
    "Xinhua": ("Xinhua", "XINHUA"),
    "Anadolu": (r"Anadolu(?: Agency)?", "AA"),
    "Kyodo": ("Kyodo", "KYODO"),
    "Yonhap": ("Yonhap", "YONHAP"),
    "PTI": ("PTI",),
    "IANS": ("IANS",),
    "UPI": ("UPI", r"United Press International"),
    "RIA Novosti": (r"RIA Novosti", "RIA"),
    "Europa Press": (r"Europa Press",),
    "Lusa": ("Lusa", "LUSA"),
    "APA": ("APA",),
    "Belga": ("Belga", "BELGA"),
    "ANP": ("ANP",),
    "AAP": ("AAP", r"Australian Associated Press"),
    "CP": (r"The Canadian Press", r"Canadian Press"),
    "KUNA": ("KUNA",),
    "WAFA": ("WAFA",),
    "SPA": ("SPA",),
    "IRNA": ("IRNA",),
    "Ukrinform": ("Ukrinform",),
    "Armenpress": ("Armenpress", "ARMENPRESS"),
    "APA-Azerbaijan": (r"APA\.az",),
    "Trend": (r"Trend News Agency",),
    "Bloomberg": ("Bloomberg",),
}

_SPELLINGS = sorted(
    ((spelling, name) for name, spellings in WIRE_AGENCIES.items() for spelling in spellings),
    key=lambda pair: -len(pair[0]),
)
AGENCY_PATTERN = "(?-i:" + "|".join(rf"\b{spelling}\b" for spelling, _ in _SPELLINGS) + ")"


def _literal_prefix(spelling: str) -> str:
    """The plain text every match of ``spelling`` (a regex fragment) starts with: up to its first regex syntax."""
    prefix = re.split(r"[\\\[\](){}|?*+.^$]", spelling, maxsplit=1)[0]
    if not prefix:
        raise ValueError(f"agency spelling {spelling!r} must start with plain text")
    return prefix


# (needle, pattern, name): a spelling can match only where its literal prefix occurs, and a substring test costs
# a fraction of a regex call, so most patterns are never run.
_AGENCY_RX = [
    (_literal_prefix(spelling), re.compile(rf"\b{spelling}\b"), name) for spelling, name in _SPELLINGS
]


def _any_spelling_pattern() -> re.Pattern[str]:
    """A pattern that finds some spelling in a text exactly when one of ``_AGENCY_RX`` does.

    The spellings are grouped by their first letter (``\b(?:A(?:FP\b|P\b|...)|R(?:euters\b|...)|...)``): the regex
    engine then skips a group at a glance when a position does not start with its letter, instead of trying every
    spelling there, twice as fast on a paragraph. Which spelling matches first may differ from the ungrouped
    alternation; only whether one does is asked of it.
    """
    by_first_letter: dict[str, list[str]] = {}
    for spelling, _ in _SPELLINGS:
        if len(_literal_prefix(spelling)) < 2:  # its second character could be a quantifier of the first
            raise ValueError(f"agency spelling {spelling!r} must start with two plain characters")
        by_first_letter.setdefault(spelling[0], []).append(spelling[1:])
    groups = (
        re.escape(letter) + "(?:" + "|".join(rf"{rest}\b" for rest in rests) + ")"
        for letter, rests in by_first_letter.items()
    )
    return re.compile(r"\b(?:" + "|".join(groups) + ")")


# One regex call answers for the many texts that name no agency (most credit lines, datelines and removed lines).
_ANY_AGENCY = _any_spelling_pattern()


def find_agencies(text: str) -> list[str]:
    """Canonical names of the wire agencies named in ``text`` (a credit line or dateline), sorted."""
    if not text or _ANY_AGENCY.search(text) is None:
        return []
    found: set[str] = set()
    for needle, pattern, name in _AGENCY_RX:
        if needle in text and pattern.search(text):
            found.add(name)
            text = pattern.sub(" ", text)
    return sorted(found, key=str.casefold)
