"""The article-extraction benchmark's metric: 4-token shingle multisets, page means, F1 of the means."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from transforms.extraction_metric import corpus_scores, page_scores


def _reference_page_scores(predicted: str, truth: str) -> tuple[float, float]:
    """The benchmark's definition, written out longhand: tp/fp/fn over shingle counts."""

    def shingles(text: str) -> Counter:
        tokens = re.findall(r"\w+", text)
        return Counter(tuple(tokens[i : i + 4]) for i in range(max(1, len(tokens) - 3)) if tokens[i : i + 4])

    pred, true = shingles(predicted), shingles(truth)
    tp = fp = fn = 0
    for key in set(pred) | set(true):
        tp += min(pred[key], true[key])
        fp += max(0, pred[key] - true[key])
        fn += max(0, true[key] - pred[key])
    return tp / (tp + fp), tp / (tp + fn)


def test_identical_texts_score_one():
    assert page_scores("The cat sat on the mat today.", "The cat sat on the mat today.") == (1.0, 1.0)


def test_both_empty_counts_as_perfect():
    assert page_scores("", "") == (1.0, 1.0)
    assert page_scores("  ...  ", "!!") == (1.0, 1.0)


def test_empty_prediction_or_empty_truth_scores_zero():
    assert page_scores("", "one two three four five") == (0.0, 0.0)
    assert page_scores("one two three four five", "") == (0.0, 0.0)


def test_missing_tail_costs_recall_only():
    # truth has 2 shingles (a b c d, b c d e), the prediction 1 of them
    assert page_scores("a b c d", "a b c d e") == (1.0, 0.5)


def test_extra_text_costs_precision_only():
    assert page_scores("a b c d e", "a b c d") == (0.5, 1.0)


def test_shingles_are_a_multiset():
    # the repeated shingle counts twice in the prediction, once in the truth
    precision, recall = page_scores("w x y z w x y z", "w x y z")
    assert recall == 1.0
    assert precision == pytest.approx(1 / 5)


def test_text_shorter_than_a_shingle_is_one_shingle():
    assert page_scores("hello world", "hello world") == (1.0, 1.0)
    assert page_scores("hello world", "hello there") == (0.0, 0.0)


def test_tokens_are_word_runs_case_sensitive_punctuation_and_lines_ignored():
    assert page_scores("One, two;\nthree -- four!", "One two three four") == (1.0, 1.0)
    assert page_scores("one two three four", "One two three four") == (0.0, 0.0)


def test_matches_the_longhand_definition_on_random_texts():
    rng = random.Random(7)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    for _ in range(200):
        truth = " ".join(rng.choices(words, k=rng.randint(4, 40)))
        predicted = " ".join(rng.choices(words, k=rng.randint(4, 40)))
        expected = _reference_page_scores(predicted, truth)
        assert page_scores(predicted, truth) == pytest.approx(expected)


def test_corpus_scores_take_f1_of_the_mean_precision_and_mean_recall():
    pairs = [
        ("a b c d", "a b c d e"),  # (1.0, 0.5)
        ("a b c d e", "a b c d"),  # (0.5, 1.0)
        ("x y z w", "x y z w"),  # (1.0, 1.0)
    ]
    scores = corpus_scores(pairs)
    assert scores["precision"] == pytest.approx(2.5 / 3)
    assert scores["recall"] == pytest.approx(2.5 / 3)
    assert scores["f1"] == pytest.approx(2.5 / 3)


def test_corpus_f1_is_not_the_mean_of_page_f1s():
    scores = corpus_scores([("a b c d", "a b c d e f g"), ("q r s t", "q r s t")])
    precision, recall = 1.0, (0.25 + 1.0) / 2
    assert scores["f1"] == pytest.approx(2 * precision * recall / (precision + recall))


def test_empty_corpus_scores_zero():
    assert corpus_scores([]) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_corpus_scores_accepts_any_iterable():
    assert corpus_scores(iter([("a b c d", "a b c d")]))["f1"] == 1.0
