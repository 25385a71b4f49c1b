"""Publication dates: one named, tested unit per written format.

``parse_date`` reads a date expression that makes up a whole string (a header line once its label is stripped, or
an HTML meta value) and returns a ``ParsedDate`` or ``None``. It never guesses: no year means no date, and a numeric
date whose day and month could be swapped is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

# Month names as news sites print them, in the languages newsetl meets most: English, French, German, Spanish,
# Italian and Portuguese. Abbreviations are matched without their trailing period.
_MONTH_NAMES = {
    1: "jan january janvier janv januar jän enero ene gennaio genn gen janeiro",
    2: "feb february février fevrier févr fevr februar febrero febr febbraio fevereiro fev",
    3: "mar march mars märz maerz marzo março marco mrz",
    4: "apr april avril avr abril aprile",
    5: "may mai mayo maggio maio mag",
    6: "jun june juin juni junio giugno junho giu",
    7: "jul july juillet juil juli julio luglio julho lug",
    8: "aug august août aout agosto ago",
    9: "sep sept september septembre septiembre setiembre settembre setembro set",
    10: "oct october octobre oktober octubre ottobre outubro okt ott out",
    11: "nov november novembre noviembre novembro",
    12: "dec december décembre decembre déc dezember diciembre dicembre dezembro dez dic",
}
MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names.split()}

# Offsets in minutes of the zone abbreviations news sites print. Ambiguous ones (IST, CST-China) are left out on
# purpose: any other capitalised abbreviation is kept as written in published_tz, with the wall time unconverted.
ZONE_OFFSETS = {
    "Z": 0, "UTC": 0, "GMT": 0, "BST": 60, "WET": 0, "WEST": 60, "CET": 60, "CEST": 120, "EET": 120, "EEST": 180,
    "MSK": 180, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480,
    "PDT": -420, "JST": 540, "KST": 540, "AEST": 600, "AEDT": 660, "HKT": 480, "SGT": 480, "AMT": 240,
}  # fmt: skip


# Not frozen: a frozen dataclass sets each field through object.__setattr__, three times the cost of a plain one,
# and one of these is made for every date read (one or two per article).
@dataclass(slots=True)
class ParsedDate:
    """A publication time: ``value`` is UTC when ``tz`` is known, else the wall time as written."""

    value: datetime
    precision: str  # "day" or "minute"
    tz: str | None
    raw: str
    format: str


# Possessive letter runs ({m,n}+): a month or weekday is followed by a dot, a comma or whitespace, never by a
# letter, so backtracking into the word could not make a match (a fifth to a quarter of these patterns' time on
# prose lines).
_MONTH = r"(?P<month>[^\W\d_]{3,10}+)\.?"
# A weekday (any language) before the date: "Wed,", "Tuesday", "mardi", "Dienstag,".
_WEEKDAY = r"(?:[^\W\d_]{3,12}+\.?,?\s+)?"
_TIME = (
    r"(?:\s*(?:,|at|à|a las|alle|às|um|-|–|\||T)?\s*(?P<hour>\d{1,2})[:.h](?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.\d+)?)?\s*(?:uhr|hrs|h)?\s*(?P<ampm>[ap]\.?\s?m\.?)?)?"
)
_ZONE = (
    r"(?:\s*\(?(?P<zone>(?-i:Z|"
    + "|".join(sorted(ZONE_OFFSETS, key=len, reverse=True))
    + r"|[A-Z]{2,5})|(?:UTC|GMT)?\s?[+-]\d{1,2}(?::?\d{2})?)\)?)?"
)


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(r"^\s*" + pattern + r"\s*$", re.IGNORECASE)


ISO = _compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?)?"
)
MONTH_DAY_YEAR = _compile(
    _WEEKDAY + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})" + _TIME + _ZONE
)
DAY_MONTH_YEAR = _compile(
    _WEEKDAY
    + r"(?P<day>\d{1,2})(?:st|nd|rd|th|er|º)?\.?\s+(?:of\s+|de\s+)?"
    + _MONTH
    + r",?\s+(?:de\s+)?(?P<year>\d{4})"
    + _TIME
    + _ZONE
)
NUMERIC = _compile(
    r"(?P<first>\d{1,2})(?P<sep>[/.])(?P<second_>\d{1,2})(?P=sep)(?P<year>\d{4})" + _TIME + _ZONE
)


def _numeric_day_month(match: re.Match[str]) -> tuple[int, int] | None:
    first, second = int(match["first"]), int(match["second_"])
    if match["sep"] == ".":
        return first, second  # dotted dates are day-first wherever they are written
    if first > 12 >= second:
        return first, second
    if second > 12 >= first:
        return second, first
    return None  # 03/04/2023 could be either: refuse rather than guess


def _named_day_month(match: re.Match[str]) -> tuple[int, int] | None:
    month = match["month"]
    number = int(month) if month.isdigit() else MONTHS.get(month.lower().rstrip("."))
    return None if number is None else (int(match["day"]), number)


DATE_FORMATS: tuple[tuple[str, re.Pattern[str], Callable[[re.Match[str]], tuple[int, int] | None]], ...] = (
    ("iso", ISO, _named_day_month),
    ("month_day_year", MONTH_DAY_YEAR, _named_day_month),
    ("day_month_year", DAY_MONTH_YEAR, _named_day_month),
    ("numeric", NUMERIC, _numeric_day_month),
)


_YEAR = re.compile(r"\d{4}")


def first_year_at(text: str) -> int:
    """Where the first four digits in a row start in ``text``, or -1: every format of ``DATE_FORMATS`` writes a
    four-digit year, so no date can end before them.

    A cheap test before trying prefixes of a line (-1: none can parse): most header lines are titles or prose.
    """
    found = _YEAR.search(text)
    return -1 if found is None else found.start()


def parse_date(text: str) -> ParsedDate | None:
    """Parse ``text`` when all of it is one date expression in a known format; ``None`` otherwise."""
    for name, pattern, day_month in DATE_FORMATS:
        match = pattern.match(text)
        if match is None:
            continue
        parsed = _build(match, day_month, text.strip(), name)
        if parsed is not None:
            return parsed
    return None


def _build(
    match: re.Match[str], day_month: Callable[[re.Match[str]], tuple[int, int] | None], raw: str, name: str
) -> ParsedDate | None:
    parts = day_month(match)
    if parts is None:
        return None
    day, month = parts
    groups = match.groupdict()
    hour = int(groups["hour"]) if groups.get("hour") else None
    minute = int(groups["minute"]) if groups.get("minute") else 0
    second = int(groups["second"]) if groups.get("second") else 0
    if hour is not None and groups.get("ampm"):
        is_pm = groups["ampm"].lower().startswith("p")
        if hour > 12:
            return None
        hour = hour % 12 + (12 if is_pm else 0)
    try:
        value = datetime(int(match["year"]), month, day, hour or 0, minute, second)
    except ValueError:
        return None
    zone = groups.get("zone")
    offset = _zone_offset(zone) if zone else None
    if hour is None:
        return ParsedDate(value, "day", zone, raw, name)
    if offset is not None:
        value -= timedelta(minutes=offset)
    return ParsedDate(value, "minute", _display_zone(zone), raw, name)


def _display_zone(zone: str | None) -> str | None:
    if zone is None:
        return None
    return "UTC" if zone.upper() == "Z" else zone.strip()


_NUMERIC_ZONE = re.compile(r"(?:UTC|GMT)?\s?([+-])(\d{1,2}):?(\d{2})?")


def _zone_offset(zone: str) -> int | None:
    """Minutes east of UTC for an offset (+02:00, -0500, GMT+3) or a known abbreviation; ``None`` if unknown."""
    zone = zone.strip().upper()
    numeric = _NUMERIC_ZONE.fullmatch(zone)
    if numeric:
        sign = 1 if numeric[1] == "+" else -1
        return sign * (int(numeric[2]) * 60 + int(numeric[3] or 0))
    return ZONE_OFFSETS.get(zone)
