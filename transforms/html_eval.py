"""Score an HTML article-body extractor on a dev set laid out like the article-extraction benchmark.

Layout: ``<dir>/html/<id>.html.gz`` (gzip-compressed page) and ``<dir>/ground-truth.json``
(``{"<id>": {"articleBody": "...", ...}}``).
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable
from pathlib import Path

from transforms.extraction_metric import corpus_scores, page_scores

BodyExtractor = Callable[[bytes], str]


def load_html_dir(benchmark_dir: Path) -> list[tuple[str, bytes, str]]:
    """Load ``(page_id, html_bytes, true_body)`` for every page of the dev set, sorted by id.

    Raises ``FileNotFoundError`` when the ground truth is missing and ``ValueError`` when a
    ground-truth page has no html file.
    """
    benchmark_dir = Path(benchmark_dir)
    truth = json.loads((benchmark_dir / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        path = benchmark_dir / "html" / f"{page_id}.html.gz"
        if not path.is_file():
            raise ValueError(f"ground truth names page {page_id} but {path} is missing")
        pages.append((page_id, gzip.decompress(path.read_bytes()), truth[page_id].get("articleBody") or ""))
    return pages


def score_pages(
    pages: list[tuple[str, bytes, str]], extractor_body: BodyExtractor
) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """Run ``extractor_body`` on loaded pages; return the corpus scores and per-page (precision, recall).

    An extractor exception counts as an empty body for that page, as a quarantined page would.
    The corpus dict holds f1, precision, recall, pages, seconds (extraction time only) and pages_per_s.
    """
    predictions = []
    seconds = 0.0
    for _page_id, html, _truth in pages:
        started = time.perf_counter()
        try:
            body = extractor_body(html)
        except Exception:
            body = ""
        seconds += time.perf_counter() - started
        predictions.append(body)
    pairs = [(body, truth) for body, (_, _, truth) in zip(predictions, pages, strict=True)]
    scores: dict[str, float] = dict(corpus_scores(pairs))
    scores["pages"] = len(pages)
    scores["seconds"] = seconds
    scores["pages_per_s"] = len(pages) / seconds if seconds else 0.0
    per_page = {
        page_id: page_scores(body, truth)
        for body, (page_id, _, truth) in zip(predictions, pages, strict=True)
    }
    return scores, per_page


def evaluate_html_dir(benchmark_dir: Path, extractor_body: BodyExtractor) -> dict[str, float]:
    """Score a body extractor (page bytes -> article text) on a benchmark-layout directory.

    Returns f1, precision, recall, pages, seconds and pages_per_s (timing covers extraction only,
    on the calling process's single core).
    """
    scores, _ = score_pages(load_html_dir(benchmark_dir), extractor_body)
    return scores


def newsetl_body(html: bytes) -> str:
    """Body of newsetl's own extractor, paragraphs joined by newlines ("" when it quarantines the page)."""
    from transforms.html_extract import HtmlExtractionError, extract_html

    try:
        return "\n".join(extract_html(html).paragraphs)
    except HtmlExtractionError:
        return ""


def newsetl_article_body(html: bytes) -> str:
    """Body as the pipeline stores it: main content, then the line rules and header split ("" if quarantined)."""
    from transforms.articles import build_article
    from transforms.documents import Document, parse_source

    [item] = parse_source("page.html", html)
    return build_article(item).article["body"] if isinstance(item, Document) else ""


def trafilatura_body(html: bytes) -> str:
    """Body from ``trafilatura.extract`` with its defaults (the reference extractor); "" when it finds none."""
    import trafilatura

    return trafilatura.extract(html) or ""
