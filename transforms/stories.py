"""Story clusters: articles about the same event, grouped by TF-IDF cosine similarity within a time window.

Single-pass clustering, as in topic detection and tracking: articles are taken in publication order and each joins
the most similar story that is still open (its latest article is at most ``WINDOW_DAYS`` older), when the cosine
similarity of the article's TF-IDF vector to the story's centroid reaches ``THRESHOLD``; otherwise it starts a
story of its own. The window keeps a recurring conflict's separate flare-ups, months apart, from fusing into one
story while the same vocabulary comes back; 90 days is wide enough for follow-ups and late re-publications.

Articles without ``published_at`` cannot be placed in time, and their ingestion time says when the pipeline saw
them, not when the event happened, so it must not stand in for it. They are clustered by text alone, after the
dated ones: each joins the most similar story of any date (or another undated article's story) when it reaches the
threshold.

Vectors: terms are lower-case words of three letters or more, minus English stop words; weights are sublinear term
frequency times smoothed inverse document frequency over the articles clustered together (with a floor on the
article count, ``MIN_IDF_DOCUMENTS``); each article keeps its ``TOP_TERMS`` heaviest terms (L2-normalised), which is
enough to say what a news story is about and keeps both memory and the inverted index small at 100,000 articles.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from transforms.schemas import STORY_CLUSTERS

WINDOW_DAYS = 90
THRESHOLD = 0.2
TOP_TERMS = 40
# IDF is computed as if there were at least this many articles. In a small warehouse that holds mostly one story,
# the story's own vocabulary (Karabakh, Azerbaijan, ceasefire) is in every article, and plain IDF would weigh it
# least: exactly the terms that say what the story is about. With the floor, a term in every one of 5 articles
# still outweighs nothing but a rare one; from 1,000 articles on, it is plain smoothed IDF.
MIN_IDF_DOCUMENTS = 1000
# A term shared by more open stories than this is too common to find candidates with (it still counts in scores).
MAX_POSTINGS = 2000
_FREQUENCY_CHUNK = 1000

_TERM = re.compile(r"[^\W\d_]{3,}")
STOP_WORDS = frozenset(
    """
    about above across after again against all almost along already also although among and another any anyone
    are around because been before being below between both but can cannot could did does doing done down during
    each either else even ever every few for from further had has have having her here hers herself him himself his
    how however into its itself just last least less like made make many may might more most much must near need
    neither never new next nor not now off often once one only onto other others our ours ourselves out over own
    per perhaps put rather said same says see seen several shall she should since some still such than that the
    their theirs them themselves then there these they this those though three through thus till too toward two
    under until upon very via was way well were what whatever when where whether which while who whole whom whose
    why will with within without would yet you your yours also told say according week weeks year years day days
    monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow time times first second
    """.split()
)


@dataclass(frozen=True, slots=True)
class StoryArticle:
    """What clustering needs of an article: its id, publication time (or None) and text (title and body)."""

    article_id: str
    published_at: datetime | None
    text: str


@dataclass(slots=True)
class _Story:
    cluster_id: str
    centroid: dict[int, float] = field(default_factory=dict)
    norm_squared: float = 0.0
    latest: datetime | None = None
    members: list[str] = field(default_factory=list)


def terms(text: str) -> list[str]:
    """The text's index terms: lower-case words of three letters or more that are not stop words."""
    return [word for word in _TERM.findall(text.casefold()) if word not in STOP_WORDS]


def cluster_stories(
    articles: Iterable[StoryArticle],
    threshold: float = THRESHOLD,
    window_days: int = WINDOW_DAYS,
    top_terms: int = TOP_TERMS,
) -> list[tuple[str, str]]:
    """``(cluster_id, article_id)`` for every article; a cluster's id is the article_id of its first article.

    ``articles`` is read twice (term statistics, then vectors), so that no article's text is held longer than
    it takes to read it: pass a collection, or an iterable whose every ``iter`` starts over in the same order (a
    stream from the warehouse); a one-shot iterator is read into a list first. The result does not depend on
    that order: stories form in publication order, and term ids only name terms.
    """
    articles = _reiterable(articles)
    keys: list[tuple[str, datetime | None]] = []

    def texts() -> Iterator[str]:
        for article in articles:
            keys.append((article.article_id, article.published_at))
            yield article.text

    vocabulary, frequency, count = _document_frequencies(texts())
    vectors = _Vectors(vocabulary, frequency, count, top_terms)
    for row, article in enumerate(articles):
        if row >= count or article.article_id != keys[row][0]:
            raise ValueError("the articles changed between the two reads clustering makes")
        vectors.add(article.text)
    order = sorted(
        range(len(keys)),
        key=lambda index: (keys[index][1] is None, keys[index][1] or datetime.min, keys[index][0]),
    )
    window = timedelta(days=window_days)
    stories: list[_Story] = []
    postings: dict[int, set[int]] = {}
    for index in order:
        (article_id, published_at), vector = keys[index], vectors[index]
        best, best_score, best_dot = None, threshold, 0.0
        for candidate in _candidates(vector, postings):
            story = stories[candidate]
            dated = published_at is not None and story.latest is not None
            if dated and published_at - story.latest > window:
                continue
            dot = _dot(vector, story.centroid)
            score = dot / math.sqrt(story.norm_squared) if story.norm_squared else 0.0
            if score >= best_score:
                best, best_score, best_dot = candidate, score, dot
        if best is None:
            best, best_dot = len(stories), 0.0
            stories.append(_Story(article_id))
        _join(stories[best], best, article_id, published_at, vector, best_dot, postings)
    return [(story.cluster_id, member) for story in stories for member in story.members]


def clusters_table(assignments: Iterable[tuple[str, str]]) -> pa.Table:
    """``story_clusters`` rows from ``(cluster_id, article_id)`` pairs."""
    rows = [{"cluster_id": cluster_id, "article_id": article_id} for cluster_id, article_id in assignments]
    return pa.Table.from_pylist(rows, schema=STORY_CLUSTERS)


def _candidates(vector: dict[int, float], postings: dict[int, set[int]]) -> set[int]:
    found: set[int] = set()
    for term in vector:
        stories = postings.get(term)
        if stories and len(stories) <= MAX_POSTINGS:
            found |= stories
    return found


def _dot(vector: dict[int, float], centroid: dict[int, float]) -> float:
    """Dot product of a sparse article vector and a story centroid (the cosine's numerator)."""
    return sum(weight * centroid.get(term, 0.0) for term, weight in vector.items())


def _join(
    story: _Story,
    number: int,
    article_id: str,
    published_at: datetime | None,
    vector: dict[int, float],
    dot: float,
    postings: dict[int, set[int]],
) -> None:
    # |c + v|^2 = |c|^2 + 2 c.v + |v|^2: the norm is kept up to date without a pass over the centroid; ``dot`` is
    # c.v, already computed when the story was scored.
    story.norm_squared += 2 * dot + sum(weight * weight for weight in vector.values())
    for term, weight in vector.items():
        if term not in story.centroid:
            postings.setdefault(term, set()).add(number)
        story.centroid[term] = story.centroid.get(term, 0.0) + weight
    story.members.append(article_id)
    if published_at is not None and (story.latest is None or published_at > story.latest):
        story.latest = published_at


def _reiterable(items: Iterable) -> Iterable:
    """``items`` itself when iterating it again starts over, else its items in a list."""
    return list(items) if iter(items) is items else items


def _document_frequencies(texts: Iterable[str]) -> tuple[dict[str, int], np.ndarray, int]:
    """The vocabulary (term -> id, in order of first use), each term's document count, and the text count.

    Counts are folded in per ``_FREQUENCY_CHUNK`` texts, so that no per-text data outlives its chunk.
    """
    vocabulary: dict[str, int] = {}
    frequency = np.zeros(0, dtype=np.int64)
    pending: list[np.ndarray] = []
    count = 0

    def fold() -> np.ndarray:
        seen = np.bincount(np.concatenate(pending), minlength=len(vocabulary)) if pending else 0
        pending.clear()
        return np.pad(frequency, (0, len(vocabulary) - len(frequency))) + seen

    for text in texts:
        ids = {vocabulary.setdefault(term, len(vocabulary)) for term in terms(text)}
        pending.append(np.fromiter(ids, dtype=np.int64, count=len(ids)))
        count += 1
        if len(pending) >= _FREQUENCY_CHUNK:
            frequency = fold()
    return vocabulary, fold(), count


class _Vectors:
    """TF-IDF vectors of known texts, in compact rows: at most ``top_terms`` term ids and weights per text.

    A vector is a dict only while it is used: at 100,000 articles, dicts of 40 floats would take 400 MB, these
    rows 50 MB.
    """

    def __init__(self, vocabulary: dict[str, int], frequency: np.ndarray, count: int, top_terms: int) -> None:
        self._vocabulary = vocabulary
        self._idf = np.log((1 + max(count, MIN_IDF_DOCUMENTS)) / (1 + frequency)) + 1.0
        self._top_terms = top_terms
        self._ids = np.zeros((count, top_terms), dtype=np.int32)
        self._weights = np.zeros((count, top_terms), dtype=np.float64)
        self._lengths = np.zeros(count, dtype=np.int32)
        self._added = 0

    def add(self, text: str) -> None:
        """Vectorise the next text (texts come in the order the statistics were gathered in)."""
        counts = Counter(self._vocabulary[term] for term in terms(text))
        ids = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
        weights = (
            1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
        ) * self._idf[ids]
        if len(weights) > self._top_terms:
            keep = np.argpartition(weights, -self._top_terms)[-self._top_terms :]
            ids, weights = ids[keep], weights[keep]
        norm = float(np.sqrt(np.dot(weights, weights)))
        row = self._added
        self._added += 1
        if norm:
            self._ids[row, : len(ids)] = ids
            self._weights[row, : len(ids)] = weights / norm
            self._lengths[row] = len(ids)

    def __getitem__(self, row: int) -> dict[int, float]:
        length = self._lengths[row]
        return dict(zip(self._ids[row, :length].tolist(), self._weights[row, :length].tolist(), strict=True))
