"""Discovery, read planning against the manifest, and batching by count and bytes."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import write_file
from transforms.discovery import chunk_files, discover, plan_reads, stat_key


def test_discovery_walks_folders_skips_hidden_and_refuses_outside_links(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    write_file(inputs, "a.txt", "a")
    write_file(inputs / "sub", "b.html", "b")
    write_file(inputs, ".hidden.txt", "h")
    write_file(inputs / "dir.txt", "inner.txt", "i")
    outside = write_file(tmp_path / "out", "c.txt", "c")
    (inputs / "link.txt").symlink_to(outside)
    (inputs / "inside_link.txt").symlink_to(inputs / "a.txt")
    found = discover([inputs, tmp_path / "missing"])
    assert [Path(path).relative_to(inputs).as_posix() for path in found.files] == [
        "a.txt",
        "dir.txt/inner.txt",
        "inside_link.txt",
        "sub/b.html",
    ]
    assert sorted((Path(r.source_path).name, r.reason) for r in found.rejections) == [
        ("link.txt", "symlink_outside_input"),
        ("missing", "missing_input"),
    ]


def test_plan_skips_files_whose_size_and_mtime_match_the_manifest(tmp_path: Path) -> None:
    same = write_file(tmp_path, "same.txt", "same")
    changed = write_file(tmp_path, "changed.txt", "changed")
    write_file(tmp_path, "new.txt", "new")
    found = discover([tmp_path])
    manifest = {
        str(same): (*stat_key(same.stat().st_size, same.stat().st_mtime), "sha-same"),
        str(changed): (*stat_key(changed.stat().st_size, changed.stat().st_mtime - 10), "sha-old"),
    }
    plan = plan_reads(found, manifest)
    assert plan.unchanged == [str(same)]
    assert sorted(Path(path).name for path in plan.to_read) == ["changed.txt", "new.txt"]
    assert plan.known_sha256 == {str(changed): "sha-old"}


def test_batches_respect_count_and_bytes() -> None:
    files = [f"f{n}" for n in range(7)]
    sizes = dict.fromkeys(files, 40)
    assert chunk_files(files, sizes, max_files=3, max_bytes=1000) == [files[:3], files[3:6], files[6:]]
    assert chunk_files(files, sizes, max_files=100, max_bytes=100) == [
        files[0:2],
        files[2:4],
        files[4:6],
        files[6:],
    ]
    assert chunk_files(["huge"], {"huge": 10**9}, max_files=10, max_bytes=100) == [["huge"]]


def test_stat_key_is_stable(tmp_path: Path) -> None:
    path = write_file(tmp_path, "x.txt", "x")
    status = os.stat(path)
    assert stat_key(status.st_size, status.st_mtime) == stat_key(status.st_size, os.stat(path).st_mtime)
