"""Find the input files under the paths a run is given."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from transforms.documents import Rejection


@dataclass(slots=True)
class Discovery:
    """Files to read (with their size and mtime in seconds), and entries refused before reading."""

    files: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    stats: dict[str, tuple[int, float]] = field(default_factory=dict)

    def add(self, path: str) -> None:
        """Record a file to read, with its size and modification time as seen now."""
        try:
            status = os.stat(path)
        except OSError:
            status = None
        self.files.append(path)
        self.stats[path] = (status.st_size, status.st_mtime) if status else (-1, -1.0)


def discover(inputs: list[str | Path]) -> Discovery:
    """Every regular file under ``inputs`` (files or folders, walked recursively), sorted, hidden names skipped.

    Symbolic links are followed only when they resolve inside the input folder they were found in; one that points
    outside, or nowhere, is refused with its reason rather than read.
    """
    found = Discovery()
    for entry in inputs:
        if is_url(str(entry)):
            _find_remote(str(entry), found)
            continue
        root = Path(entry)
        if not root.exists():
            found.rejections.append(Rejection(str(root), 0, "read", "missing_input", "path does not exist"))
        elif root.is_dir():
            _walk(root, found)
        else:
            found.add(str(root))
    found.files.sort()
    return found


def is_url(path: str) -> bool:
    """Whether ``path`` names a file through fsspec (``s3://``, ``gcs://``, ``memory://``, ``file://`` ...)."""
    return "://" in path


def _find_remote(url: str, found: Discovery) -> None:
    """Discover files under an fsspec URL, so a cluster can read its input from shared object storage."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    if not fs.exists(root):
        found.rejections.append(Rejection(url, 0, "read", "missing_input", "URL does not exist"))
        return
    entries = fs.find(root, detail=True) if fs.isdir(root) else {root: fs.info(root)}
    for name, info in sorted(entries.items()):
        if Path(name).name.startswith(".") or info.get("type") == "directory":
            continue
        path = fs.unstrip_protocol(name)
        found.files.append(path)
        found.stats[path] = (int(info.get("size") or 0), remote_mtime(info))


def remote_mtime(info: dict) -> float:
    """Modification time in epoch seconds from an fsspec info dict (each backend names it differently)."""
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
    return -1.0


def _walk(root: Path, found: Discovery) -> None:
    real_root = root.resolve()
    for folder, folders, files in os.walk(root, followlinks=False):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            if path.is_symlink():
                rejection = _symlink_rejection(path, real_root)
                if rejection is not None:
                    found.rejections.append(rejection)
                    continue
            found.add(str(path))


def _symlink_rejection(path: Path, real_root: Path) -> Rejection | None:
    target = path.resolve()
    if not target.exists():
        return Rejection(str(path), 0, "read", "broken_symlink", f"points to missing {target}")
    if not target.is_relative_to(real_root):
        return Rejection(
            str(path), 0, "read", "symlink_outside_input", f"points outside the input folder: {target}"
        )
    return None


def chunk_files(
    files: list[str], sizes: dict[str, int], *, max_files: int, max_bytes: int
) -> list[list[str]]:
    """Consecutive batches of at most ``max_files`` files and (unless one file is larger) ``max_bytes`` bytes.

    Batching by bytes as well as by count keeps a task's memory bounded when a folder mixes tiny and huge files.
    """
    batches: list[list[str]] = []
    current: list[str] = []
    current_bytes = 0
    for path in files:
        size = max(sizes.get(path, 0), 0)
        if current and (len(current) >= max_files or current_bytes + size > max_bytes):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(path)
        current_bytes += size
    if current:
        batches.append(current)
    return batches


@dataclass(slots=True)
class ReadPlan:
    """What a run must read, given what the manifest says about earlier runs."""

    to_read: list[str]
    known_sha256: dict[str, str]
    unchanged: list[str]
    new_rejections: list[Rejection]
    unchanged_rejections: list[Rejection]


def stat_key(size: int | None, mtime_seconds: float | None) -> tuple[int | None, datetime | None]:
    """(size, mtime as naive UTC datetime): the form the manifest stores and compares."""
    if mtime_seconds is None or mtime_seconds < 0:
        return size, None
    return size, datetime.fromtimestamp(mtime_seconds, UTC).replace(tzinfo=None)


def entry_stat(path: str) -> tuple[int | None, datetime | None]:
    """The manifest key of a path that may be a broken or outside link (``lstat``: the link itself)."""
    try:
        status = os.lstat(path)
    except OSError:
        return None, None
    return stat_key(status.st_size, status.st_mtime)


def plan_reads(discovery: Discovery, manifest: dict[str, tuple]) -> ReadPlan:
    """Split discovered files into those to read and those unchanged since the manifest's last entry.

    A file is unchanged when its size and modification time equal the last recorded ones; it is then not read at
    all, which keeps a no-op re-run of a large folder cheap. A file that only looks changed is still skipped later
    if its bytes hash to the recorded SHA-256.
    """
    to_read: list[str] = []
    unchanged: list[str] = []
    known: dict[str, str] = {}
    for path in discovery.files:
        recorded = manifest.get(path)
        if recorded is None:
            to_read.append(path)
            continue
        size, mtime, sha256 = recorded
        if mtime is not None and (size, mtime) == stat_key(*discovery.stats.get(path, (None, None))):
            unchanged.append(path)
            continue
        to_read.append(path)
        if sha256 is not None:
            known[path] = sha256
    new_rejections, unchanged_rejections = [], []
    for rejection in discovery.rejections:
        recorded = manifest.get(rejection.source_path)
        same = recorded is not None and recorded[:2] == entry_stat(rejection.source_path) != (None, None)
        (unchanged_rejections if same else new_rejections).append(rejection)
    return ReadPlan(to_read, known, unchanged, new_rejections, unchanged_rejections)
