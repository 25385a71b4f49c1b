"""Discovery, read planning against the manifest, and batching by count and bytes."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from tests.conftest import write_file
from transforms.discovery import _ListingBuilder, _walk, chunk_files, discover, stat_key


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


def test_batches_respect_count_and_bytes() -> None:
    sizes = [40] * 7
    assert chunk_files(sizes, max_files=3, max_bytes=1000) == [(0, 3), (3, 6), (6, 7)]
    assert chunk_files(sizes, max_files=100, max_bytes=100) == [(0, 2), (2, 4), (4, 6), (6, 7)]
    assert chunk_files([10**9], max_files=10, max_bytes=100) == [(0, 1)]
    assert chunk_files([None, 10**9, None], max_files=10, max_bytes=100) == [(0, 1), (1, 2), (2, 3)]
    assert chunk_files([], max_files=10, max_bytes=100) == []


def test_listing_is_sorted_like_python_across_inputs_and_chunks(tmp_path: Path, monkeypatch) -> None:
    # Small chunks, so the listing is assembled from several record batches.
    monkeypatch.setattr("transforms.discovery.LISTING_CHUNK", 3)
    # Names where a depth-first walk by plain name order would not give sorted paths ("a/x" > "a-b", "a.txt").
    names = ["b/z.txt", "b/a/y.txt", "a.txt", "é.txt", "Z.txt", "b/ä.txt", "c/x.txt"]
    names += ["a/x.txt", "a-b.txt", "a b/y.txt", "a0", "a/b/c/d.txt", "a/b.txt", "a/b-c.txt"]
    for name in names:
        write_file(tmp_path / "in" / Path(name).parent, Path(name).name, name)
    single = discover([tmp_path / "in"])
    walked = _ListingBuilder()
    _walk(str(tmp_path / "in"), (tmp_path / "in").resolve(), walked, [])
    assert walked.in_order  # one folder is walked in sorted order: its listing is never sorted (two copies)
    assert single.files == sorted(str(tmp_path / "in" / name) for name in names)
    found = discover([tmp_path / "in" / "c", tmp_path / "in"])
    paths = found.files
    assert paths == single.files  # sorted across the two inputs, and c/x.txt (under both) listed once
    sizes = dict(zip(paths, found.listing.column("size").to_pylist(), strict=True))
    assert sizes[str(tmp_path / "in" / "b" / "a" / "y.txt")] == len("b/a/y.txt")
    status = os.stat(paths[0])
    assert found.listing.column("mtime")[0].as_py() == stat_key(status.st_size, status.st_mtime)[1]


def test_stat_key_is_stable(tmp_path: Path) -> None:
    path = write_file(tmp_path, "x.txt", "x")
    status = os.stat(path)
    assert stat_key(status.st_size, status.st_mtime) == stat_key(status.st_size, os.stat(path).st_mtime)


def test_a_tree_deeper_than_the_recursion_limit_is_walked(tmp_path: Path) -> None:
    import sys

    folder = tmp_path / "in"
    for _ in range(200):
        folder = folder / "d"
    write_file(folder, "deep.txt", "at the bottom")
    write_file(tmp_path / "in", "top.txt", "at the top")
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    # A limit just above this test's own stack, with a tree twice as deep as that margin: a walk that recursed
    # once per level (as it did) fails with RecursionError.
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 100)
    try:
        found = discover([tmp_path / "in"])
    finally:
        sys.setrecursionlimit(previous)
    assert [Path(path).name for path in found.files] == ["deep.txt", "top.txt"]
    assert found.rejections == []


def test_batches_are_shared_evenly_among_the_workers() -> None:
    for files, max_files, slots in [
        (100_000, 4_000, 2),
        (9, 2, 2),
        (50_001, 4_000, 3),
        (7, 3, 4),
        (12, 4, 2),
    ]:
        bounds = chunk_files([1] * files, max_files=max_files, max_bytes=10**9, slots=slots)
        counts = [stop - start for start, stop in bounds]
        assert [start for start, _ in bounds[1:]] == [stop for _, stop in bounds[:-1]]
        assert bounds[0][0] == 0 and bounds[-1][1] == files
        assert max(counts) <= max_files and max(counts) - min(counts) <= 1
        assert len(bounds) % slots == 0
        assert len(bounds) < -(-files // max_files) + slots  # at most one round of batches added
    assert len(chunk_files([1] * 100_000, max_files=4_000, max_bytes=10**9, slots=2)) == 26
    # one batch runs in the flow process: it is not split for workers
    assert chunk_files([1] * 3_000, max_files=4_000, max_bytes=10**9, slots=2) == [(0, 3_000)]
    # bytes still split a batch
    assert chunk_files([40] * 8, max_files=4, max_bytes=100, slots=2) == [(0, 2), (2, 4), (4, 6), (6, 8)]


def test_a_time_no_datetime_holds_is_unknown_not_an_error(tmp_path: Path) -> None:
    # tmpfs keeps any 64-bit mtime: a file dated in the year 33658 failed the whole run with a ValueError.
    assert stat_key(10, 1e12) == (10, None)
    assert stat_key(10, -1e12) == (10, None)
    assert stat_key(10, -86400 * 400) == (10, datetime(1968, 11, 27))
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return
    folder = Path(tempfile.mkdtemp(dir=shm))
    try:
        path = write_file(folder, "from-the-future.txt", "A story")
        os.utime(path, (1e12, 1e12))
        if os.stat(path).st_mtime != 1e12:
            return  # this tmpfs clamps times too
        assert [(row["path"], row["mtime"]) for row in discover([str(folder)]).listing.to_pylist()] == [
            (str(path), None)
        ]
    finally:
        shutil.rmtree(folder)


def test_links_that_point_at_each_other_are_refused_not_fatal(tmp_path: Path) -> None:
    # pathlib raised "RuntimeError: Symlink loop" out of discovery, and the whole run failed.
    good = write_file(tmp_path, "good.txt", "A story")
    (tmp_path / "loop_a.txt").symlink_to(tmp_path / "loop_b.txt")
    (tmp_path / "loop_b.txt").symlink_to(tmp_path / "loop_a.txt")
    found = discover([tmp_path])
    assert found.listing.column("path").to_pylist() == [str(good)]
    assert sorted((Path(r.source_path).name, r.reason) for r in found.rejections) == [
        ("loop_a.txt", "symlink_loop"),
        ("loop_b.txt", "symlink_loop"),
    ]


def test_listing_mtimes_are_the_manifests_datetimes_to_the_microsecond() -> None:
    # The listing computes each file's mtime in microseconds without a datetime; the batch records mtime_key's
    # datetime. A file whose two differ by a microsecond would never match its manifest row and be read every run.
    import math
    import random

    from transforms.discovery import mtime_key, mtime_microseconds

    epoch = datetime(1970, 1, 1)
    rng = random.Random(20261204)
    seconds = [rng.uniform(-3e9, 2e10) for _ in range(20_000)]
    # Half a microsecond past a whole one: where rounding half to even, half up and truncation part.
    seconds += [rng.randrange(-(2**31), 2**34) + rng.randrange(10**6) / 1e6 + 0.5e-6 for _ in range(20_000)]
    seconds += [math.nextafter(value, math.inf) for value in seconds[:5_000]]
    seconds += [0.0, -0.0, 1e-7, -1e-7, 0.9999995, -0.9999995, 2.5e-6, 3.5e-6, -(2**31), 2**34, 2**34 + 0.5]
    seconds += [1e12, -1e12, -86400 * 400, 253402300799.9999, -62135596800.0, math.nan, math.inf, -math.inf]
    for value in seconds:
        key = mtime_key(value)
        assert mtime_microseconds(value) == (
            None if key is None else (key - epoch) // timedelta(microseconds=1)
        ), value
