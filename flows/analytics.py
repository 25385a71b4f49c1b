"""The analytics refresh after a load: near-duplicates, story clusters, figures and the search index.

Per-article work (MinHash signatures, figures) runs only for articles no refresh has analysed yet, in chunks, and
its results are kept; the whole-corpus steps (pairing signatures by LSH, clustering, the BM25 index) run again only
when the set of current articles changed, so a run that loaded nothing costs nothing here. The refresh is one
transaction of its own, after the load's: a failed refresh leaves the loaded data alone and the next one catches up.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

from flows.reporting import StageClock
from transforms.figures import figures_table
from transforms.schemas import ARTICLE_MINHASH
from transforms.similarity import NUM_HASHES, folded, has_words, signatures, similar_pairs, similarity_table
from transforms.stories import StoryArticle, cluster_stories, clusters_table
from warehouse import analytics
from warehouse.db import append_rows, memory_limit, transaction

# Texts are read and analysed this many at a time: 2,000 bodies of 5 KB and their shingle hashes take tens of MB,
# and DuckDB's per-query cost is noise at that size.
BATCH_ARTICLES = 2_000
# DuckDB spills beyond this instead of growing with the corpus; at 100,000 articles 256 MB gave a lower peak than
# 512 MB and no slower a search index (DuckDB's own allocator holds memory beyond its limit).
MEMORY_LIMIT = "256MB"


@dataclass(slots=True)
class RefreshReport:
    """What a refresh did, and how long each step took."""

    analysed: int = 0
    retired: int = 0
    similar_pairs: int | None = None
    clusters: int | None = None
    seconds: dict[str, float] = field(default_factory=dict)


def refresh_analytics(connection: duckdb.DuckDBPyConnection) -> RefreshReport:
    """Bring the derived tables and the search index up to date with the current articles."""
    clock = StageClock()
    report = RefreshReport(seconds=clock.seconds)
    with memory_limit(connection, MEMORY_LIMIT):
        with transaction(connection):
            with clock("per_article"):
                report.retired = analytics.prune_derived(connection)
                for batch in analytics.unanalysed_texts(connection, BATCH_ARTICLES):
                    _analyse(connection, batch)
                    report.analysed += batch.num_rows
            if not (report.analysed or report.retired or not analytics.search_index_exists(connection)):
                return report
            with clock("similarity"):
                stored = analytics.signatures(connection)
                pairs = similar_pairs(stored["article_id"].to_pylist(), _unpack(stored["signature"]))
                analytics.replace_rows(connection, "article_similarity", similarity_table(pairs))
                report.similar_pairs = len(pairs)
            with clock("clusters"):
                assignments = cluster_stories(_StoryArticles(connection))
                analytics.replace_rows(connection, "story_clusters", clusters_table(assignments))
                report.clusters = len({cluster_id for cluster_id, _ in assignments})
            with clock("search_index"):
                analytics.rebuild_search_index(connection)
        # Written out now, within the limit: left to the connection's close, the checkpoint of a rebuilt search
        # index runs with no limit and took 2 GB at 100,000 articles.
        analytics.checkpoint(connection)
    return report


def _analyse(connection: duckdb.DuckDBPyConnection, texts: pa.RecordBatch) -> None:
    """Signatures and figures of one batch of new articles."""
    ids = texts["article_id"].to_pylist()
    bodies = texts["body"].to_pylist()
    full = signatures(bodies)
    compact = folded(full).astype("<u4")
    present = has_words(full)
    blobs = [row.tobytes() if keep else None for row, keep in zip(compact, present, strict=True)]
    append_rows(
        connection,
        "article_minhash",
        pa.table({"article_id": ids, "signature": blobs}, schema=ARTICLE_MINHASH),
    )
    append_rows(connection, "article_figures", figures_table(list(zip(ids, bodies, strict=True))))


def _unpack(blobs: pa.ChunkedArray) -> np.ndarray:
    """Stored signatures back to an ``(n, NUM_HASHES)`` uint32 array."""
    return np.frombuffer(b"".join(blobs.to_pylist()), dtype="<u4").reshape(len(blobs), NUM_HASHES)


class _StoryArticles:
    """The current articles as clustering reads them: streamed from the warehouse again on every iteration."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._connection = connection

    def __iter__(self) -> Iterator[StoryArticle]:
        for batch in analytics.current_texts(self._connection, BATCH_ARTICLES):
            yield from (
                StoryArticle(article_id, published_at, f"{title or ''}\n{body}")
                for article_id, published_at, title, body in zip(
                    batch["article_id"].to_pylist(),
                    batch["published_at"].to_pylist(),
                    batch["title"].to_pylist(),
                    batch["body"].to_pylist(),
                    strict=True,
                )
            )
