"""Incremental and idempotent runs: the manifest, duplicates across files, changed files, accounting."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import pytest

from flows.pipeline import newsetl_pipeline
from tests.conftest import query_rows, write_file

pytestmark = pytest.mark.usefixtures("prefect_harness")

STORY = (
    "The harbour authority opened a new ferry terminal on Monday after three years of construction work. "
    "Officials said the terminal would handle two million passengers a year and cut waiting times. "
    "Local businesses welcomed the opening, while residents complained about traffic on the coast road."
)


def _run(inputs: Path, warehouse: Path, **options):
    return newsetl_pipeline(inputs=[str(inputs)], warehouse=str(warehouse), **options)


def test_every_run_accounts_for_its_inputs(seeds: Path, tmp_path: Path, warehouse: Path) -> None:
    inputs = tmp_path / "in"
    shutil.copytree(seeds, inputs)
    write_file(inputs, "copy.txt", (seeds / sorted(os.listdir(seeds))[0]).read_bytes())
    write_file(inputs, "empty.txt", "")
    _run(inputs, warehouse)
    write_file(inputs, "new.txt", f"Ferry Terminal Opens\n{STORY}\n")
    _run(inputs, warehouse)
    _run(inputs, warehouse)
    runs = query_rows(
        warehouse,
        "SELECT files_seen, files_loaded, files_quarantined, files_skipped, documents_seen, articles_loaded, "
        "quarantined, skipped FROM pipeline_runs ORDER BY started_at",
    )
    assert runs == [(7, 5, 1, 1, 7, 5, 1, 1), (8, 1, 0, 7, 1, 1, 0, 0), (8, 0, 0, 8, 0, 0, 0, 0)]
    for files_seen, loaded, quarantined, skipped, documents, articles, rows_quarantined, rows_skipped in runs:
        assert files_seen == loaded + quarantined + skipped
        assert documents == articles + rows_quarantined + rows_skipped


def test_duplicate_article_in_another_file_is_stored_once(
    seeds: Path, tmp_path: Path, warehouse: Path
) -> None:
    inputs = tmp_path / "in"
    original = sorted(seeds.iterdir())[1]
    write_file(inputs, "a.txt", original.read_bytes())
    _run(inputs, warehouse)
    write_file(inputs, "b_mirror.txt", b"Some Other Headline\n\n" + original.read_bytes())
    summary = _run(inputs, warehouse)
    assert (summary.articles_loaded, summary.skipped, summary.files_skipped) == (0, 1, 2)
    [(article_id,)] = query_rows(warehouse, "SELECT article_id FROM articles")
    [(outcome, detail)] = query_rows(
        warehouse, "SELECT outcome, detail FROM ingested_files WHERE path LIKE '%b_mirror.txt'"
    )
    assert (outcome, detail) == ("skipped", f"duplicate of {article_id}")


def test_changed_file_replaces_its_article_and_keeps_history(tmp_path: Path, warehouse: Path) -> None:
    inputs = tmp_path / "in"
    path = write_file(inputs, "story.txt", f"Ferry Terminal Opens\n{STORY}\n")
    _run(inputs, warehouse)
    [(first_id,)] = query_rows(warehouse, "SELECT article_id FROM articles")
    path.write_text(f"Ferry Terminal Opens\n{STORY} A correction was appended to the story.\n")
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    summary = _run(inputs, warehouse)
    assert summary.articles_loaded == 1
    history = query_rows(
        warehouse,
        "SELECT article_id, superseded_at IS NOT NULL, superseded_by FROM articles ORDER BY ingested_at, article_id",
    )
    current = [row for row in history if not row[1]]
    assert len(history) == 2 and len(current) == 1
    second_id = current[0][0]
    assert (first_id, True, second_id) in history


def test_touched_but_identical_file_is_not_processed_again(tmp_path: Path, warehouse: Path) -> None:
    inputs = tmp_path / "in"
    path = write_file(inputs, "story.txt", f"Ferry Terminal Opens\n{STORY}\n")
    _run(inputs, warehouse)
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 60))
    touched = _run(inputs, warehouse)
    assert (touched.documents_seen, touched.files_skipped, touched.articles_loaded) == (0, 1, 0)
    again = _run(inputs, warehouse)
    assert (again.documents_seen, again.files_skipped) == (0, 1)
    assert query_rows(warehouse, "SELECT count(*) FROM articles") == [(1,)]


def test_blocked_run_leaves_no_manifest_so_the_next_run_retries(tmp_path: Path, warehouse: Path) -> None:
    inputs = tmp_path / "in"
    write_file(inputs, "story.txt", f"Ferry Terminal Opens\n{STORY}\n")
    blocked = _run(inputs, warehouse, dq_overrides={"min_word_count": "500"})
    assert blocked.status == "blocked"
    assert query_rows(warehouse, "SELECT count(*) FROM ingested_files") == [(0,)]
    retried = _run(inputs, warehouse)
    assert (retried.status, retried.articles_loaded) == ("loaded", 1)


def test_inputs_can_be_fsspec_urls(seeds: Path, warehouse: Path) -> None:
    import fsspec

    memory = fsspec.filesystem("memory")
    for path in sorted(seeds.iterdir()):
        memory.pipe(f"/newsetl-test/raw/{path.name}", path.read_bytes())
    summary = newsetl_pipeline(inputs=["memory://newsetl-test/raw"], warehouse=str(warehouse))
    assert (summary.files_seen, summary.articles_loaded) == (5, 5)
    paths = [row[0] for row in query_rows(warehouse, "SELECT source_path FROM articles ORDER BY 1")]
    assert (
        paths[0].startswith("memory://")
        and paths[0].endswith(".txt")
        and "/newsetl-test/raw/000_" in paths[0]
    )
    again = newsetl_pipeline(inputs=["memory://newsetl-test/raw"], warehouse=str(warehouse))
    assert (again.files_skipped, again.documents_seen) == (5, 0)
    local_url = newsetl_pipeline(inputs=[f"file://{seeds}"], warehouse=str(warehouse))
    assert (local_url.files_seen, local_url.articles_loaded, local_url.skipped) == (5, 0, 5)


def test_a_remote_file_without_a_modification_time_records_none_and_is_skipped_by_its_hash(
    warehouse: Path,
) -> None:
    """A backend that gives no time (HTTP, for one) must not get one invented: the manifest said 1970-01-01."""
    import fsspec
    from fsspec.implementations.memory import MemoryFileSystem

    class TimelessFileSystem(MemoryFileSystem):
        """fsspec's memory filesystem with the one time it reports ("created") taken out of its listings."""

        protocol = "timeless"
        store: ClassVar[dict] = {}  # a store of its own, not the memory filesystem's
        pseudo_dirs: ClassVar[list] = [""]

        @classmethod
        def _strip_protocol(cls, path):
            return super()._strip_protocol(path.removeprefix("timeless://"))

        @staticmethod
        def _timeless(entry: dict) -> dict:
            return {key: value for key, value in entry.items() if key != "created"}

        def info(self, path, **kwargs):
            return self._timeless(super().info(path, **kwargs))

        def find(self, path, *args, detail=False, **kwargs):
            found = super().find(path, *args, detail=detail, **kwargs)
            return {name: self._timeless(entry) for name, entry in found.items()} if detail else found

    fsspec.register_implementation("timeless", TimelessFileSystem, clobber=True)
    timeless = fsspec.filesystem("timeless")
    timeless.pipe("/raw/story.txt", f"Ferry Terminal Opens\n{STORY}\n".encode())
    assert "created" not in timeless.info("/raw/story.txt")
    assert all("created" not in entry for entry in timeless.find("/raw", detail=True).values())
    first = newsetl_pipeline(inputs=["timeless://raw"], warehouse=str(warehouse))
    second = newsetl_pipeline(inputs=["timeless://raw"], warehouse=str(warehouse))
    assert (first.files_loaded, first.articles_loaded) == (1, 1)
    # With no time to compare the file is read again, and its unchanged bytes skip it (no document is processed).
    assert (second.files_seen, second.files_skipped, second.documents_seen) == (1, 1, 0)
    assert query_rows(warehouse, "SELECT outcome, mtime FROM ingested_files ORDER BY recorded_at") == [
        ("loaded", None),
        ("skipped", None),
    ]


def test_a_file_dated_before_1970_is_not_read_again(tmp_path: Path, warehouse: Path) -> None:
    inputs = tmp_path / "in"
    path = write_file(inputs, "archived.txt", f"Ferry Terminal Opens\n{STORY}\n")
    os.utime(path, (-86400 * 400, -86400 * 400))  # 1968-11-27, as an archive restored with its dates
    _run(inputs, warehouse)
    second = _run(inputs, warehouse)
    assert (second.files_seen, second.files_loaded, second.files_skipped) == (1, 0, 1)
    assert query_rows(warehouse, "SELECT outcome, mtime FROM ingested_files") == [
        ("loaded", datetime(1968, 11, 27))
    ]
