"""Split metadata from body text: the header zone (title, date, byline, dateline) and the trailers.

Header lines are recognised by shape and position: a date line anywhere in the first few lines, a headline-shaped
first line, a "By ..." line, and a dateline prefix at the start of the first paragraph ("MOSCOW (Reuters) -",
"date 2023-09-22 United Nations :"). Outlet and wire agencies come from the lines the cleaner removed as trailers
and credit lines. Nothing is guessed: a field the text does not state stays ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from transforms.agencies import find_agencies
from transforms.boilerplate import RIGHTS_RESERVED, Removal
from transforms.dates import MONTHS, ParsedDate, first_year_at, parse_date

HEADER_SCAN_LINES = 5
MAX_TITLE_WORDS = 30
MAX_TITLE_CHARS = 300

_DATE_LABEL = re.compile(
    r"^(?:(?P<label>as of|last updated|updated(?: on| at)?|published(?: on| at)?|first published(?: on)?|posted(?: on| at)?"
    r"|date(?:d)?|publié le|mis à jour le|veröffentlicht am|aktualisiert am|stand|publicado el|actualizado el"
    r"|publicado em|atualizado em|pubblicato il|aggiornato il)\s*:?\s+)",
    re.IGNORECASE,
)
_DATE_PART_SEPARATOR = re.compile(r"\s+(?:\||·|•|/|—|–)\s+")
_DATELINE_SEPARATOR = r"(?:—|–|-{1,2}|\.-|:)"
# A place's words are possessive (++): what may follow one (a space, a comma, "(", a separator after whitespace) is
# never one of its own characters, so giving characters back could not make a match, only try (twice as slow on
# the first paragraphs, which rarely open with a dateline).
_CAPS_PLACE = r"[A-Z][A-Z'’.\-]++(?: [A-Z][A-Z'’.\-]++){0,3}"
_TITLE_PLACE = r"[A-Z][\w'’.\-]++(?: [A-Z][\w'’.\-]++){0,3}"
_REGION = r"(?:,\s*[A-Z][\w'’.\-]++(?: [A-Z][\w'’.\-]++){0,2})?"
DATELINE_WITH_AGENCY = re.compile(
    rf"^(?P<place>(?:{_CAPS_PLACE}|{_TITLE_PLACE}){_REGION})\s*\((?P<agency>[^()]{{1,40}})\)\s*{_DATELINE_SEPARATOR}\s*(?P<rest>\S.*)$"
)
DATELINE_CAPS = re.compile(rf"^(?P<place>{_CAPS_PLACE}{_REGION})\s+{_DATELINE_SEPARATOR}\s+(?P<rest>\S.*)$")
DATELINE_SPACED_COLON = re.compile(rf"^(?P<place>{_TITLE_PLACE}{_REGION})\s+:\s+(?P<rest>\S.*)$")
BYLINE = re.compile(
    r"^(?i:by)\s+(?P<names>[A-Z][\w.'’\-]*(?:\s+[A-Z][\w.'’\-]*){0,3}"
    r"(?:\s*(?:,|and|&)\s*[A-Z][\w.'’\-]*(?:\s+[A-Z][\w.'’\-]*){0,3})*?)"
    r"(?:\s*(?:,|\||—|–|-)\s*(?P<affiliation>[^,|]{2,60}))?$"
)
_SENTENCE_END = re.compile(r"[.;:,]['\"”’)\]]*$")

_COPYRIGHT_NOISE = re.compile(
    r"©|\(c\)|\bcopyright\b|\b\d{4}(?:\s*[-–]\s*\d{4})?\b|\b(?:" + RIGHTS_RESERVED + r")\b\.?", re.IGNORECASE
)
OUTLET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "originally_published",
        re.compile(
            r"(?:published|appeared|ran)\s+(?:on|in|by|at)\s+(?P<outlet>.+?)"
            r"(?:\s+(?:on|in)\s+\w+\.? \d.*|\s+and is republished.*|\s+under .*|\s+and .*)?[.]?$",
            re.IGNORECASE,
        ),
    ),
    ("source_trailer", re.compile(r"^sources?\s*:\s*(?P<outlet>.+?)\.?$", re.IGNORECASE)),
    ("credit_line", re.compile(r"^\((?P<outlet>[^()]+?)\s+with\s+[^()]+\)$", re.IGNORECASE)),
)


@dataclass(slots=True)
class Header:
    """What the header zone and the trailers said about the article."""

    title: str | None = None
    published: ParsedDate | None = None
    byline: str | None = None
    dateline: str | None = None
    outlet: str | None = None
    wire_agencies: list[str] = field(default_factory=list)


def split_header(
    kept: list[tuple[int, str]], *, known_title: str | None = None
) -> tuple[Header, list[tuple[int, str]], list[Removal]]:
    """Take title, date and byline lines and the first paragraph's dateline prefix off the top of ``kept``.

    With ``known_title`` (from HTML meta or a JSON field) only a line repeating that title is taken as the title.
    Returns the header, the body lines left and a ``Removal`` for each header line or prefix taken.
    """
    header = Header()
    body = list(kept)
    removals: list[Removal] = []
    agencies: set[str] = set()
    for _ in range(HEADER_SCAN_LINES):
        if not body:
            break
        line_no, line = body[0]
        taken = _take_header_line(
            header, line, known_title=known_title, agencies=agencies, last=len(body) == 1
        )
        if taken is None:
            break
        rule, rest = taken
        if rest:
            removals.append(Removal(rule, line_no, line[: len(line) - len(rest)].rstrip()))
            body[0] = (line_no, rest)
            break
        removals.append(Removal(rule, line_no, line))
        body.pop(0)
    if body:
        line_no, line = body[0]
        prefix = _dateline_prefix(line)
        if prefix is not None and header.dateline is None:
            place, agency, rest = prefix
            header.dateline = place
            agencies.update(find_agencies(agency or ""))
            removals.append(Removal("header_dateline", line_no, line[: len(line) - len(rest)].rstrip()))
            body[0] = (line_no, rest)
    header.wire_agencies = sorted(agencies, key=str.casefold)
    return header, body, removals


def _take_header_line(
    header: Header, line: str, *, known_title: str | None, agencies: set[str], last: bool
) -> tuple[str, str] | None:
    """Which header rule takes ``line`` and what is left of it (empty when the whole line goes).

    The ``last`` line of a text is never taken whole: a one-line text is a body, not a header.
    """
    if header.published is None:
        dated = date_prefix(line)
        if dated is not None and not (last and not dated[1]):
            parsed, rest = dated
            header.published = parsed
            if rest:
                dateline = _dateline_prefix(rest)
                if dateline is not None:
                    header.dateline, agency, rest = dateline
                    agencies.update(find_agencies(agency or ""))
            return "header_date", rest
    if last:
        return None
    if _is_undated_header(line):
        return "header_date", ""
    if header.byline is None:
        match = BYLINE.match(line)
        if match and len(line.split()) <= 14:
            header.byline = match["names"].strip()
            agencies.update(find_agencies(match["affiliation"] or ""))
            return "header_byline", ""
    if header.title is None and _is_title(line, known_title):
        header.title = line
        return "header_title", ""
    return None


def date_prefix(line: str) -> tuple[ParsedDate, str] | None:
    """A publication date at the start of ``line`` (after an optional label) and the text after it.

    Accepts a whole date line ("As of: September 21, 2023 2:49 a.m", "Published 3 June 2024 | Updated ...") or a
    date followed by a dateline and the first sentence ("date 2023-09-22 United Nations : Azerbaijan ...").
    """
    label = _DATE_LABEL.match(line)
    text = line[label.end() :] if label else line
    year_at = first_year_at(text)
    if not text[:1].isalnum() or year_at < 0:
        return None
    first_part = _DATE_PART_SEPARATOR.split(text, maxsplit=1)[0]
    parsed = parse_date(first_part)
    if parsed is not None:
        rest = text[len(first_part) :]
        if not rest or _DATE_PART_SEPARATOR.match(rest):
            return _with_raw(parsed, line), ""
    words = text.split(" ")
    # A prefix ending before the word that holds the first year cannot parse (that word's index is the number of
    # spaces before the year): the first paragraph of most articles holds no year in its first ten words.
    first_with_year = min(text.count(" ", 0, year_at), 10)
    for cut in range(min(len(words) - 1, 10), first_with_year, -1):
        parsed = parse_date(" ".join(words[:cut]))
        if parsed is None:
            continue
        rest = " ".join(words[cut:])
        if _dateline_prefix(rest) is not None:
            return _with_raw(
                parsed, " ".join(line.split(" ")[: len(line.split(" ")) - len(words) + cut])
            ), rest
        return None
    return None


_DATEISH = re.compile(
    r"^(?:[^\W\d_]{3,12}\.?,?\s+)?(?:\d{1,2}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?|\d{1,2}\.?\s+(?:de\s+)?(?P<month_after>[^\W\d_]{3,10})\.?"
    r"|(?P<month_before>[^\W\d_]{3,10})\.?\s+\d{1,2}(?:st|nd|rd|th)?)"
    r"(?:,?\s+(?:at\s+|à\s+)?\d{1,2}[:.h]\d{2}\s*(?:[ap]\.?m\.?)?(?:\s+[A-Z]{2,5})?)?$"
)


def _is_undated_header(line: str) -> bool:
    """A header line that states a date we refuse to read (no year, day/month ambiguous): it is not article text."""
    label = _DATE_LABEL.match(line)
    match = _DATEISH.match(line[label.end() :] if label else line)
    if match is None:
        return False
    month = match["month_after"] or match["month_before"]
    return month is None or month.lower() in MONTHS


def _with_raw(parsed: ParsedDate, raw: str) -> ParsedDate:
    return ParsedDate(parsed.value, parsed.precision, parsed.tz, raw.strip(), parsed.format)


def _dateline_prefix(line: str) -> tuple[str, str | None, str] | None:
    """(place, agency, rest) when ``line`` opens with a dateline such as "MOSCOW (Reuters) -"."""
    for pattern in (DATELINE_WITH_AGENCY, DATELINE_CAPS, DATELINE_SPACED_COLON):
        match = pattern.match(line)
        if match:
            agency = match.groupdict().get("agency")
            if agency is not None and not find_agencies(agency):
                return None
            return match["place"].strip(), agency, match["rest"]
    return None


def _is_title(line: str, known_title: str | None) -> bool:
    if known_title is not None:
        return line.casefold() == known_title.casefold()
    return _looks_like_title(line)


def _looks_like_title(line: str) -> bool:
    # The length first: the first paragraph is asked too, and splitting it into words cost more than the rest.
    return (
        len(line) <= MAX_TITLE_CHARS
        and 0 < len(line.split()) <= MAX_TITLE_WORDS
        and not _SENTENCE_END.search(line)
        and not line[0].islower()
    )


def outlet_from_removals(removals: list[Removal]) -> str | None:
    """The outlet a trailer, copyright or credit line names, by rule priority."""
    by_rule: dict[str, list[str]] = {}
    for removal in removals:
        by_rule.setdefault(removal.rule, []).append(removal.text)
    for rule, pattern in OUTLET_PATTERNS:
        for text in by_rule.get(rule, []):
            match = pattern.search(text)
            outlet = _clean_outlet(match["outlet"]) if match else None
            if outlet:
                return outlet
        if rule == "source_trailer":
            for text in by_rule.get("copyright", []):
                outlet = _clean_outlet(_COPYRIGHT_NOISE.sub(" ", text))
                if outlet:
                    return outlet
    return None


def _clean_outlet(text: str) -> str | None:
    text = re.sub(r"^(?:[.,;:|\-–—]|\s)+|(?:[.,;:|\-–—]|\s)+$", "", text)
    outlet = re.sub(r"\s+", " ", text).strip(" .,;:-–—()")
    outlet = re.sub(r"^(?:the website of|the website|website)\s+", "", outlet, flags=re.IGNORECASE)
    if not outlet or len(outlet.split()) > 6 or outlet.lower() in {"site", "source", "all rights reserved"}:
        return None
    return outlet


def agencies_from_removals(removals: list[Removal]) -> list[str]:
    """Wire agencies named by the credit lines and photo credits the cleaner removed."""
    found: set[str] = set()
    for removal in removals:
        if removal.rule in {"credit_line", "photo_credit", "header_byline", "header_dateline"}:
            found.update(find_agencies(removal.text))
    return sorted(found, key=str.casefold)
