"""Measured accuracy on a labeled gold set: removal precision/recall and per-field accuracy.

A gold case is a folder with ``input.(txt|html|jsonl)`` and ``expected.json`` (see ``tests/gold/README.md``). Any
extractor is scored the same way: it maps an input file to a ``Prediction`` (body text and metadata fields).

Removal is scored per line of the input's visible text: a line is "removed" by a system when it does not appear in
that system's body, and truly removed when it does not appear in the expected body. Lines are compared with
whitespace collapsed; a line that keeps its text after a stripped prefix (a dateline) counts as kept.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FIELDS = ("title", "published_at", "dateline", "byline", "outlet", "wire_agencies", "language")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class GoldCase:
    """One labeled input."""

    name: str
    input_path: Path
    expected: dict


@dataclass(slots=True)
class Prediction:
    """What a system extracted from one input."""

    body: str
    fields: dict[str, object]


@dataclass(slots=True)
class Score:
    """Scores of one system on a gold set."""

    system: str
    cases: int = 0
    removal_tp: int = 0
    removal_fp: int = 0
    removal_fn: int = 0
    field_correct: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)

    @property
    def removal_precision(self) -> float:
        """Share of the lines the system removed that are boilerplate or metadata."""
        removed = self.removal_tp + self.removal_fp
        return self.removal_tp / removed if removed else 1.0

    @property
    def removal_recall(self) -> float:
        """Share of the boilerplate and metadata lines that the system removed."""
        truly = self.removal_tp + self.removal_fn
        return self.removal_tp / truly if truly else 1.0

    def accuracy(self, name: str) -> float:
        """Share of cases where the field equals the label."""
        return self.field_correct[name] / self.cases if self.cases else 0.0

    def as_dict(self) -> dict:
        """Plain-data view for JSON output."""
        return {
            "system": self.system,
            "cases": self.cases,
            "removal_precision": round(self.removal_precision, 4),
            "removal_recall": round(self.removal_recall, 4),
            **{f"{name}_accuracy": round(self.accuracy(name), 4) for name in FIELDS},
            "seconds": round(self.seconds, 3),
        }


def load_gold(folder: Path) -> list[GoldCase]:
    """The gold cases under ``folder``, sorted by name."""
    cases = []
    for case in sorted(path for path in folder.iterdir() if (path / "expected.json").is_file()):
        [input_path] = sorted(case.glob("input.*"))
        expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        cases.append(GoldCase(case.name, input_path, expected))
    return cases


def visible_lines(path: Path) -> list[str]:
    """The input's visible text, one normalized line per text block: the units removal is scored on."""
    data = path.read_bytes()
    if path.suffix == ".jsonl":
        record = json.loads(data.decode("utf-8").strip().splitlines()[0])
        if record.get("text"):
            return _nonblank(record["text"].splitlines())
        return _html_lines(record.get("html", ""))
    if path.suffix in {".html", ".htm"}:
        return _html_lines(data.decode("utf-8", errors="replace"))
    return _nonblank(data.decode("utf-8", errors="replace").splitlines())


def _html_lines(html: str) -> list[str]:
    """Visible text blocks of a page, segmented by BeautifulSoup rather than by newsetl's own extractor.

    Scoring removal on units cut by a parser other than the one being scored keeps the measure neutral; speed
    does not matter here.
    """
    from bs4 import BeautifulSoup

    if not html.strip():
        return []
    soup = BeautifulSoup(html, "lxml")
    for element in soup(["script", "style", "noscript", "template", "head"]):
        element.decompose()
    lines = [normalize(text) for text in soup.get_text("\n").splitlines()]
    return [line for line in lines if line]


def _nonblank(lines: list[str]) -> list[str]:
    return [text for text in (normalize(line) for line in lines) if text]


def normalize(text: str) -> str:
    """Collapse whitespace and strip."""
    return _SPACES.sub(" ", text).strip()


def _kept(line: str, body: str) -> bool:
    return bool(line) and line in body


def score_case(score: Score, case: GoldCase, prediction: Prediction) -> None:
    """Add one case's removal counts and field matches to ``score``."""
    expected = case.expected
    truth_body = normalize(expected["body"])
    predicted_body = normalize(prediction.body)
    score.cases += 1
    for line in visible_lines(case.input_path):
        truly_removed = not _kept(line, truth_body)
        removed = not _kept(line, predicted_body)
        if removed and truly_removed:
            score.removal_tp += 1
        elif removed:
            score.removal_fp += 1
            score.misses.append(f"{case.name}: removed article line {line[:70]!r}")
        elif truly_removed:
            score.removal_fn += 1
            score.misses.append(f"{case.name}: kept boilerplate {line[:70]!r}")
    for name in FIELDS:
        if field_matches(name, expected.get(name), prediction.fields.get(name)):
            score.field_correct[name] += 1
        else:
            score.misses.append(
                f"{case.name}: {name} expected {expected.get(name)!r} got {prediction.fields.get(name)!r}"
            )


def field_matches(name: str, expected: object, predicted: object) -> bool:
    """Whether a predicted field equals its label (case- and space-insensitive for text, to the labeled precision for dates)."""
    if name == "published_at":
        if expected is None or predicted is None:
            return expected is None and predicted is None
        return str(predicted)[: len(str(expected))] == str(expected)
    if name == "wire_agencies":
        return sorted(a.casefold() for a in expected or []) == sorted(a.casefold() for a in predicted or [])
    if expected is None or predicted is None:
        return expected is None and predicted is None
    return normalize(str(expected)).casefold() == normalize(str(predicted)).casefold()


def evaluate(cases: list[GoldCase], system: str, extract: Callable[[Path], Prediction]) -> Score:
    """Score ``extract`` on every case (timing included)."""
    score = Score(system)
    for case in cases:
        started = time.perf_counter()
        prediction = extract(case.input_path)
        score.seconds += time.perf_counter() - started
        score_case(score, case, prediction)
    return score


def newsetl_prediction(path: Path) -> Prediction:
    """newsetl's own extraction of one gold input (the same transforms the pipeline runs)."""
    from transforms.articles import build_article
    from transforms.documents import Document, parse_source

    items = parse_source(str(path), path.read_bytes())
    document = next((item for item in items if isinstance(item, Document)), None)
    if document is None:
        return Prediction("", {})
    article = build_article(document).article
    published = article["published_at"]
    fields = {name: article[name] for name in FIELDS if name != "published_at"}
    fields["published_at"] = published.strftime("%Y-%m-%dT%H:%M") if published else None
    if published is not None and article["published_precision"] == "day":
        fields["published_at"] = published.strftime("%Y-%m-%d")
    return Prediction(article["body"], fields)


def trafilatura_prediction(path: Path) -> Prediction:
    """trafilatura's extraction of one gold input (text inputs are wrapped as HTML paragraphs first)."""
    import trafilatura

    data = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix == ".jsonl":
        record = json.loads(data.strip().splitlines()[0])
        data = record.get("html") or as_html(record.get("text", "").splitlines())
    elif path.suffix == ".txt":
        data = as_html(data.splitlines())
    document = trafilatura.bare_extraction(data, with_metadata=True, include_comments=False)
    if document is None:
        return Prediction("", {})
    as_dict = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    fields = {
        "title": as_dict.get("title"),
        "published_at": as_dict.get("date"),
        "dateline": None,
        "byline": as_dict.get("author"),
        "outlet": as_dict.get("sitename"),
        "wire_agencies": [],
        "language": as_dict.get("language"),
    }
    return Prediction(as_dict.get("text") or "", fields)


def as_html(lines: list[str]) -> str:
    """Plain-text lines as a minimal HTML page, one escaped ``<p>`` per non-blank line (for HTML-only extractors)."""
    paragraphs = "".join(f"<p>{html_lib.escape(line)}</p>" for line in lines if line.strip())
    return f"<html><body>{paragraphs}</body></html>"
