"""`newsetl eval`: newsetl and trafilatura side by side on labeled inputs."""

from __future__ import annotations

from pathlib import Path

from transforms.evaluation import (
    FIELDS,
    Score,
    evaluate,
    load_gold,
    newsetl_prediction,
    trafilatura_prediction,
)

# Targets the gold set must meet (issue 3); tests/transforms/test_gold_accuracy.py enforces the same numbers.
GOLD_TARGETS = {
    "removal_precision": 0.99,
    "removal_recall": 0.97,
    "published_at": 0.97,
    "title": 0.95,
    "outlet": 0.90,
}


def evaluate_gold(folder: Path, *, compare: bool = True) -> list[Score]:
    """Score newsetl (and trafilatura when installed and ``compare``) on the gold cases in ``folder``."""
    cases = load_gold(folder)
    scores = [evaluate(cases, "newsetl", newsetl_prediction)]
    if compare and trafilatura_available():
        scores.append(evaluate(cases, "trafilatura", trafilatura_prediction))
    return scores


def trafilatura_available() -> bool:
    """Whether the optional comparison extractor is installed (`pip install newsetl[compare]`)."""
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        return False
    return True


def gold_report_rows(scores: list[Score]) -> list[tuple[str, list[str]]]:
    """(metric, one formatted figure per system) rows for printing."""
    rows = [
        ("removal precision", [f"{s.removal_precision:.3f}" for s in scores]),
        ("removal recall", [f"{s.removal_recall:.3f}" for s in scores]),
    ]
    rows += [(f"{name} accuracy", [f"{s.accuracy(name):.3f}" for s in scores]) for name in FIELDS]
    rows.append(("articles/s", [f"{s.cases / s.seconds:.0f}" if s.seconds else "-" for s in scores]))
    return rows


def evaluate_html(folder: Path, *, compare: bool = True) -> list[dict]:
    """F1/precision/recall and pages/s of newsetl (and trafilatura) on a benchmark-layout HTML folder."""
    from transforms.html_eval import evaluate_html_dir, newsetl_article_body, trafilatura_body

    extractors = [("newsetl", newsetl_article_body)]
    if compare and trafilatura_available():
        extractors.append(("trafilatura", trafilatura_body))
    return [dict(evaluate_html_dir(folder, body), extractor=name) for name, body in extractors]
