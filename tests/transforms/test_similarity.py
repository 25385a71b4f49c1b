"""Near-duplicates: a syndicated wire story is found under other headers, footers and small edits; other stories
about the same event are not duplicates."""

from __future__ import annotations

import numpy as np

from tests.conftest import SEEDS
from transforms.similarity import (
    NUM_HASHES,
    THRESHOLD,
    estimated_jaccard,
    folded,
    shingle_hashes,
    signatures,
    similar_pairs,
    similarity_table,
)

AP_STORY = """\
YEREVAN, Armenia (AP) — Tens of thousands of ethnic Armenians streamed out of Nagorno-Karabakh on Tuesday, \
jamming the only road to Armenia after Azerbaijan reclaimed the breakaway region in a lightning offensive last week.
Armenian officials said more than 28,000 people had crossed the border by Tuesday morning, many of them sleeping \
in their cars along the winding mountain road through the Lachin corridor.
A fuel depot explosion near the regional capital, Stepanakert, killed at least 20 people and injured nearly 300 \
on Monday evening as residents lined up for petrol to make the journey.
Azerbaijan has promised to protect the rights of ethnic Armenians who stay, but many residents said they did not \
trust the assurances and feared reprisals after three decades of conflict.
Armenian Prime Minister Nikol Pashinyan said the government was ready to house the refugees and accused \
Azerbaijan of ethnic cleansing, a charge Baku rejects.
The United Nations said it would send a mission to the region for the first time in about 30 years, \
while aid groups warned of shortages of food and medicine in the border town of Goris.
"""


def _syndicated(story: str) -> list[str]:
    """The same story as three outlets publish it: own headers and footers, one with light edits."""
    herald = f"Caucasus Herald | World\nUpdated 14:02 GMT\n{story}Follow us on social media.\nCopyright 2023 Herald."
    edited = (
        story.replace("Tens of thousands of", "Thousands of")
        .replace("on Monday evening", "late on Monday")
        .replace(", a charge Baku rejects", "")
    )
    tribune = f"THE TRIBUNE\n{edited}Read more: Armenia braces for refugee influx\nReporting by AP staff."
    return [story, herald, tribune]


def _seed_bodies() -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(SEEDS.iterdir())]


def test_syndicated_copies_are_near_duplicates() -> None:
    texts = _syndicated(AP_STORY)
    pairs = similar_pairs(["ap", "herald", "tribune"], signatures(texts))
    assert [(first, second) for first, second, _ in pairs] == [
        ("ap", "herald"),
        ("ap", "tribune"),
        ("herald", "tribune"),
    ]
    assert all(score >= THRESHOLD for _, _, score in pairs)


def test_different_stories_about_the_same_event_are_not_duplicates() -> None:
    texts = [*_seed_bodies(), AP_STORY]
    ids = [f"seed{index}" for index in range(5)] + ["ap"]
    signature = signatures(texts)
    assert similar_pairs(ids, signature) == []
    for first in range(len(texts)):
        for second in range(first + 1, len(texts)):
            assert estimated_jaccard(signature[first], signature[second]) < 0.1


def test_estimate_tracks_exact_jaccard() -> None:
    edited = AP_STORY.replace("lightning offensive", "swift offensive").replace("about 30 years", "30 years")
    exact_first, exact_second = shingle_hashes(AP_STORY), shingle_hashes(edited)
    exact = len(np.intersect1d(exact_first, exact_second)) / len(np.union1d(exact_first, exact_second))
    estimate = estimated_jaccard(*signatures([AP_STORY, edited]))
    assert abs(estimate - exact) < 0.12


def test_folded_signatures_give_the_same_pairs() -> None:
    texts = _syndicated(AP_STORY) + _seed_bodies()
    ids = [f"a{index}" for index in range(len(texts))]
    full = signatures(texts)
    assert folded(full).shape == (len(texts), NUM_HASHES)
    assert [pair[:2] for pair in similar_pairs(ids, folded(full))] == [
        pair[:2] for pair in similar_pairs(ids, full)
    ]


def test_texts_without_words_match_nothing() -> None:
    pairs = similar_pairs(["a", "b", "c"], signatures(["", "...", AP_STORY]))
    assert pairs == []


def test_similarity_table_holds_both_directions() -> None:
    table = similarity_table([("a", "b", 0.75)])
    assert table.to_pylist() == [
        {"article_id": "a", "similar_id": "b", "jaccard": 0.75},
        {"article_id": "b", "similar_id": "a", "jaccard": 0.75},
    ]
