"""One test per written date format, and the refusals that keep us from inventing dates."""

from __future__ import annotations

from datetime import datetime

import pytest

from transforms.dates import parse_date


@pytest.mark.parametrize(
    ("text", "value", "precision", "tz"),
    [
        ("2023-09-22", datetime(2023, 9, 22), "day", None),
        ("2024-03-05T14:30:00+01:00", datetime(2024, 3, 5, 13, 30), "minute", "+01:00"),
        ("2024-01-01T10:00:00Z", datetime(2024, 1, 1, 10, 0), "minute", "UTC"),
        ("Wed, 29 Nov 2023", datetime(2023, 11, 29), "day", None),
        ("Tue, 05 Mar 2024 09:15:00 GMT", datetime(2024, 3, 5, 9, 15), "minute", "GMT"),
        ("September 21, 2023 2:49 a.m", datetime(2023, 9, 21, 2, 49), "minute", None),
        ("Sept. 21, 2023", datetime(2023, 9, 21), "day", None),
        ("Jan. 5, 2024 at 3:10 p.m. EST", datetime(2024, 1, 5, 20, 10), "minute", "EST"),
        ("21 September 2023 14:05 GMT", datetime(2023, 9, 21, 14, 5), "minute", "GMT"),
        ("12 May 2024 08:00 BST", datetime(2024, 5, 12, 7, 0), "minute", "BST"),
        ("3 June 2024", datetime(2024, 6, 3), "day", None),
        ("22/09/2023", datetime(2023, 9, 22), "day", None),
        ("09/22/2023", datetime(2023, 9, 22), "day", None),
        ("22.09.2023", datetime(2023, 9, 22), "day", None),
    ],
)
def test_format(text: str, value: datetime, precision: str, tz: str | None) -> None:
    parsed = parse_date(text)
    assert parsed is not None
    assert (parsed.value, parsed.precision, parsed.tz) == (value, precision, tz)


@pytest.mark.parametrize(
    "text",
    [
        "03/04/2023",
        "September 20",
        "on Tuesday",
        "yesterday",
        "2023-02-30",
        "13:05",
        "the 2023 war",
        "31/31/2023",
    ],
)
def test_refuses_what_is_not_a_full_unambiguous_date(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("4 juin 2024 à 8h15", datetime(2024, 6, 4, 8, 15), "minute"),
        ("4. Juni 2024, 14.05 Uhr", datetime(2024, 6, 4, 14, 5), "minute"),
        ("4 de junio de 2024", datetime(2024, 6, 4), "day"),
        ("martedì 4 giugno 2024", datetime(2024, 6, 4), "day"),
        ("4 de junho de 2024 às 10h30", datetime(2024, 6, 4, 10, 30), "minute"),
    ],
)
def test_month_names_in_other_languages(text: str, value: datetime, precision: str) -> None:
    parsed = parse_date(text)
    assert parsed is not None and (parsed.value, parsed.precision) == (value, precision)


def test_unknown_zone_abbreviation_keeps_wall_time_and_says_so() -> None:
    parsed = parse_date("21 September 2023 14:05 IST")
    assert (parsed.value, parsed.tz) == (datetime(2023, 9, 21, 14, 5), "IST")


def test_a_word_is_not_a_month() -> None:
    assert parse_date("Flood 21, 2023") is None
