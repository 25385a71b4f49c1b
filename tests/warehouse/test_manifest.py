"""Read planning: the discovered listing against the manifest, in DuckDB."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import write_file
from transforms.discovery import discover, stat_key
from warehouse.layout import WarehouseLayout
from warehouse.manifest import plan_reads
from warehouse.store import connect, insert_rows


def _manifest_row(path: Path | str, size, mtime, sha256, run_id: str, recorded_at: datetime) -> dict:
    return {
        "path": str(path),
        "size": size,
        "mtime": mtime,
        "sha256": sha256,
        "run_id": run_id,
        "outcome": "loaded",
        "articles": 1,
        "detail": None,
        "recorded_at": recorded_at,
    }


def _key(path: Path) -> tuple:
    status = os.stat(path)
    return stat_key(status.st_size, status.st_mtime)


@pytest.fixture
def warehouse(tmp_path: Path):
    with connect(WarehouseLayout(tmp_path / "warehouse")) as connection:
        yield connection


def test_plan_reads_only_what_is_new_or_changed(tmp_path: Path, warehouse) -> None:
    inputs = tmp_path / "in"
    same = write_file(inputs, "same.txt", "same")
    changed = write_file(inputs, "changed.txt", "changed")
    grown = write_file(inputs, "grown.txt", "grown")
    write_file(inputs, "new.txt", "new")
    back = write_file(inputs, "back.txt", "back")
    size, mtime = _key(changed)
    early, late = datetime(2026, 1, 1), datetime(2026, 2, 1)
    insert_rows(
        warehouse,
        "ingested_files",
        [
            _manifest_row(same, *_key(same), "sha-same", "r1", early),
            _manifest_row(changed, size, mtime.replace(year=2001), "sha-old", "r1", early),
            _manifest_row(grown, _key(grown)[0] + 1, _key(grown)[1], None, "r1", early),
            # back.txt was changed in r1 and changed back in r2: only the latest entry counts.
            _manifest_row(back, *_key(back), "sha-back", "r1", early),
            _manifest_row(back, 999, _key(back)[1], "sha-r2", "r2", late),
            _manifest_row(inputs / "gone.txt", 1, early, "sha-gone", "r1", early),
        ],
    )
    plan = plan_reads(warehouse, discover([inputs]))
    assert plan.unchanged == 1
    assert plan.to_read.column("path").to_pylist() == [
        str(inputs / n) for n in ("back.txt", "changed.txt", "grown.txt", "new.txt")
    ]
    _, known = plan.batch(0, plan.to_read.num_rows)
    assert known == {str(back): "sha-r2", str(changed): "sha-old"}
    assert plan.batch(1, 3) == ([str(changed), str(grown)], {str(changed): "sha-old"})

    full = plan_reads(warehouse, discover([inputs]), full=True)
    assert full.unchanged == 0 and full.to_read.num_rows == 5
    assert full.batch(0, 5)[1] == {}


def test_refused_entries_are_new_until_recorded_with_the_same_link(tmp_path: Path, warehouse) -> None:
    inputs = tmp_path / "in"
    write_file(inputs, "a.txt", "a")
    outside = write_file(tmp_path / "out", "c.txt", "c")
    (inputs / "link.txt").symlink_to(outside)
    (inputs / "broken.txt").symlink_to(tmp_path / "nowhere")
    first = plan_reads(warehouse, discover([inputs]))
    assert sorted(Path(r.source_path).name for r in first.new_rejections) == ["broken.txt", "link.txt"]
    link = os.lstat(inputs / "link.txt")
    insert_rows(
        warehouse,
        "ingested_files",
        [
            _manifest_row(
                inputs / "link.txt",
                *stat_key(link.st_size, link.st_mtime),
                None,
                "r1",
                datetime.now(UTC).replace(tzinfo=None),
            )
        ],
    )
    second = plan_reads(warehouse, discover([inputs]))
    assert [Path(r.source_path).name for r in second.unchanged_rejections] == ["link.txt"]
    assert [Path(r.source_path).name for r in second.new_rejections] == ["broken.txt"]
