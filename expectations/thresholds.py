"""Data-quality thresholds: one place, with defaults; a run overrides any of them (``newsetl run --dq KEY=VALUE``)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Bounds the expectation suites are built from."""

    min_body_chars: int = 200
    min_word_count: int = 30
    max_word_count: int = 50_000
    max_title_chars: int = 300
    earliest_published: datetime = datetime(1990, 1, 1)
    future_slack_days: int = 1
    max_row_failure_ratio: float = 0.5
    row_count_history_runs: int = 5
    min_row_count_ratio: float = 0.0
    max_row_count_ratio: float = 0.0

    def with_overrides(self, overrides: dict[str, str]) -> Thresholds:
        """A copy with ``overrides`` (names to strings, as typed on a command line) applied and type-checked."""
        known = {field.name: field for field in fields(self)}
        changes: dict[str, object] = {}
        for name, text in overrides.items():
            if name not in known:
                raise ValueError(
                    f"unknown data-quality threshold {name!r}; known: {', '.join(sorted(known))}"
                )
            current = getattr(self, name)
            if isinstance(current, datetime):
                changes[name] = datetime.fromisoformat(text)
            else:
                changes[name] = type(current)(text)
        return replace(self, **changes)
