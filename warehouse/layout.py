"""Where things live under a warehouse directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATABASE_FILE = "news.duckdb"


@dataclass(frozen=True, slots=True)
class WarehouseLayout:
    """Paths of one warehouse: the DuckDB file, published Parquet, staging, the lock and the DQ site."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / DATABASE_FILE

    @property
    def parquet(self) -> Path:
        return self.root / "parquet"

    @property
    def staging(self) -> Path:
        return self.parquet / "_staging"

    @property
    def lock(self) -> Path:
        return self.root / ".newsetl.lock"

    @property
    def dq(self) -> Path:
        return self.root / "dq"

    def staged_run(self, run_id: str) -> Path:
        """Staging folder of one run: Parquet written there is published only after the load commits."""
        return self.staging / run_id

    def staged_table(self, run_id: str, table: str) -> Path:
        return self.staged_run(run_id) / table

    def published_table(self, run_id: str, table: str) -> Path:
        """Published Parquet of one run and table: ``parquet/<table>/run_id=<run_id>/``."""
        return self.parquet / table / f"run_id={run_id}"
