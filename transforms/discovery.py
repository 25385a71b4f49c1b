"""Find the input files under the paths a run is given."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from transforms.documents import Rejection

LISTING = pa.schema(
    [
        pa.field("path", pa.string(), nullable=False),
        pa.field("size", pa.int64()),
        pa.field("mtime", pa.timestamp("us")),
    ]
)
"""One row per file to read: its path and its manifest key (size, mtime as naive UTC; null when unknown)."""
# Entries held as Python objects before they become one Arrow record batch: a listing of millions of files costs
# about 100 bytes each as Arrow, ten times that as Python tuples.
LISTING_CHUNK = 65_536


@dataclass(slots=True)
class Discovery:
    """Files to read (an Arrow ``LISTING`` table sorted by path), and entries refused before reading."""

    listing: pa.Table = field(default_factory=LISTING.empty_table)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        """The paths to read, sorted (a Python list: for small listings and tests, not for millions)."""
        return self.listing.column("path").to_pylist()


class _ListingBuilder:
    """Collects (path, size, mtime) entries into Arrow record batches, a chunk at a time."""

    def __init__(self) -> None:
        self._chunks: list[pa.RecordBatch] = []
        self._paths: list[str] = []
        self._sizes: list[int | None] = []
        # Microseconds since the epoch, as the Arrow column holds them: a datetime per file cost a fifth of a walk.
        self._mtimes: list[int | None] = []
        self._last_path = ""
        # Whether every entry so far came after the one before it (then the listing needs no sort).
        self.in_order = True

    def add(self, path: str, size: int | None, mtime: datetime | None) -> None:
        """An entry whose key is known already (``mtime`` a naive UTC datetime, as ``stat_key`` gives it)."""
        self._append(path, size, None if mtime is None else (mtime - _EPOCH) // _MICROSECOND)

    def add_local(self, path: str) -> None:
        """A local file, with its size and modification time as seen now (unknown if it cannot be stat'ed)."""
        try:
            status = os.stat(path)
        except OSError:
            self._append(path, None, None)
            return
        self._append(path, status.st_size, mtime_microseconds(status.st_mtime))

    def _append(self, path: str, size: int | None, mtime_microseconds: int | None) -> None:
        if path <= self._last_path:
            self.in_order = False
        self._last_path = path
        self._paths.append(path)
        self._sizes.append(size)
        self._mtimes.append(mtime_microseconds)
        if len(self._paths) >= LISTING_CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._paths:
            arrays = [pa.array(self._paths, pa.string()), pa.array(self._sizes, pa.int64())]
            arrays.append(pa.array(self._mtimes, pa.timestamp("us")))
            self._chunks.append(pa.RecordBatch.from_arrays(arrays, schema=LISTING))
            self._paths, self._sizes, self._mtimes = [], [], []

    def table(self) -> pa.Table:
        """Every entry once, sorted by path (Arrow compares UTF-8 bytes: the same order as Python's ``sorted``).

        A single folder is walked in that order already, so only several inputs need a sort (which costs two more
        copies of the listing).
        """
        self._flush()
        listing = pa.Table.from_batches(self._chunks, schema=LISTING)
        self._chunks = []
        if self.in_order:
            return listing
        listing = listing.sort_by("path")
        # Inputs that overlap (a folder and a file or folder inside it) list a file once per input: keep one.
        # (Out of order means at least two entries.)
        paths = listing.column("path")
        repeated = pc.equal(paths.slice(1), paths.slice(0, len(paths) - 1))
        if not pc.any(repeated).as_py():
            return listing
        first = pa.chunked_array([pa.array([True]), *pc.invert(repeated).chunks])
        return listing.filter(first)


def discover(inputs: list[str | Path]) -> Discovery:
    """Every regular file under ``inputs`` (files or folders, walked recursively), sorted, hidden names skipped.

    Symbolic links are followed only when they resolve inside the input folder they were found in; one that points
    outside, or nowhere, is refused with its reason rather than read.
    """
    rejections: list[Rejection] = []
    listing = _ListingBuilder()
    for entry in inputs:
        if is_url(str(entry)):
            _find_remote(str(entry), listing, rejections)
            continue
        root = Path(entry)
        if not root.exists():
            rejections.append(Rejection(str(root), 0, "read", "missing_input", "path does not exist"))
        elif root.is_dir():
            _walk(str(root), root.resolve(), listing, rejections)
        elif (rejection := _name_rejection(str(root))) is not None:
            rejections.append(rejection)
        else:
            listing.add_local(str(root))
    # Overlapping inputs refuse an entry once per input that holds it: keep one refusal per path.
    unique = list({rejection.source_path: rejection for rejection in rejections}.values())
    return Discovery(listing.table(), unique)


def is_url(path: str) -> bool:
    """Whether ``path`` names a file through fsspec (``s3://``, ``gcs://``, ``memory://``, ``file://`` ...)."""
    return "://" in path


def _find_remote(url: str, listing: _ListingBuilder, rejections: list[Rejection]) -> None:
    """Discover files under an fsspec URL, so a cluster can read its input from shared object storage."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    if not fs.exists(root):
        rejections.append(Rejection(url, 0, "read", "missing_input", "URL does not exist"))
        return
    entries = fs.find(root, detail=True) if fs.isdir(root) else {root: fs.info(root)}
    for name, info in entries.items():
        if Path(name).name.startswith(".") or info.get("type") == "directory":
            continue
        listing.add(fs.unstrip_protocol(name), *stat_key(int(info.get("size") or 0), remote_mtime(info)))


def remote_mtime(info: dict) -> float | None:
    """Modification time in epoch seconds from an fsspec info dict (each backend names it differently); None when
    the backend gives none."""
    for key in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(key)
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


def _walk(folder: str, real_root: Path, listing: _ListingBuilder, rejections: list[Rejection]) -> None:
    """Like ``os.walk`` without following links to folders (unreadable folders are passed over, as there).

    Depth first with a stack of the folders under way, not recursion: a tree deeper than Python's recursion limit
    (1,000 levels) failed the whole run with a RecursionError.
    """
    under_way = [iter(_sorted_entries(folder))]
    add_local = listing.add_local
    while under_way:
        keyed = next(under_way[-1], None)
        if keyed is None:
            under_way.pop()
            continue
        (_, is_folder), entry = keyed
        if is_folder:
            if not entry.is_symlink():
                under_way.append(iter(_sorted_entries(entry.path)))
            continue
        path = entry.path
        # An ASCII path is UTF-8 (isascii reads a flag of the str): only other names need the encoding tried.
        rejection = None if path.isascii() else _name_rejection(path)
        if rejection is None and entry.is_symlink():
            rejection = _symlink_rejection(Path(path), real_root)
        if rejection is not None:
            rejections.append(rejection)
            continue
        add_local(path)


def _sorted_entries(folder: str) -> list[tuple[tuple[str, bool], os.DirEntry]]:
    """The visible entries of ``folder`` with their ``_walk_key``, in walk order (none if it cannot be read)."""
    try:
        with os.scandir(folder) as scan:
            entries = [(_walk_key(entry), entry) for entry in scan if not entry.name.startswith(".")]
    except OSError:
        return []
    entries.sort(key=lambda keyed: keyed[0][0])
    return entries


def _name_rejection(path: str) -> Rejection | None:
    """A refusal for a path that is not UTF-8 (Python holds its undecodable bytes as surrogates).

    Paths are stored as text in Arrow, Parquet and DuckDB, none of which takes such a name: one used to fail the
    whole run. The file is quarantined under its name with the bad bytes shown as ``\\xNN``.
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        detail = "the file name is not valid UTF-8; rename the file to load it"
        return Rejection(shown, 0, "read", "undecodable_path", detail)
    return None


def _walk_key(entry: os.DirEntry) -> tuple[str, bool]:
    """Sort key that makes a depth-first walk list paths in sorted order: a folder sorts as its name plus "/",
    which is how every path below it compares with its siblings' paths."""
    try:
        is_folder = entry.is_dir()
    except OSError:
        is_folder = False
    return (entry.name + "/" if is_folder else entry.name), is_folder


def _symlink_rejection(path: Path, real_root: Path) -> Rejection | None:
    """A refusal for a link that is broken, loops, or leads out of the input folder (None for a link to follow)."""
    try:
        target = path.resolve()
        exists = target.exists()
    except (OSError, RuntimeError) as error:
        # Links that point at each other: pathlib raises RuntimeError up to Python 3.12, OSError (ELOOP) after. A
        # loop in an input folder used to fail the whole run.
        return Rejection(str(path), 0, "read", "symlink_loop", f"cannot be resolved: {error}")
    if not exists:
        return Rejection(str(path), 0, "read", "broken_symlink", f"points to missing {target}")
    if not target.is_relative_to(real_root):
        return Rejection(
            str(path), 0, "read", "symlink_outside_input", f"points outside the input folder: {target}"
        )
    return None


def chunk_files(
    sizes: list[int | None], *, max_files: int, max_bytes: int, slots: int = 1
) -> list[tuple[int, int]]:
    """(start, stop) of consecutive batches of at most ``max_files`` files and (unless one file is larger)
    ``max_bytes`` bytes; ``sizes`` are the files' sizes in order (None when unknown).

    Batching by bytes as well as by count keeps a task's memory bounded when a folder mixes tiny and huge files.
    Bounds, not lists of paths: the paths stay in the read plan's Arrow table until their batch is submitted.

    When the batches run ``slots`` at a time, their number (by count) is rounded up to a multiple of ``slots`` and
    the files shared evenly among them, so that the run does not end with one batch running alone while the other
    workers wait: 100,000 files in batches of 4,000 on two workers were 25 batches, the last with a core idle for
    its whole length (5 s); they are now 26 of 3,846 or 3,847.
    """
    files = len(sizes)
    batches = -(-files // max_files)
    if batches > 1 and slots > 1:
        # Where the count alone ends each batch: evenly spread, none over max_files.
        batches = -(-batches // slots) * slots
        ends = iter([files * (number + 1) // batches for number in range(batches)])
    else:
        ends = iter(range(max_files, files + max_files, max_files))
    end = next(ends, files)
    bounds: list[tuple[int, int]] = []
    start = 0
    current_bytes = 0
    for index, size in enumerate(sizes):
        size = max(size or 0, 0)
        if index > start and (index >= end or current_bytes + size > max_bytes):
            bounds.append((start, index))
            start, current_bytes = index, 0
        while index >= end:
            end = next(ends, files)
        current_bytes += size
    if start < files:
        bounds.append((start, files))
    return bounds


READ_PLAN = pa.schema(
    [
        pa.field("path", pa.string(), nullable=False),
        pa.field("size", pa.int64()),
        pa.field("known_sha256", pa.string()),
    ]
)
"""One row per file a run must read: its path, size, and the SHA-256 the manifest last recorded for it (if any)."""


@dataclass(slots=True)
class ReadPlan:
    """What a run must read, given what the manifest says about earlier runs."""

    to_read: pa.Table  # READ_PLAN rows, sorted by path
    unchanged: int  # files not read: same size and mtime as the manifest's last entry
    new_rejections: list[Rejection]
    unchanged_rejections: list[Rejection]

    def batch(self, start: int, stop: int) -> tuple[list[str], dict[str, str]]:
        """The paths of rows ``start:stop`` and the SHA-256 recorded for those of them the manifest knows."""
        rows = self.to_read.slice(start, stop - start)
        paths = rows.column("path").to_pylist()
        known = {
            path: sha256
            for path, sha256 in zip(paths, rows.column("known_sha256").to_pylist(), strict=True)
            if sha256 is not None
        }
        return paths, known


def stat_key(size: int | None, mtime_seconds: float | None) -> tuple[int | None, datetime | None]:
    """(size, mtime as naive UTC datetime): the form the manifest stores and compares.

    A time before 1970 is a time like any other (a restored archive keeps its files' old dates); it used to be
    taken for "unknown", so such a file never matched the mtime its manifest row recorded and was read again on
    every run. A time outside years 1 to 9999 is unknown (None).
    """
    return size, mtime_key(mtime_seconds)


def mtime_key(mtime_seconds: float | None) -> datetime | None:
    """An mtime in epoch seconds as the manifest holds it, a naive UTC datetime; None when unknown.

    Discovery (the key it compares) and the batch (the mtime it records) both convert here, so the two agree.
    """
    if mtime_seconds is None:
        return None
    try:
        return datetime.fromtimestamp(mtime_seconds, UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        # Beyond what a datetime holds (years 1 to 9999): tmpfs and others keep any 64-bit time, and a file dated
        # in the year 33658 failed the whole run. Such a time is as good as unknown.
        return None


_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
# Times computed by arithmetic below (years 1901 to 2514); outside, through the datetime itself.
_ARITHMETIC_SECONDS = (-(2**31), 2**34)


def mtime_microseconds(mtime_seconds: float) -> int | None:
    """``mtime_key(mtime_seconds)`` as microseconds since the epoch, without making the datetime.

    CPython's ``datetime.fromtimestamp`` splits the float with ``modf`` and rounds the fraction's microseconds half
    to even (``_PyTime_DoubleToDenominator``), which is Python's ``round``; the result is the whole seconds plus those
    microseconds, a carry included. Times far from now go through ``mtime_key``, with its limits.
    """
    low, high = _ARITHMETIC_SECONDS
    if low <= mtime_seconds <= high:
        fraction, whole = math.modf(mtime_seconds)
        return int(whole) * 1_000_000 + round(fraction * 1e6)
    key = mtime_key(mtime_seconds)
    return None if key is None else (key - _EPOCH) // _MICROSECOND


def entry_stat(path: str) -> tuple[int | None, datetime | None]:
    """The manifest key of a path that may be a broken or outside link (``lstat``: the link itself).

    A name refused as not UTF-8 is recorded as shown (its bad bytes as ``\\xNN``); its key is that of the file
    the name stands for, so that the file is not quarantined again every run while it stays as it is.
    """
    for candidate in (path, *_named_by(path)):
        try:
            status = os.lstat(candidate)
        except OSError:
            continue
        return stat_key(status.st_size, status.st_mtime)
    return None, None


_SHOWN_BYTE = re.compile(rb"\\x([0-9a-f]{2})")


def _named_by(shown: str) -> tuple[str, ...]:
    """The path a name shown by ``_name_rejection`` stands for (its ``\\xNN`` back to bytes), if it has any."""
    encoded = shown.encode("utf-8")
    raw = _SHOWN_BYTE.sub(lambda match: bytes([int(match[1], 16)]), encoded)
    return (os.fsdecode(raw),) if raw != encoded else ()


def split_rejections(
    rejections: list[Rejection], recorded: dict[str, tuple[int | None, datetime | None]]
) -> tuple[list[Rejection], list[Rejection]]:
    """(new, unchanged): a refused entry is unchanged when its ``lstat`` key equals the one ``recorded`` for it,
    so that a bad link that stays as it was is not quarantined again every run."""
    new, unchanged = [], []
    for rejection in rejections:
        key = recorded.get(rejection.source_path)
        same = key is not None and key == entry_stat(rejection.source_path) != (None, None)
        (unchanged if same else new).append(rejection)
    return new, unchanged
