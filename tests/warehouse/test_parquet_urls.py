"""Parquet at an fsspec URL: staged, listed, published (again, after a crash midway) and discarded there.

``memory://`` stands in for object storage, where a move is a copy then a delete; nothing reaches the network.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.schemas import TABLES
from warehouse.layout import WarehouseLayout
from warehouse.parquet import discard_run, publish_run, staged_files, staged_runs, write_staged

RUN = "20240101T000000Z-abcdef01"


def _removals(*ids: str) -> pa.Table:
    row = {"source_path": "story.txt", "rule": "ad_marker", "line_no": 1, "removed_text": "Ad", "run_id": RUN}
    rows = [dict(row, article_id=article_id) for article_id in ids]
    return pa.Table.from_pylist(rows, schema=TABLES["boilerplate_removals"])


def _ids(memory: fsspec.AbstractFileSystem, folder: str) -> list[str]:
    tables = [pq.read_table(part, filesystem=memory) for part in memory.glob(f"{folder}/*.parquet")]
    return sorted(i for table in tables for i in table["article_id"].to_pylist())


def test_default_layout_keeps_parquet_in_the_warehouse_and_a_root_moves_it() -> None:
    local = WarehouseLayout(Path("warehouse"))
    assert local.staged_table(RUN, "articles") == f"warehouse/parquet/_staging/{RUN}/articles"
    assert local.published_table(RUN, "articles") == f"warehouse/parquet/articles/run_id={RUN}"
    shared = WarehouseLayout(Path("warehouse"), "s3://bucket/news/")
    assert shared.published_table(RUN, "articles") == f"s3://bucket/news/articles/run_id={RUN}"
    assert shared.database == Path("warehouse/news.duckdb")


def test_publishing_again_after_a_crash_midway_completes_it(memory_root: str) -> None:
    layout = WarehouseLayout(Path("unused"), memory_root)
    write_staged(layout, RUN, "boilerplate_removals", _removals("a", "b"), "000000")
    write_staged(layout, RUN, "boilerplate_removals", _removals("c"), "000001")
    write_staged(layout, RUN, "boilerplate_removals", _removals("d"), "000002")
    staged = staged_files(layout, RUN, "boilerplate_removals")
    assert [posixpath.basename(url) for url in staged] == [f"part-00000{n}.parquet" for n in range(3)]
    assert all(url.startswith("memory://") for url in staged)
    assert staged_runs(layout) == [RUN]

    memory, target = fsspec.core.url_to_fs(layout.published_table(RUN, "boilerplate_removals"))
    first, second, _ = (fsspec.core.url_to_fs(url)[1] for url in staged)
    memory.makedirs(target, exist_ok=True)
    memory.mv(first, f"{target}/part-000000.parquet")
    # An object store's move died between its copy and its delete: the part is in both places.
    memory.copy(second, f"{target}/part-000001.parquet")
    publish_run(layout, RUN)

    assert _ids(memory, target) == ["a", "b", "c", "d"]
    assert staged_runs(layout) == []
    publish_run(layout, RUN)
    assert _ids(memory, target) == ["a", "b", "c", "d"]


def test_discarding_a_run_leaves_nothing_published(memory_root: str) -> None:
    layout = WarehouseLayout(Path("unused"), memory_root)
    write_staged(layout, RUN, "boilerplate_removals", _removals("a"), "000000")
    discard_run(layout, RUN)
    memory, root = fsspec.core.url_to_fs(memory_root)
    assert staged_runs(layout) == []
    assert not memory.glob(f"{root}/**/*.parquet")
