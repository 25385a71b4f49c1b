"""Reading ahead: each file is read in order, after the kernel was asked to fetch it; errors come in their turn.

Files are opened ahead and read through their descriptors: none may be left open, whatever happens.
"""

from __future__ import annotations

import os
import threading
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

    def read(path: str, descriptor: int | None) -> None:
        events.append(("read", Path(path).name))
        if descriptor is not None:
            os.close(descriptor)

    list(read_ahead(read, paths, depth=4))
    advised_at = {name: index for index, (kind, name) in enumerate(events) if kind == "advise"}
    read_at = {name: index for index, (kind, name) in enumerate(events) if kind == "read"}
    assert "remote.txt" not in advised_at and "remote.txt" in read_at
    assert all(advised_at[name] < read_at[name] for name in advised_at)
    assert set(advised_at) == {Path(path).name for path in paths if "://" not in path}
    # Never more than the depth ahead: file n is advised once file n - 4 is being read.
    for index in range(5, 20):
        name = Path(paths[index]).name
        if name in advised_at:
            assert read_at[Path(paths[index - 5]).name] < advised_at[name]


def test_a_failed_read_raises_in_its_turn_after_the_files_before_it() -> None:
    def fail_at_five(path: str, descriptor: int | None) -> str:
        if path == "5":
            raise OSError("disk gone")
        return path

    seen = []
    with pytest.raises(OSError, match="disk gone"):
        for result in read_ahead(fail_at_five, [str(n) for n in range(20)], depth=4):
            seen.append(result)
    assert seen == ["0", "1", "2", "3", "4"]


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="no /proc to count descriptors")
def test_no_descriptor_stays_open_after_a_batch_or_when_reading_stops_early(tmp_path: Path) -> None:
    paths = [str(write_file(tmp_path, f"{n:03d}.txt", f"article {n}\n")) for n in range(40)]
    before = _open_descriptors()
    assert len(list(read_ahead(read_input, paths, depth=8))) == 40
    assert _open_descriptors() == before
    reading = read_ahead(read_input, paths, depth=8)
    assert isinstance(next(reading), FileContent)
    assert _open_descriptors() == before + 8  # the window ahead, the first file read and closed
    reading.close()
    assert _open_descriptors() == before


def test_a_directory_or_a_vanished_file_read_ahead_is_rejected_as_when_read_by_path(tmp_path: Path) -> None:
    (tmp_path / "folder.txt").mkdir()
    paths = [str(write_file(tmp_path, "a.txt", "one")), str(tmp_path / "folder.txt"), str(tmp_path / "b.txt")]
    write_file(tmp_path, "b.txt", "two")
    reading = read_ahead(read_input, paths, depth=4)
    first = next(reading)
    (tmp_path / "b.txt").unlink()  # opened ahead already: its descriptor still reads what was there
    rest = list(reading)
    assert first.data == b"one"
    assert (rest[0].reason, rest[0].detail) == ("not_a_file", "a directory, not a file")
    assert rest[1].data == b"two"
    assert [(c.reason, c.detail) for c in (read_input(path) for path in paths[1:])] == [
        ("not_a_file", "a directory, not a file"),
        ("vanished", "the file disappeared between discovery and reading"),
    ]


def test_a_file_that_grows_past_the_limit_while_it_is_read_is_rejected(tmp_path: Path, monkeypatch) -> None:
    """The size checked is the one read: a file stated at 10 bytes that holds 200 is too large for a limit of 100."""
    import transforms.batch as batch

    path = write_file(tmp_path, "growing.txt", "x" * 200)
    real_fstat = os.fstat

    class StatedSmaller:
        def __init__(self, status: os.stat_result) -> None:
            self.st_mode, self.st_mtime, self.st_size = status.st_mode, status.st_mtime, 10

    monkeypatch.setattr(batch, "MAX_FILE_BYTES", {"txt": 100, "html": 100, "jsonl": 100})
    monkeypatch.setattr(os, "fstat", lambda descriptor: StatedSmaller(real_fstat(descriptor)))
    [content] = read_ahead(read_input, [str(path)])
    assert isinstance(content, Rejection)
    assert (content.reason, content.detail) == ("file_too_large", "101 bytes > 0 MiB for txt")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    # Opening a FIFO to read it waits for a writer: a folder holding one hung the whole run.
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    results: dict[str, object] = {}

    def read_both_ways() -> None:
        results["by path"] = read_input(str(pipe))
        [results["read ahead"]] = read_ahead(read_input, [str(pipe)])

    reader = threading.Thread(target=read_both_ways, daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():
        # Let the blocked reader go (a writer that closes at once gives it an empty file), then fail.
        os.close(os.open(pipe, os.O_WRONLY))
        reader.join(timeout=10)
        pytest.fail(f"reading a named pipe waited for a writer: {results}")
    for way, result in results.items():
        assert isinstance(result, Rejection), way
        assert (result.stage, result.reason) == ("read", "not_a_regular_file"), way
        assert "named pipe" in result.detail
