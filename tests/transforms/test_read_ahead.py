"""Reading ahead: each file is read in order, after the kernel was asked to fetch it; errors come in their turn."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import write_file
from transforms.batch import FileContent, read_ahead, read_input
from transforms.documents import Rejection


def test_files_read_ahead_are_the_files_in_order(tmp_path: Path) -> None:
    paths = [str(write_file(tmp_path, f"{n:03d}.txt", f"article {n}\n" * n)) for n in range(1, 50)]
    paths.insert(10, str(tmp_path / "missing.txt"))
    contents = list(read_ahead(read_input, paths, depth=8))
    assert [type(content) for content in contents] == [
        Rejection if "missing" in p else FileContent for p in paths
    ]
    assert [content.data for content in contents if isinstance(content, FileContent)] == [
        Path(path).read_bytes() for path in paths if "missing" not in path
    ]


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no posix_fadvise on this system")
def test_every_local_file_is_advised_before_it_is_read_and_urls_never(tmp_path: Path, monkeypatch) -> None:
    paths = [str(write_file(tmp_path, f"{n:03d}.txt", "x")) for n in range(20)]
    paths[5] = "memory://bucket/remote.txt"
    events: list[tuple[str, str]] = []
    names_by_descriptor: dict[int, str] = {}
    real_open = os.open

    def recording_open(path, flags, *args):
        descriptor = real_open(path, flags, *args)
        names_by_descriptor[descriptor] = Path(path).name
        return descriptor

    monkeypatch.setattr(os, "open", recording_open)
    monkeypatch.setattr(
        os,
        "posix_fadvise",
        lambda fd, offset, length, advice: events.append(("advise", names_by_descriptor[fd])),
    )
    list(read_ahead(lambda path: events.append(("read", Path(path).name)), paths, depth=4))
    advised_at = {name: index for index, (kind, name) in enumerate(events) if kind == "advise"}
    read_at = {name: index for index, (kind, name) in enumerate(events) if kind == "read"}
    assert "remote.txt" not in advised_at and "remote.txt" in read_at
    assert all(advised_at[name] < read_at[name] for name in advised_at)
    assert set(advised_at) == {Path(path).name for path in paths[1:] if "://" not in path}
    # Never more than the depth ahead: file n is advised once file n - 4 is being read.
    for index in range(5, 20):
        name = Path(paths[index]).name
        if name in advised_at:
            assert read_at[Path(paths[index - 5]).name] < advised_at[name]


def test_a_failed_read_raises_in_its_turn_after_the_files_before_it() -> None:
    def fail_at_five(path: str) -> str:
        if path == "5":
            raise OSError("disk gone")
        return path

    seen = []
    with pytest.raises(OSError, match="disk gone"):
        for result in read_ahead(fail_at_five, [str(n) for n in range(20)], depth=4):
            seen.append(result)
    assert seen == ["0", "1", "2", "3", "4"]
