"""Settings in one place: defaults, overridden by NEWSETL_* environment variables, then by CLI options."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

# Files per batch task. Prefect spends some 0.1 s between a worker's tasks and GE 50-70 ms on every validation
# whatever its size, so fewer, larger batches are faster (100,000 articles: 40.4 s at 2,000, 35.7 s at 4,000); a
# worker at 4,000 peaked at 0.85 GB, under the 1 GB target.
DEFAULT_BATCH_FILES = 4000


class Settings(BaseSettings):
    """Pipeline settings; every field can be set as NEWSETL_<FIELD> in the environment."""

    model_config = SettingsConfigDict(env_prefix="NEWSETL_")

    inputs: list[Path] = [Path("seeds")]
    warehouse: Path = Path("warehouse")
    # A local path or an fsspec URL (s3://bucket/prefix); unset, Parquet stays in <warehouse>/parquet.
    parquet_root: str | None = None
    batch_size: int = DEFAULT_BATCH_FILES
    lock_wait_seconds: float = 0.0


def load_settings() -> Settings:
    """Current settings (environment read at call time)."""
    return Settings()
