"""Expectation suites for the ``articles`` table.

Two suites, two consequences:

* ``articles.rows``: row-level checks. A row that fails one goes to ``quarantine`` with the expectation's name and
  the offending value; the rest of the batch loads.
* ``articles.batch``: batch-level checks on the rows that passed. A failure blocks the whole load and leaves the
  warehouse as it was.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from expectations.deferred_imports import defer_unused_imports
from expectations.thresholds import Thresholds
from transforms.schemas import ARTICLES, column_names

if TYPE_CHECKING:
    import great_expectations as gx
    import great_expectations.expectations as gxe

# Great Expectations is imported where a suite is built, not here: it costs 2.7 s and 170 MB even with
# ``deferred_imports`` (4 s and 250 MB without), and the flow process (which names the suites but validates nothing
# when batches run in workers) should not pay for it.
ROW_SUITE = "articles.rows"
BATCH_SUITE = "articles.batch"
# ASCII digits, not ``\d``: pandas hands a regex that RE2 reads the same way as Python to pyarrow's compute kernel,
# and ``\d`` (Unicode digits in Python, ASCII in RE2) sent the check over every body back to ``re``, one value at a
# time: 20% of the row suite's time. The markers that leak from ad servers are ASCII.
AD_MARKER_REGEX = r"\[/?(?:ad|embed)(?:_[0-9]+)?\]"


def great_expectations():
    """The ``great_expectations`` package and its ``expectations`` module, imported (and quieted) on first use."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    defer_unused_imports()
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.execution_engine import pandas_execution_engine

    # GE fingerprints every pandas batch it loads (an MD5 over pandas' hash of every value, bodies included) unless
    # the frame holds a gigabyte: a third of each validation at 4,000 articles. Nothing reads the fingerprint here:
    # a validation is identified by its run and batch part, a row by its article_id (a hash of its content).
    pandas_execution_engine.HASH_THRESHOLD = 0
    # GE sets some of its module loggers to INFO explicitly, so quieting the parent is not enough.
    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return gx, gxe


def _documented(expectation: gxe.Expectation, why: str) -> gxe.Expectation:
    expectation.description = why
    expectation.notes = why
    return expectation


def row_suite(thresholds: Thresholds, now: datetime | None = None) -> gx.ExpectationSuite:
    """Row-level expectations; ``now`` (UTC, naive) bounds ``published_at`` from above."""
    gx, gxe = great_expectations()
    now = now or datetime.now(UTC).replace(tzinfo=None)
    latest = now + timedelta(days=thresholds.future_slack_days)
    return gx.ExpectationSuite(
        name=ROW_SUITE,
        expectations=[
            _documented(
                gxe.ExpectColumnValueLengthsToBeBetween(column="body", min_value=thresholds.min_body_chars),
                "The cleaned body is not empty or a stub: a body this short means the input was only boilerplate.",
            ),
            _documented(
                gxe.ExpectColumnValuesToBeBetween(
                    column="word_count",
                    min_value=thresholds.min_word_count,
                    max_value=thresholds.max_word_count,
                ),
                "Word count is that of a news article, not of a fragment or a concatenated dump.",
            ),
            _documented(
                gxe.ExpectColumnValuesToNotMatchRegex(column="body", regex=AD_MARKER_REGEX),
                "No ad or embed marker such as [ad_1] survived cleaning.",
            ),
            _documented(
                gxe.ExpectColumnValuesToBeBetween(
                    column="published_at", min_value=thresholds.earliest_published, max_value=latest
                ),
                "A publication time, when known, lies between 1990 and now: a later one is a parsing error.",
            ),
            _documented(
                gxe.ExpectColumnValueLengthsToBeBetween(column="title", max_value=thresholds.max_title_chars),
                "A title is a headline, not a paragraph taken for one.",
            ),
            _documented(
                gxe.ExpectColumnValuesToNotBeNull(column="language"),
                "The body's language was detected: an undetectable body is rarely an article.",
            ),
        ],
    )


def batch_suite(
    thresholds: Thresholds, row_count_bounds: tuple[int, int] | None = None
) -> gx.ExpectationSuite:
    """Batch-level expectations; ``row_count_bounds`` comes from recent runs when the row-count check is on."""
    gx, gxe = great_expectations()
    expectations: list[gxe.Expectation] = [
        _documented(
            gxe.ExpectTableColumnsToMatchOrderedList(column_list=column_names(ARTICLES)),
            "The batch has exactly the declared articles schema: any drift blocks the load.",
        ),
        _documented(
            gxe.ExpectColumnValuesToNotBeNull(column="article_id"),
            "Every article has an id.",
        ),
        _documented(
            gxe.ExpectColumnValuesToBeUnique(column="article_id"),
            "Article ids are unique within the batch: the loader never writes one article twice.",
        ),
    ]
    if row_count_bounds is not None:
        low, high = row_count_bounds
        expectations.append(
            _documented(
                gxe.ExpectTableRowCountToBeBetween(min_value=low, max_value=high),
                "The batch size is within the configured ratio of recent runs: a far-off size means a broken feed.",
            )
        )
    return gx.ExpectationSuite(name=BATCH_SUITE, expectations=expectations)
