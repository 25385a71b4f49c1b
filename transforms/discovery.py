"""Find the input files under the paths a run is given."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from transforms.documents import Rejection


@dataclass(slots=True)
class Discovery:
    """Files to read, and entries refused before reading (each counts as one document seen)."""

    files: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def discover(inputs: list[str | Path]) -> Discovery:
    """Every regular file under ``inputs`` (files or folders, walked recursively), sorted, hidden names skipped.

    Symbolic links are followed only when they resolve inside the input folder they were found in; one that points
    outside, or nowhere, is refused with its reason rather than read.
    """
    found = Discovery()
    for entry in inputs:
        root = Path(entry)
        if not root.exists():
            found.rejections.append(Rejection(str(root), 0, "read", "missing_input", "path does not exist"))
        elif root.is_dir():
            _walk(root, found)
        else:
            found.files.append(str(root))
    found.files.sort()
    return found


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
            found.files.append(str(path))


def _symlink_rejection(path: Path, real_root: Path) -> Rejection | None:
    target = path.resolve()
    if not target.exists():
        return Rejection(str(path), 0, "read", "broken_symlink", f"points to missing {target}")
    if not target.is_relative_to(real_root):
        return Rejection(
            str(path), 0, "read", "symlink_outside_input", f"points outside the input folder: {target}"
        )
    return None
