"""Walking watched folders: supported files with their size and mtime.

Symlinked folders are followed once: a (device, inode) set breaks loops.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from core.index.skip import should_skip, should_skip_dir


def walk_files(root: Path | str) -> Iterator[tuple[str, int, float]]:
    """Yield (path, size, mtime) for every supported, non-hidden, non-temporary file."""
    root = str(root)
    seen_dirs: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        current = stack.pop()
        try:
            st = os.stat(current)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            continue
        seen_dirs.add(key)
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=True):
                    if not should_skip_dir(entry.path):
                        stack.append(entry.path)
                    continue
                if not entry.is_file(follow_symlinks=True):
                    continue
                if should_skip(entry.path, root):
                    continue
                est = entry.stat(follow_symlinks=True)
            except OSError:
                continue
            yield entry.path, est.st_size, est.st_mtime


def file_hash(path: Path | str, block: int = 1 << 20) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            data = fh.read(block)
            if not data:
                break
            h.update(data)
    return h.hexdigest()
