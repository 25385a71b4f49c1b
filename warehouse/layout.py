"""Where things live: the DuckDB file, lock and DQ site under a local warehouse directory; Parquet under its root.

The Parquet root is the warehouse's ``parquet/`` folder unless set apart (a local path or an fsspec URL such as
``s3://bucket/prefix``), so workers on several machines can write it to shared storage. Parquet locations are
therefore strings, joined with ``/`` whatever the filesystem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATABASE_FILE = "news.duckdb"


@dataclass(frozen=True, slots=True)
class WarehouseLayout:
    """Paths of one warehouse: the DuckDB file, published Parquet, staging, the lock and the DQ site."""

    root: Path
    parquet_root: str | None = None

    @property
    def database(self) -> Path:
        return self.root / DATABASE_FILE

    @property
    def parquet(self) -> str:
        """Root of the Parquet output: ``parquet_root`` (local path or fsspec URL), by default ``<root>/parquet``."""
        return self.parquet_root or str(self.root / "parquet")

    @property
    def staging(self) -> str:
        return _join(self.parquet, "_staging")

    @property
    def lock(self) -> Path:
        return self.root / ".newsetl.lock"

    @property
    def dq(self) -> Path:
        return self.root / "dq"

    def staged_run(self, run_id: str) -> str:
        """Staging folder of one run: Parquet written there is published only after the load commits."""
        return _join(self.staging, run_id)

    def staged_table(self, run_id: str, table: str) -> str:
        return _join(self.staged_run(run_id), table)

    def published_table(self, run_id: str, table: str) -> str:
        """Published Parquet of one run and table: ``<parquet root>/<table>/run_id=<run_id>/``."""
        return _join(self.parquet, table, f"run_id={run_id}")


def _join(base: str, *names: str) -> str:
    # Not os.path.join: the base may be a URL, whose separator is "/" on every platform.
    return (base if base.endswith("/") else base + "/") + "/".join(names)
