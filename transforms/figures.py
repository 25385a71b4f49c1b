"""Casualty and displacement figures stated in article text: "at least 200 people were killed", "32 dead".

A figure is a number tied to an outcome word, in one of two shapes:

* subject first: ``[qualifier] number [people-noun [place] [auxiliary]] outcome``: "more than 10,000 people fled",
  "about 5,000 civilians in the region had been evacuated", "32 dead", "at least 200 deaths";
* verb first: ``verb [qualifier] number [people-noun]``: "killed over 6,700 people", "wounded 400 others", and a
  list continuing it: "killed at least four soldiers and two civilians".

Numbers that only look like figures are refused: years ("in 2020", "1994"), money ("$140 million"), and numbers
of units (years, weeks, kilometres, percent). A parenthetical "including 10 civilians" is a subset of the figure
around it and is dropped before matching, so it neither counts twice nor separates a number from its verb.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from transforms.schemas import ARTICLE_FIGURES

QUALIFIERS = (
    "at least",
    "more than",
    "over",
    "nearly",
    "almost",
    "about",
    "around",
    "approximately",
    "roughly",
    "some",
    "up to",
    "as many as",
    "fewer than",
    "less than",
)

# Outcome words, as written, and what they count.
OUTCOMES = {
    "killed": "killed",
    "died": "killed",
    "deaths": "killed",
    "fatalities": "killed",
    "dead": "dead",
    "injured": "injured",
    "wounded": "injured",
    "hurt": "injured",
    "injuries": "injured",
    "fled": "fled",
    "refugees": "fled",
    "displaced": "displaced",
    "evacuated": "evacuated",
    "evacuees": "evacuated",
    "missing": "missing",
    "casualties": "casualties",
}

# Verbs written before the number they count ("killing one civilian").
VERBS_BEFORE = {
    "killed": "killed",
    "killing": "killed",
    "wounded": "injured",
    "wounding": "injured",
    "injured": "injured",
    "injuring": "injured",
    "displaced": "displaced",
    "displacing": "displaced",
    "evacuated": "evacuated",
    "evacuating": "evacuated",
}

_PEOPLE = (
    r"people|persons?|civilians?|residents?|others|child(?:ren)?|wom[ae]n|m[ae]n|soldiers?|troops|servicem[ae]n|"
    r"personnel|fighters?|peacekeepers?|police(?:m[ae]n)?|officers?|workers?|villagers?|migrants?|refugees|"
    r"armenians?|azerbaijanis?|israelis?|palestinians?|ukrainians?|russians?"
)

_SMALL_NUMBERS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
_SMALL_NUMBERS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80})
_SMALL_NUMBERS.update({"ninety": 90, "a hundred": 100, "one hundred": 100})

_QUALIFIER = "|".join(re.escape(qualifier) for qualifier in QUALIFIERS)
_WORD_NUMBER = "|".join(sorted(_SMALL_NUMBERS, key=len, reverse=True))
# Digits with thousands separators, or plain digits, optionally "1.2 million"; or a small number in words.
_NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?)(?:\s+(?:million|thousand))?|\b(?:{_WORD_NUMBER})\b"
_FIGURE = rf"(?:(?P<qualifier>{_QUALIFIER})\s+)?(?P<number>{_NUMBER})"
_NOUN_PHRASE = rf"(?:[\w'’-]+\s+){{0,2}}?(?:{_PEOPLE})\b"
_PLACE = r"(?:\s+(?:in|from|at|on|near)\s+(?:the\s+)?[\w'’-]+(?:\s+[\w'’-]+)?)?"
_AUXILIARY = r"(?:\s+(?:were|was|have|has|had|are|is|been|being|reportedly|also|later)){0,3}"
_OUTCOME = "|".join(OUTCOMES)
_VERB = "|".join(VERBS_BEFORE)

_SUBJECT_FIRST = re.compile(
    rf"(?<![\w$€£.,]){_FIGURE}\s+(?:(?P<noun>{_NOUN_PHRASE}){_PLACE}{_AUXILIARY}\s+)?(?P<outcome>{_OUTCOME})\b",
    re.IGNORECASE,
)
_VERB_FIRST = re.compile(
    rf"\b(?P<verb>{_VERB})\s+{_FIGURE}(?:\s+(?P<noun>{_NOUN_PHRASE}))?(?![\w,.]*\d)",
    re.IGNORECASE,
)
_CONTINUATION = re.compile(rf"\s*,?\s+and\s+{_FIGURE}\s+(?P<noun>{_NOUN_PHRASE})", re.IGNORECASE)
_YEAR = re.compile(r"1[89]\d\d|20\d\d")
_UNITS = re.compile(
    r"\s*-?\s*(?:%|percent|per cent|years?|months?|weeks?|days?|hours?|minutes?|km|kilometres?|kilometers?|miles?|"
    r"metres?|meters?|tons?|tonnes?|dollars?|euros?|pounds?)\b",
    re.IGNORECASE,
)
# "including 10 civilians," / "— including at least eight children —": a subset of the figure around it.
_PARENTHETICAL = re.compile(r"\s*(?:,|—|–|\()\s*including\b[^,—–()]*(?:,|—|–|\))", re.IGNORECASE)
# Every figure needs one of these words, and one cheap search for them spares most sentences the patterns above.
_TRIGGER = re.compile(r"\b(?:" + "|".join(sorted({*OUTCOMES, *VERBS_BEFORE})) + r")\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])|\n+")


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure: the number, its hedge, what it counts and the sentence it came from."""

    quantity: int
    qualifier: str | None
    what: str
    sentence: str


def sentences(text: str) -> list[str]:
    """The text's sentences (paragraph breaks always end one)."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def figures_in(text: str) -> list[Figure]:
    """Every casualty or displacement figure stated in ``text``, in reading order."""
    found = []
    if not _TRIGGER.search(text):
        return found
    for sentence in sentences(text):
        if _TRIGGER.search(sentence):
            found.extend(_figures_in_sentence(sentence))
    return found


def figures_table(articles: list[tuple[str, str]]) -> pa.Table:
    """``article_figures`` rows for ``(article_id, body)`` pairs."""
    rows = [
        {
            "article_id": article_id,
            "quantity": figure.quantity,
            "qualifier": figure.qualifier,
            "what": figure.what,
            "sentence": figure.sentence,
        }
        for article_id, body in articles
        for figure in figures_in(body)
    ]
    return pa.Table.from_pylist(rows, schema=ARTICLE_FIGURES)


def parse_quantity(text: str) -> int | None:
    """The integer a number phrase states ("10,000" -> 10000, "1.2 million" -> 1200000, "two" -> 2)."""
    words = text.lower().split()
    scale = {"million": 1_000_000, "thousand": 1_000}.get(words[-1], 1) if len(words) > 1 else 1
    number = " ".join(words[:-1]) if scale > 1 else " ".join(words)
    if number in _SMALL_NUMBERS:
        return _SMALL_NUMBERS[number] * scale
    try:
        return round(float(number.replace(",", "")) * scale)
    except ValueError:
        return None


def _figures_in_sentence(sentence: str) -> list[Figure]:
    text = _PARENTHETICAL.sub("", sentence)
    taken: dict[int, Figure] = {}
    for match in _SUBJECT_FIRST.finditer(text):
        figure = _figure(text, match, OUTCOMES[match["outcome"].lower()], sentence)
        if figure:
            taken.setdefault(match.start("number"), figure)
    for match in _VERB_FIRST.finditer(text):
        what = VERBS_BEFORE[match["verb"].lower()]
        figure = _figure(text, match, what, sentence)
        if not figure:
            continue
        taken.setdefault(match.start("number"), figure)
        position = match.end()
        while continued := _CONTINUATION.match(text, position):
            figure = _figure(text, continued, what, sentence)
            if figure:
                taken.setdefault(continued.start("number"), figure)
            position = continued.end()
    return [taken[start] for start in sorted(taken)]


def _figure(text: str, match: re.Match, what: str, sentence: str) -> Figure | None:
    number = match["number"]
    start, end = match.span("number")
    if _is_money(text, start, end) or _UNITS.match(text, end):
        return None
    if _YEAR.fullmatch(number) and not match["noun"]:
        return None
    quantity = parse_quantity(number)
    if quantity is None:
        return None
    qualifier = match["qualifier"].lower() if match["qualifier"] else None
    return Figure(quantity, qualifier, what, sentence)


def _is_money(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 2) : start]
    return any(symbol in before for symbol in "$€£¥") or bool(
        re.match(r"\s*(?:million|billion)?\s*(?:dollars|euros|pounds|usd|eur)\b", text[end:], re.IGNORECASE)
    )
