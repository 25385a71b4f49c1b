"""Article-extraction quality metric of the Scrapinghub/Zyte article-extraction benchmark.

Tokens are ``\\w+`` runs; each text becomes a multiset of 4-token shingles. For each page, tp/fp/fn are
counted over shingles; precision and recall are averaged over pages and F1 is taken of the two means.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

SHINGLE_SIZE = 4

_TOKEN_RE = re.compile(r"\w+")


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN_RE.findall(text or "")
    if not tokens:
        return Counter()
    # A text shorter than one shingle still counts as one (short) shingle, as in the benchmark.
    count = max(1, len(tokens) - SHINGLE_SIZE + 1)
    return Counter(tuple(tokens[i : i + SHINGLE_SIZE]) for i in range(count))


def page_scores(predicted: str, truth: str) -> tuple[float, float]:
    """Return (precision, recall) of one predicted article body against its ground truth.

    Both texts empty (no tokens) is a perfect page: (1.0, 1.0). An empty prediction for a non-empty
    truth, or the reverse, scores (0.0, 0.0): the benchmark's script leaves such undefined pages out
    of its means, which would let an extractor that gives up look better than one that tries.
    """
    pred = _shingles(predicted)
    true = _shingles(truth)
    if not pred and not true:
        return 1.0, 1.0
    tp = sum((pred & true).values())
    pred_total = sum(pred.values())
    true_total = sum(true.values())
    precision = tp / pred_total if pred_total else 0.0
    recall = tp / true_total if true_total else 0.0
    return precision, recall


def corpus_scores(pairs: Iterable[tuple[str, str]]) -> dict[str, float]:
    """Score (predicted, truth) pairs: mean precision and mean recall over pages, F1 of the two means.

    Returns ``{"precision", "recall", "f1"}``; an empty corpus scores 0.0 everywhere.
    """
    precisions: list[float] = []
    recalls: list[float] = []
    for predicted, truth in pairs:
        precision, recall = page_scores(predicted, truth)
        precisions.append(precision)
        recalls.append(recall)
    if not precisions:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    precision = sum(precisions) / len(precisions)
    recall = sum(recalls) / len(recalls)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}
