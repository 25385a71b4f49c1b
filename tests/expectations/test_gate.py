"""The Great Expectations gate on small inline batches."""

from __future__ import annotations

from datetime import datetime

import pytest

from expectations.gate import check_batch, check_rows, validation_frame
from expectations.thresholds import Thresholds
from transforms.articles import article_id_for
from transforms.schemas import ARTICLES, table_from_rows

BODY = " ".join(["The council approved the plan after a long debate about costs and flood risk."] * 4)


def _article(**overrides) -> dict:
    body = overrides.pop("body", BODY)
    article_id, sha = article_id_for(body)
    row = {
        "article_id": article_id,
        "source_path": "x.txt",
        "source_format": "txt",
        "source_record": 0,
        "title": "Plan Approved",
        "language": "en",
        "body": body,
        "word_count": len(body.split()),
        "char_count": len(body),
        "content_sha256": sha,
        "raw_sha256": sha,
        "run_id": "r",
        "ingested_at": datetime(2026, 1, 1),
        "wire_agencies": [],
    }
    row.update(overrides)
    return row


@pytest.mark.parametrize(
    ("overrides", "expectation"),
    [
        ({"body": "", "word_count": 0}, "expect_column_value_lengths_to_be_between"),
        ({"body": BODY + " [ad_7]"}, "expect_column_values_to_not_match_regex"),
        # non-ASCII text around the marker (the regex runs in pyarrow's RE2 kernel, not in Python's re)
        (
            {"body": BODY + " Le café de Genève a rouvert. [ad_12] Ça continue."},
            "expect_column_values_to_not_match_regex",
        ),
        ({"body": BODY + " Ein Überblick [/embed]"}, "expect_column_values_to_not_match_regex"),
        ({"published_at": datetime(2999, 1, 1)}, "expect_column_values_to_be_between"),
        ({"published_at": datetime(1985, 1, 1)}, "expect_column_values_to_be_between"),
        ({"title": "T" * 301}, "expect_column_value_lengths_to_be_between"),
        ({"language": None}, "expect_column_values_to_not_be_null"),
    ],
)
def test_row_expectations_quarantine_the_offending_row(overrides: dict, expectation: str) -> None:
    table = table_from_rows(
        [_article(), _article(**{"body": BODY + " Another sentence.", **overrides})], ARTICLES
    )
    check = check_rows(table, Thresholds())
    assert check.passed.num_rows == 1
    [rejection] = check.rejections
    assert (rejection.row, rejection.expectation) == (1, expectation)
    assert rejection.detail


def test_duplicate_ids_block_the_batch() -> None:
    table = table_from_rows([_article(), _article()], ARTICLES)
    verdict = check_batch(table, Thresholds(), rows_checked=2, rows_rejected=0, recent_row_counts=[])
    assert not verdict.success and "expect_column_values_to_be_unique" in verdict.blocked_reason


def test_schema_drift_blocks_the_batch() -> None:
    table = table_from_rows([_article()], ARTICLES).drop_columns(["byline"])
    verdict = check_batch(table, Thresholds(), rows_checked=1, rows_rejected=0, recent_row_counts=[])
    assert not verdict.success and "expect_table_columns_to_match_ordered_list" in verdict.blocked_reason


def test_row_count_far_from_recent_runs_blocks_when_configured() -> None:
    table = table_from_rows([_article()], ARTICLES)
    thresholds = Thresholds().with_overrides({"min_row_count_ratio": "0.5"})
    verdict = check_batch(
        table, thresholds, rows_checked=1, rows_rejected=0, recent_row_counts=[100, 90, 110]
    )
    assert not verdict.success and "expect_table_row_count_to_be_between" in verdict.blocked_reason
    assert check_batch(table, Thresholds(), rows_checked=1, rows_rejected=0, recent_row_counts=[100]).success


def test_threshold_overrides_are_typed() -> None:
    thresholds = Thresholds().with_overrides({"min_word_count": "5", "earliest_published": "2000-01-01"})
    assert thresholds.min_word_count == 5 and thresholds.earliest_published == datetime(2000, 1, 1)
    with pytest.raises(ValueError, match="unknown data-quality threshold"):
        Thresholds().with_overrides({"nope": "1"})


def test_batches_are_validated_without_hashing_every_value() -> None:
    # GE's own batch fingerprint hashed every body of every batch (a third of the validation time); it is off, and
    # the validation itself is unchanged: the bad row is still found.
    table = table_from_rows([_article(), _article(body=BODY + " [ad_1]")], ARTICLES)
    check = check_rows(table, Thresholds())
    assert [rejection.row for rejection in check.rejections] == [1]
    markers = check.report["meta"]["batch_markers"]
    assert "ge_load_time" in markers and "pandas_data_fingerprint" not in markers


def test_the_validated_frame_keeps_every_value_in_types_ge_compares_at_once() -> None:
    table = table_from_rows(
        [
            _article(published_at=datetime(2023, 9, 22, 8, 30)),
            _article(published_at=None, body=BODY + " More."),
        ],
        ARTICLES,
    )
    frame = validation_frame(table)
    assert str(frame["word_count"].dtype) == "int64" and str(frame["published_at"].dtype) == "datetime64[ns]"
    assert frame["word_count"].tolist() == table.column("word_count").to_pylist()
    assert frame["published_at"][0] == datetime(2023, 9, 22, 8, 30) and frame["published_at"].isna()[1]
    # A year nanoseconds cannot hold stays in microseconds (GE then compares it value by value, as before).
    far = validation_frame(table_from_rows([_article(published_at=datetime(2999, 1, 1))], ARTICLES))
    assert str(far["published_at"].dtype) == "datetime64[us]" and far["published_at"][0] == datetime(
        2999, 1, 1
    )


def test_validating_batch_after_batch_keeps_nothing_in_the_gate_context() -> None:
    # A worker validates batch after batch in one process: results registered in GE's context (definitions, the
    # in-memory results store) grew with every batch and cost a fifth of each validation.
    from expectations.gate import _context

    table = table_from_rows([_article(), _article(body=BODY + " [ad_1]")], ARTICLES)
    for _ in range(3):
        rows = check_rows(table, Thresholds())
        check_batch(rows.passed, Thresholds(), rows_checked=2, rows_rejected=1, recent_row_counts=[])
        assert [rejection.expectation for rejection in rows.rejections] == [
            "expect_column_values_to_not_match_regex"
        ]
    context = _context()
    assert context.validation_results_store.list_keys() == []
    assert context.validation_definitions.all() == []


def _failing_table():
    """30 good rows, a row failing each row expectation, and a repeated id (the batch suite fails)."""
    failing = [
        {"body": "", "word_count": 0},
        {"body": BODY + " [ad_7]"},
        {"published_at": datetime(2999, 1, 1)},
        {"title": "T" * 301},
        {"language": None},
        {"word_count": 3},
    ]
    rows = [_article(body=f"{BODY} Sentence {index}.") for index in range(30)]
    rows += [
        _article(**{"body": f"{BODY} Row {index}.", **overrides}) for index, overrides in enumerate(failing)
    ]
    rows.append(dict(rows[0]))  # a repeated id: the batch suite fails
    return table_from_rows(rows, ARTICLES)


def _comparable(report: dict) -> dict:
    import copy

    report = copy.deepcopy(report)
    report["meta"].pop("batch_markers", None)  # GE's load time of each frame
    report.pop("id", None)
    return report


def _suites() -> list:
    from expectations.articles import batch_suite, row_suite

    thresholds = Thresholds()
    return [row_suite(thresholds), batch_suite(thresholds, (1, 10)), batch_suite(thresholds)]


def test_validating_in_column_groups_gives_the_whole_suites_results() -> None:
    # The gate validates the bodies' expectations on a frame of the bodies alone, and the others without them: the
    # outcomes and the report must be GE's own for the whole suite on the whole frame, in GE's order, for rows that
    # fail every row expectation and for a batch the batch suite blocks.
    from expectations.gate import _validate, _validate_in_groups

    table = _failing_table()
    for suite in _suites():
        frame = validation_frame(table)
        whole_outcomes, whole_report = _validate(frame, suite)
        grouped_outcomes, grouped_report = _validate_in_groups(frame, suite)
        assert sum(not outcome.success for outcome in whole_outcomes) >= 1, suite.name
        assert grouped_outcomes == whole_outcomes, suite.name
        assert _comparable(grouped_report) == _comparable(whole_report), suite.name


def test_configurations_and_metric_ids_built_once_per_validation_give_ges_own_results() -> None:
    # GE rebuilds an expectation's configuration every time it reads it, and a metric's id every time it builds or
    # hashes the metric; the gate builds each once per validation. The outcomes and the report must be those of
    # GE's own code, for failing rows and a blocked batch, and GE's code must answer again outside a validation.
    from great_expectations.core.id_dict import IDDict

    from expectations.gate import _id_memo, _validate

    table = _failing_table()
    for suite in _suites():
        frame = validation_frame(table)
        built_each_time = _validate(frame, suite, memoize=False)
        built_once = _validate(frame, suite)
        assert sum(not outcome.success for outcome in built_once[0]) >= 1, suite.name
        assert built_once[0] == built_each_time[0], suite.name
        assert _comparable(built_once[1]) == _comparable(built_each_time[1]), suite.name
        expectation = suite.expectations[0]
        assert expectation.configuration is not expectation.configuration
        assert expectation.configuration == expectation.configuration
    assert _id_memo.get() is None
    assert (
        IDDict({"column": "title", "mostly": 1.0}).to_id()
        == IDDict({"column": "title", "mostly": 1.0}).to_id()
    )


def test_a_metric_id_looked_up_by_content_is_the_one_ge_computes() -> None:
    # Kwargs that are equal in Python but dump to different JSON (0.0 and -0.0, 1 and True and 1.0, a list and a
    # tuple of them, nested) must not share an id; values GE converts its own way (datetimes) are left to GE.
    from great_expectations.core.id_dict import IDDict

    from expectations.gate import _memoized_bookkeeping

    values = [
        0.0,
        -0.0,
        1,
        True,
        1.0,
        "1",
        None,
        [1, 2],
        (1, 2),
        [True, 2],
        {"a": 1},
        {"a": True},
        {"a": [0.0]},
    ]
    values += [
        {"a": [-0.0]},
        datetime(2026, 1, 1),
        [datetime(2026, 1, 1, 1)],
        float("nan"),
        {"b": {"c": (1,)}},
    ]
    kwargs = [{"column": "title", "value": value} for value in values]
    kwargs += [{"column": "title", "value": value, "mostly": 0.5} for value in values]
    expected = [IDDict(each).to_id() for each in kwargs]
    # What a memo keyed by Python equality would merge, GE tells apart: 0.0 and -0.0, 1 and True and 1.0.
    assert len({expected[0], expected[1]}) == 2 and len({expected[2], expected[3], expected[4]}) == 3
    with _memoized_bookkeeping():
        for _ in range(2):  # the second round is answered from the memo
            assert [IDDict(each).to_id() for each in kwargs] == expected
