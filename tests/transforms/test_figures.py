"""Casualty and displacement figures: number, hedge, what it counts; years, money and units are not figures."""

from __future__ import annotations

import pytest

from transforms.figures import figures_in, figures_table, parse_quantity


def _found(text: str) -> list[tuple[int, str | None, str]]:
    return [(figure.quantity, figure.qualifier, figure.what) for figure in figures_in(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("At least 200 people were killed in the offensive.", [(200, "at least", "killed")]),
        ("More than 10,000 people fled their homes.", [(10000, "more than", "fled")]),
        (
            "Officials said 32 dead and more than 200 injured.",
            [(32, None, "dead"), (200, "more than", "injured")],
        ),
        ("About 5,000 civilians in the region had been evacuated.", [(5000, "about", "evacuated")]),
        ("The 2020 war killed over 6,700 people.", [(6700, "over", "killed")]),
        (
            "Shelling killed at least four soldiers and two civilians.",
            [(4, "at least", "killed"), (2, None, "killed")],
        ),
        ("Nearly 1.2 million people were displaced.", [(1200000, "nearly", "displaced")]),
        ("Reports of at least 200 deaths.", [(200, "at least", "killed")]),
    ],
)
def test_figures_are_read(text: str, expected: list[tuple[int, str | None, str]]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The conflict began in 1994 and the war in 2020 killed soldiers.",
        "Aid worth $140 million was sent to those displaced.",
        "The convoy travelled 30 kilometres before five hours passed.",
        "The ceasefire was agreed on Wednesday after talks in Yevlakh.",
    ],
)
def test_numbers_that_are_not_figures_are_refused(text: str) -> None:
    assert _found(text) == []


def test_parenthetical_subset_is_not_counted_twice() -> None:
    text = "At least 27 people, including 10 civilians, were killed."
    assert _found(text) == [(27, "at least", "killed")]


def test_figures_table_keeps_the_sentence() -> None:
    rows = figures_table(
        [("a1", "Quiet day.\nMore than 400 people were injured, officials said.")]
    ).to_pylist()
    assert rows == [
        {
            "article_id": "a1",
            "quantity": 400,
            "qualifier": "more than",
            "what": "injured",
            "sentence": "More than 400 people were injured, officials said.",
        }
    ]


def test_parse_quantity() -> None:
    assert [parse_quantity(text) for text in ("10,000", "two", "1.2 million", "3 thousand")] == [
        10000,
        2,
        1200000,
        3000,
    ]
