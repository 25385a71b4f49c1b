"""A batch of input files to Arrow tables: the unit of work a pipeline task (or a worker process) runs.

Reading the files happens here, next to the transforms, so that a worker needs only the paths: nothing large
crosses a process or network boundary on the way in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from transforms.articles import build_article
from transforms.documents import Document, Rejection, parse_source
from transforms.schemas import ARTICLES, BOILERPLATE_REMOVALS, QUARANTINE, table_from_rows

MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(slots=True)
class Batch:
    """The tables one batch of files produced, and its accounting."""

    articles: pa.Table
    removals: pa.Table
    quarantine: pa.Table
    documents_seen: int


def read_input(path: str) -> bytes | Rejection:
    """The bytes of one input file, or a ``Rejection`` saying why they cannot be read."""
    try:
        size = os.stat(path).st_size
        if size > MAX_FILE_BYTES:
            return Rejection(path, 0, "read", "file_too_large", f"{size} bytes > limit {MAX_FILE_BYTES}")
        with open(path, "rb") as handle:
            return handle.read()
    except IsADirectoryError:
        return Rejection(path, 0, "read", "not_a_file", "a directory, not a file")
    except PermissionError as error:
        return Rejection(path, 0, "read", "permission_denied", str(error))
    except OSError as error:
        return Rejection(path, 0, "read", "read_error", f"{type(error).__name__}: {error}")


def build_batch(paths: list[str], run_id: str, ingested_at: datetime) -> Batch:
    """Read, decode, clean and split every file of ``paths``; never raises for bad input."""
    articles: list[dict] = []
    removals: list[dict] = []
    quarantine: list[dict] = []
    documents_seen = 0
    for path in paths:
        data = read_input(path)
        items: list[Document | Rejection] = (
            [data] if isinstance(data, Rejection) else parse_source(path, data)
        )
        for item in items:
            documents_seen += 1
            if isinstance(item, Rejection):
                quarantine.append(_quarantine_row(item, run_id, ingested_at))
                continue
            try:
                rows = build_article(item)
            except Exception as error:  # a transform bug must quarantine one article, not end the run
                rejection = Rejection(
                    path, item.source_record, "clean", "transform_error", f"{type(error).__name__}: {error}"
                )
                quarantine.append(_quarantine_row(rejection, run_id, ingested_at))
                continue
            articles.append(dict(rows.article, run_id=run_id, ingested_at=ingested_at))
            removals.extend(
                dict(row, source_path=path, source_record=item.source_record, run_id=run_id)
                for row in rows.removals
            )
    return Batch(
        articles=table_from_rows(articles, ARTICLES),
        removals=table_from_rows(removals, BOILERPLATE_REMOVALS),
        quarantine=table_from_rows(quarantine, QUARANTINE),
        documents_seen=documents_seen,
    )


def drop_duplicate_articles(articles: pa.Table) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Keep the first row of each article_id; returns the rest as (row index, id it duplicates)."""
    seen: set[str] = set()
    keep: list[int] = []
    duplicates: list[tuple[int, str]] = []
    for index, article_id in enumerate(articles.column("article_id").to_pylist()):
        if article_id in seen:
            duplicates.append((index, article_id))
        else:
            seen.add(article_id)
            keep.append(index)
    if not duplicates:
        return articles, []
    return articles.take(pa.array(keep, type=pa.int64())), duplicates


def _quarantine_row(rejection: Rejection, run_id: str, at: datetime) -> dict:
    return {
        "run_id": run_id,
        "source_path": rejection.source_path,
        "source_record": rejection.source_record,
        "stage": rejection.stage,
        "reason": rejection.reason,
        "detail": rejection.detail,
        "quarantined_at": at,
    }


def quarantine_rows(rejections: list[Rejection], run_id: str, at: datetime) -> pa.Table:
    """Quarantine table rows for rejections made outside a batch (discovery)."""
    return table_from_rows([_quarantine_row(rejection, run_id, at) for rejection in rejections], QUARANTINE)


def rejected_rows(articles: pa.Table, rejections: list, run_id: str, at: datetime) -> pa.Table:
    """Quarantine rows for articles the row checks refused (``rejections`` carry row, expectation, detail)."""
    paths = articles.column("source_path").to_pylist()
    records = articles.column("source_record").to_pylist()
    rows = [
        _quarantine_row(
            Rejection(
                paths[rejection.row],
                records[rejection.row],
                "validate",
                rejection.expectation,
                rejection.detail,
            ),
            run_id,
            at,
        )
        for rejection in rejections
    ]
    return table_from_rows(rows, QUARANTINE)


REMOVAL_KEY = ["article_id", "source_path", "source_record"]


def removals_of(articles: pa.Table, removals: pa.Table) -> pa.Table:
    """The removal rows that belong to ``articles`` (same id, file and record)."""
    if removals.num_rows == 0 or articles.num_rows == 0:
        return removals.slice(0, 0)
    kept = removals.join(articles.select(REMOVAL_KEY), keys=REMOVAL_KEY, join_type="left semi")
    return kept.select(removals.column_names).sort_by(
        [("source_path", "ascending"), ("line_no", "ascending")]
    )
