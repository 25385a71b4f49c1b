"""The load takes the articles it skipped out of the run's staged Parquet, part by part, in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import warehouse.parquet
from transforms.schemas import TABLES
from warehouse.layout import WarehouseLayout
from warehouse.parquet import drop_staged_rows, staged_files, start_dropping_staged_rows, write_staged

RUN = "20240101T000000Z-abcdef01"


def _removals(*keys: tuple[str, int | None]) -> pa.Table:
    rows = [
        {
            "article_id": f"id-{path}-{record}",
            "source_path": path,
            "source_record": record,
            "rule": "ad_marker",
            "line_no": line_no,
            "removed_text": f"Ad {line_no}",
            "run_id": RUN,
        }
        for line_no, (path, record) in enumerate(keys, 1)
    ]
    return pa.Table.from_pylist(rows, schema=TABLES["boilerplate_removals"])


def _read(filesystem: fsspec.AbstractFileSystem, url: str) -> pa.Table:
    return pq.read_table(fsspec.core.url_to_fs(url)[1], filesystem=filesystem)


@pytest.fixture(params=["local", "memory"])
def layout(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WarehouseLayout]:
    if request.param == "local":
        yield WarehouseLayout(tmp_path / "warehouse")
        return
    root = f"memory://drop-{tmp_path.name}"
    yield WarehouseLayout(tmp_path / "warehouse", root)
    memory, path = fsspec.core.url_to_fs(root)
    if memory.exists(path):
        memory.rm(path, recursive=True)


def test_only_the_named_rows_leave_and_the_rest_keep_their_order(
    layout: WarehouseLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Part 0 holds a JSON Lines file whose second record is a repeat, and a text file repeated whole; part 1 holds
    # nothing skipped; part 2 holds only skipped rows. Parts are read two rows at a time, as a real part is read
    # in batches of FILTER_BATCH_ROWS.
    monkeypatch.setattr(warehouse.parquet, "FILTER_BATCH_ROWS", 2)
    write_staged(
        layout,
        RUN,
        "boilerplate_removals",
        _removals(("a.jsonl", 1), ("a.jsonl", 2), ("b.txt", 0), ("a.jsonl", 3), ("b.txt", 0)),
        "000000",
    )
    write_staged(layout, RUN, "boilerplate_removals", _removals(("c.txt", 0), ("d.txt", 0)), "000001")
    write_staged(layout, RUN, "boilerplate_removals", _removals(("e.txt", 0)), "000002")
    filesystem = fsspec.core.url_to_fs(layout.parquet)[0]
    untouched = fsspec.core.url_to_fs(staged_files(layout, RUN, "boilerplate_removals")[1])[1]
    before = filesystem.info(untouched)

    removed = drop_staged_rows(
        layout, RUN, "boilerplate_removals", [("a.jsonl", 2), ("b.txt", 0), ("e.txt", 0), ("zz.txt", 0)]
    )

    assert removed == 4
    parts = staged_files(layout, RUN, "boilerplate_removals")
    assert [url.rsplit("/", 1)[1] for url in parts] == ["part-000000.parquet", "part-000001.parquet"]
    first, second = (_read(filesystem, url) for url in parts)
    assert first.schema.equals(TABLES["boilerplate_removals"])
    assert list(zip(first["source_path"].to_pylist(), first["line_no"].to_pylist(), strict=True)) == [
        ("a.jsonl", 1),
        ("a.jsonl", 4),
    ]
    assert second["source_path"].to_pylist() == ["c.txt", "d.txt"]
    assert filesystem.info(untouched) == before, "a part with no skipped row is not rewritten"
    assert not filesystem.glob(f"{fsspec.core.url_to_fs(layout.staged_run(RUN))[1]}/**/.part-*")


def test_a_record_of_a_skipped_file_is_told_apart_from_its_other_records(layout: WarehouseLayout) -> None:
    write_staged(layout, RUN, "boilerplate_removals", _removals(("a.jsonl", 1), ("a.jsonl", None)), "000000")
    assert drop_staged_rows(layout, RUN, "boilerplate_removals", [("a.jsonl", None)]) == 1
    [part] = staged_files(layout, RUN, "boilerplate_removals")
    table = _read(fsspec.core.url_to_fs(layout.parquet)[0], part)
    assert table["source_record"].to_pylist() == [1]
    filesystem = fsspec.core.url_to_fs(layout.parquet)[0]
    before = filesystem.info(fsspec.core.url_to_fs(part)[1])
    # The file is there, but not the record: nothing leaves and the part is not rewritten.
    assert drop_staged_rows(layout, RUN, "boilerplate_removals", [("a.jsonl", 7)]) == 0
    assert filesystem.info(fsspec.core.url_to_fs(part)[1]) == before
    assert drop_staged_rows(layout, RUN, "boilerplate_removals", []) == 0


def test_parts_stay_whole_until_the_drop_is_applied_and_a_discarded_drop_leaves_no_trace(
    layout: WarehouseLayout,
) -> None:
    # The load inserts from the staged parts while their rewrites are under way: until `apply` every reader sees
    # every row; a load that fails meanwhile discards the rewrites, and the staging is as it was.
    write_staged(layout, RUN, "boilerplate_removals", _removals(("a.txt", 0), ("b.txt", 0)), "000000")
    write_staged(layout, RUN, "boilerplate_removals", _removals(("c.txt", 0)), "000001")
    filesystem = fsspec.core.url_to_fs(layout.parquet)[0]
    staging = fsspec.core.url_to_fs(layout.staged_run(RUN))[1]

    def rows() -> list[str]:
        return [
            path
            for url in staged_files(layout, RUN, "boilerplate_removals")
            for path in _read(filesystem, url)["source_path"].to_pylist()
        ]

    discarded = start_dropping_staged_rows(
        layout, RUN, ["boilerplate_removals"], [("b.txt", 0), ("c.txt", 0)]
    )
    assert rows() == ["a.txt", "b.txt", "c.txt"]
    discarded.discard()
    assert rows() == ["a.txt", "b.txt", "c.txt"]
    assert not filesystem.glob(f"{staging}/**/.part-*")

    applied = start_dropping_staged_rows(layout, RUN, ["boilerplate_removals"], [("b.txt", 0), ("c.txt", 0)])
    assert rows() == ["a.txt", "b.txt", "c.txt"]
    assert applied.apply() == 2
    assert rows() == ["a.txt"]
    assert len(staged_files(layout, RUN, "boilerplate_removals")) == 1, "the emptied part is gone"
    assert not filesystem.glob(f"{staging}/**/.part-*")
