"""The data-quality gate: validate a batch of articles with Great Expectations before anything is loaded.

The batch is validated as a pandas DataFrame (GE 1.x cannot validate DuckDB tables through SQLAlchemy here, GX
issue #10738), first with the row suite, then with the batch suite on the rows that passed.
"""

from __future__ import annotations

import contextlib
import json
import math
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING

import pyarrow as pa

from expectations.articles import batch_suite, great_expectations, row_suite
from expectations.thresholds import Thresholds

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas as pd

SAMPLE_VALUES = 5
SAMPLE_CHARS = 200
# COMPLETE results list every failing value (whole article bodies) and index; the report kept for Data Docs drops
# them, because it crosses process boundaries and is stored on disk for every batch of every run.
_BULKY_RESULT_KEYS = ("unexpected_list", "unexpected_index_list", "unexpected_index_query")


@dataclass(frozen=True, slots=True)
class ExpectationOutcome:
    """One expectation's result, flattened for the ``dq_expectation_results`` table."""

    suite: str
    expectation: str
    column: str | None
    success: bool
    evaluated: int
    unexpected_count: int
    unexpected_percent: float | None
    observed_value: object
    kwargs: dict
    sample: list
    failed_rows: list[int] = field(default_factory=list)

    def as_row(self) -> dict:
        """The columns of ``dq_expectation_results`` this outcome fills."""
        observed = None
        if self.observed_value is not None:
            observed = json.dumps(self.observed_value, default=_json_default, ensure_ascii=False)
        return {
            "suite": self.suite,
            "expectation_type": self.expectation,
            "column": self.column,
            "kwargs": json.dumps(self.kwargs, default=_json_default, ensure_ascii=False, sort_keys=True),
            "success": self.success,
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": self.unexpected_percent,
            "observed_value": observed,
            "sample_unexpected": [str(value) for value in self.sample],
        }


@dataclass(frozen=True, slots=True)
class RowRejection:
    """A row the row suite refused: its index in the validated table and why."""

    row: int
    expectation: str
    detail: str


@dataclass(frozen=True, slots=True)
class RowCheck:
    """The row suite's verdict: rows that passed, rows to quarantine, and the expectation results."""

    passed: pa.Table
    rejections: list[RowRejection]
    outcomes: list[ExpectationOutcome]
    # The suite's validation result as JSON-able data, for Data Docs (``expectations.data_docs``); None if no rows.
    report: dict | None = None


@dataclass(frozen=True, slots=True)
class BatchCheck:
    """The batch suite's verdict: the expectation results and, when the load must not happen, why."""

    outcomes: list[ExpectationOutcome]
    blocked_reason: str | None
    # The suite's validation result as JSON-able data, for Data Docs (``expectations.data_docs``).
    report: dict | None = None

    @property
    def success(self) -> bool:
        """True when the batch may be loaded."""
        return self.blocked_reason is None


@cache
def _context():
    gx, _ = great_expectations()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return context


def _batch_definition(name: str):
    context = _context()
    try:
        source = context.data_sources.get("newsetl")
    except (KeyError, ValueError):
        source = context.data_sources.add_pandas("newsetl")
    try:
        asset = source.get_asset(name)
    except (LookupError, ValueError):
        asset = source.add_dataframe_asset(name)
    try:
        return asset.get_batch_definition("whole")
    except (KeyError, ValueError):
        return asset.add_batch_definition_whole_dataframe("whole")


def validate(frame: pd.DataFrame, suite: gx.ExpectationSuite) -> list[ExpectationOutcome]:
    """Validate ``frame`` against ``suite`` and flatten every expectation's result."""
    return _validate(frame, suite)[0]


# Columns whose expectations are validated on a frame of that column alone. GE's pandas engine filters the whole
# frame it is given (a copy of every column) several times for each column expectation: with the bodies in the frame
# (20 MB for 4,000 articles), the title's and the dates' checks paid for copying them too. Validated in groups, the
# row suite took 108-150 ms instead of 185-272 ms per 4,000 articles, with the same results.
VALIDATED_ALONE = ("body",)


def _validate_in_groups(
    frame: pd.DataFrame, suite: gx.ExpectationSuite
) -> tuple[list[ExpectationOutcome], dict]:
    """``_validate`` of ``suite`` on ``frame``, its expectations in groups that each see only the columns they read.

    The expectations on a ``VALIDATED_ALONE`` column see that column; the other column expectations see the
    columns they read; table expectations see the whole frame. The groups' results are put in the order GE gives
    a whole suite's (``_result_order``), as one validation of the suite.
    """
    gx, _ = great_expectations()
    groups: dict[object, list[int]] = {}
    for index, expectation in enumerate(suite.expectations):
        column = getattr(expectation, "column", None)
        key = None if column is None else column if column in VALIDATED_ALONE else "columns"
        groups.setdefault(key, []).append(index)
    if len(groups) == 1:
        return _validate(frame, suite)
    by_index: dict[int, tuple[ExpectationOutcome, dict]] = {}
    reports = []
    for key, indices in groups.items():
        # Shallow copies (0.04 ms for a suite, a deep copy 5 ms): a suite takes over the expectations it is given
        # (their save callback), and the caller's suite keeps its own.
        part = gx.ExpectationSuite(
            name=suite.name, expectations=[suite.expectations[i].copy() for i in indices]
        )
        group_outcomes, report = _validate(
            frame[list(frame.columns) if key is None else _columns_read(part)], part
        )
        reports.append(report)
        in_order = [indices[position] for position in _result_order(part)]
        for index, outcome, result in zip(in_order, group_outcomes, report["results"], strict=True):
            by_index[index] = (outcome, result)
    order = _result_order(suite)
    return [by_index[index][0] for index in order], _merged_report(reports, [by_index[i][1] for i in order])


def _result_order(suite: gx.ExpectationSuite) -> list[int]:
    """The suite's expectation indices in the order GE validates and reports them: grouped by column, each column
    (and the table's expectations, as one) where it first appears (``Validator.process_expectations_for_validation``)."""
    by_column: dict[str | None, list[int]] = {}
    for index, expectation in enumerate(suite.expectations):
        column = getattr(expectation, "column", None)
        by_column.setdefault(column if isinstance(column, str) else None, []).append(index)
    return [index for indices in by_column.values() for index in indices]


def _merged_report(reports: list[dict], results: list[dict]) -> dict:
    """One validation result of the groups' ``reports`` (of one suite and batch), holding ``results`` in order."""
    merged = dict(reports[0], results=results)
    successful = sum(1 for result in results if result["success"])
    merged["success"] = successful == len(results)
    merged["statistics"] = {
        "evaluated_expectations": len(results),
        "successful_expectations": successful,
        "unsuccessful_expectations": len(results) - successful,
        "success_percent": successful / len(results) * 100 if results else None,  # GE's own arithmetic
    }
    return merged


# ``Expectation.configuration`` is a property that builds a new ExpectationConfiguration every time it is read (a
# pydantic ``dict()`` of the expectation, then every kwarg made JSON-serializable), and GE reads it for every kwarg it
# looks up while it plans and evaluates an expectation: some 150 times per expectation and validation, a third of
# the row suite's time. Within one of our validations the expectations GE works with are its own copies, which
# nothing changes, so the first configuration built for each stands for the rest. Outside a validation of ours
# (``_memoized_bookkeeping`` not active) the property builds a new one, as GE does.
_configuration_memo: ContextVar[dict[int, tuple[object, object]] | None] = ContextVar(
    "newsetl_configuration_memo", default=None
)


@cache
def _install_configuration_memo() -> None:
    from great_expectations.expectations.expectation import Expectation

    build = Expectation.configuration.fget

    def configuration(self):
        memo = _configuration_memo.get()
        if memo is None:
            return build(self)
        # Keyed by id, holding the expectation itself so that no other object can take its id while the memo lives.
        entry = memo.get(id(self))
        if entry is None or entry[0] is not self:
            entry = memo[id(self)] = (self, build(self))
        return entry[1]

    configuration.__doc__ = Expectation.configuration.__doc__
    Expectation.configuration = property(configuration)


# GE names every metric it plans by an id of its domain and value kwargs (``IDDict.to_id``: the kwargs made
# JSON-serializable by ``convert_to_json_serializable``, dumped and hashed with MD5), and it asks again each time it
# builds or hashes a ``MetricConfiguration``: some 130 times per validation for a dozen distinct kwargs, a quarter
# of the suites' time. Within one of our validations the id of kwargs seen before is looked up by their content,
# frozen with each value's exact type (a float by its repr: 0.0 and -0.0 are equal but dump differently); kwargs
# holding anything else (datetimes, NumPy values, other classes) are left to GE.
_id_memo: ContextVar[dict[tuple, object] | None] = ContextVar("newsetl_id_memo", default=None)
_FROZEN_AS_IS = frozenset({str, int, bool, type(None)})


class _NotFrozen(Exception):
    """A kwarg value whose JSON form is not a function of its frozen content: GE computes the id."""


def _frozen(value: object, id_dict: type) -> tuple:
    kind = type(value)
    if kind in _FROZEN_AS_IS:
        return kind, value
    if kind is float:
        return kind, repr(value)
    if kind is list or kind is tuple:
        return kind, tuple(_frozen(item, id_dict) for item in value)
    if kind is dict or kind is id_dict:
        if not all(type(key) is str for key in value):
            raise _NotFrozen
        return kind, tuple(sorted((key, _frozen(item, id_dict)) for key, item in value.items()))
    raise _NotFrozen


@cache
def _install_id_memo() -> None:
    from great_expectations.core.id_dict import IDDict

    compute = IDDict.to_id

    def to_id(self, id_keys=None, id_ignore_keys=None):
        memo = _id_memo.get()
        # Explicit keys, a one-key dict (GE's cheap "key=value" form) and instance attributes (an instance's own
        # _id_ignore_keys) are GE's to compute.
        if memo is None or id_keys is not None or id_ignore_keys is not None or len(self) < 2 or vars(self):
            return compute(self, id_keys, id_ignore_keys)
        try:
            key = (type(self), _frozen(self, IDDict))
        except _NotFrozen:
            return compute(self)
        found = memo.get(key)
        if found is None:
            found = memo[key] = compute(self)
        return found

    to_id.__doc__ = compute.__doc__
    IDDict.to_id = to_id


@contextlib.contextmanager
def _memoized_bookkeeping():
    """Within the block, each expectation's ``configuration`` is built once (see ``_configuration_memo``) and each
    metric kwargs' id computed once (see ``_id_memo``)."""
    _install_configuration_memo()
    _install_id_memo()
    configurations = _configuration_memo.set({})
    ids = _id_memo.set({})
    try:
        yield
    finally:
        _id_memo.reset(ids)
        _configuration_memo.reset(configurations)


def _validate(
    frame: pd.DataFrame, suite: gx.ExpectationSuite, *, memoize: bool = True
) -> tuple[list[ExpectationOutcome], dict]:
    # The v1 Validator is what ``ValidationDefinition.run`` validates with. Called directly, nothing is registered
    # or stored: a validation definition (and the suite) added to the context for every batch, and the result kept
    # in its in-memory store, which grew with every batch a worker validated, were 50 of the 280 ms that both
    # suites took on 4,000 articles. The results are the same; their meta lacks the run ids that ``run`` adds,
    # which ``expectations.data_docs.label_report`` sets. The batch is still loaded once, and not fingerprinted.
    # First: it imports GE as newsetl configures it (great_expectations()), which the Validator's import must follow.
    batch_definition = _batch_definition(suite.name)
    from great_expectations.validator.v1_validator import Validator

    validator = Validator(
        batch_definition=batch_definition,
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "COMPLETE", "partial_unexpected_count": SAMPLE_VALUES},
    )
    with _memoized_bookkeeping() if memoize else contextlib.nullcontext():
        report = validator.validate_expectation_suite(suite)
    outcomes = [_outcome(suite.name, result, len(frame)) for result in report.results]
    return outcomes, _report_data(report)


def _report_data(report) -> dict:
    """The validation result as JSON-able data, without the per-row lists and with sample values shortened."""
    data = report.to_json_dict()
    for result in data.get("results", []):
        details = result.get("result") or {}
        for key in _BULKY_RESULT_KEYS:
            details.pop(key, None)
        if "partial_unexpected_list" in details:
            details["partial_unexpected_list"] = [_short(v) for v in details["partial_unexpected_list"]]
        for count in details.get("partial_unexpected_counts") or []:
            count["value"] = _short(count.get("value"))
    return data


def _outcome(suite_name: str, result, rows: int) -> ExpectationOutcome:
    config = result.expectation_config
    details = result.result or {}
    kwargs = {key: value for key, value in config.kwargs.items() if key not in {"batch_id", "result_format"}}
    sample = [_short(value) for value in (details.get("partial_unexpected_list") or [])[:SAMPLE_VALUES]]
    percent = details.get("unexpected_percent")
    return ExpectationOutcome(
        suite=suite_name,
        expectation=config.type,
        column=kwargs.get("column"),
        success=bool(result.success),
        evaluated=int(details.get("element_count", rows) or 0),
        unexpected_count=int(details.get("unexpected_count") or 0),
        unexpected_percent=None if percent is None or math.isnan(percent) else float(percent),
        observed_value=details.get("observed_value"),
        kwargs=json.loads(json.dumps(kwargs, default=_json_default)),
        sample=sample,
        failed_rows=[int(index) for index in details.get("unexpected_index_list") or []],
    )


def check_rows(articles: pa.Table, thresholds: Thresholds) -> RowCheck:
    """Validate every row; a row failing any row expectation is taken out for quarantine."""
    if articles.num_rows == 0:
        return RowCheck(articles, [], [])
    suite = row_suite(thresholds)
    frame = validation_frame(articles.select(_columns_read(suite)))
    outcomes, report = _validate_in_groups(frame, suite)
    rejections = _first_failure_per_row(frame, outcomes)
    rejected_rows = {rejection.row for rejection in rejections}
    keep = [index for index in range(articles.num_rows) if index not in rejected_rows]
    return RowCheck(articles.take(pa.array(keep, type=pa.int64())), rejections, outcomes, report)


def validation_frame(articles: pa.Table) -> pd.DataFrame:
    """``articles`` as the pandas frame GE validates, each value unchanged.

    GE's pandas engine compares values with ``expect_column_values_to_be_between`` in one vectorised step only for
    64-bit numbers and nanosecond timestamps; for int32 columns (``word_count``) and microsecond timestamps
    (``published_at``) it called a Python function per value. Those columns are widened here, timestamps only when
    every value fits nanoseconds (years 1678 to 2261): a parsing error decades ahead keeps microseconds and is
    judged value by value, as before.
    """
    import pandas as pd

    frame = articles.to_pandas()
    for column in articles.schema:
        if pa.types.is_int32(column.type) and frame[column.name].dtype == "int32":
            frame[column.name] = frame[column.name].astype("int64")
        elif pa.types.is_timestamp(column.type) and column.type.tz is None:
            with contextlib.suppress(pd.errors.OutOfBoundsDatetime, OverflowError):
                frame[column.name] = frame[column.name].dt.as_unit("ns")
    return frame


def _columns_read(suite: gx.ExpectationSuite) -> list[str]:
    """The columns ``suite``'s column expectations read: the only ones worth converting to pandas for it.

    GE fingerprints the whole frame it is given (hashing, or pickling when a column holds lists), so every extra
    column, ``wire_agencies`` above all, costs time per row without being checked.
    """
    columns = (getattr(expectation, "column", None) for expectation in suite.expectations)
    return list(dict.fromkeys(column for column in columns if column))


def check_batch(
    articles: pa.Table,
    thresholds: Thresholds,
    *,
    rows_checked: int,
    rows_rejected: int,
    recent_row_counts: list[int],
) -> BatchCheck:
    """Validate the batch that would be loaded; any failure blocks it.

    The batch is also blocked when more than ``max_row_failure_ratio`` of the rows checked failed row expectations:
    a feed that breaks wholesale should stop the load, not trickle into quarantine.
    """
    bounds = _row_count_bounds(thresholds, recent_row_counts)
    outcomes, report = _validate_in_groups(validation_frame(articles), batch_suite(thresholds, bounds))
    failed = [outcome for outcome in outcomes if not outcome.success]
    reason = None
    if failed:
        reason = "; ".join(f"{outcome.expectation}({outcome.column or 'table'}) failed" for outcome in failed)
    elif rows_checked and rows_rejected / rows_checked > thresholds.max_row_failure_ratio:
        reason = (
            f"{rows_rejected} of {rows_checked} rows failed row expectations "
            f"(more than max_row_failure_ratio={thresholds.max_row_failure_ratio})"
        )
    return BatchCheck(outcomes, reason, report)


def _row_count_bounds(thresholds: Thresholds, recent_row_counts: list[int]) -> tuple[int, int] | None:
    history = recent_row_counts[: thresholds.row_count_history_runs]
    if not history or not (thresholds.min_row_count_ratio or thresholds.max_row_count_ratio):
        return None
    typical = sorted(history)[len(history) // 2]
    low = math.floor(typical * thresholds.min_row_count_ratio)
    high = math.ceil(typical * thresholds.max_row_count_ratio) if thresholds.max_row_count_ratio else 2**62
    return low, high


def _first_failure_per_row(frame: pd.DataFrame, outcomes: list[ExpectationOutcome]) -> list[RowRejection]:
    seen: dict[int, RowRejection] = {}
    for outcome in outcomes:
        for row in outcome.failed_rows:
            if row in seen:
                continue
            value = frame.iloc[row][outcome.column] if outcome.column else None
            detail = f"{outcome.column}={_short(value)!r} fails {outcome.expectation} {_bounds_text(outcome.kwargs)}"
            seen[row] = RowRejection(row, outcome.expectation, detail.strip())
    return sorted(seen.values(), key=lambda rejection: rejection.row)


def _bounds_text(kwargs: dict) -> str:
    shown = {key: value for key, value in kwargs.items() if key not in {"column"} and value is not None}
    return json.dumps(shown, default=_json_default, ensure_ascii=False) if shown else ""


def _short(value: object) -> object:
    if isinstance(value, str) and len(value) > SAMPLE_CHARS:
        return value[:SAMPLE_CHARS] + "…"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def _json_default(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
