"""Moving a damaged library file aside and building a new library from the same folders.

The damaged file is never changed: it is renamed (``library.sqlite.damaged-YYYYmmdd-HHMMSS``,
its -wal and -shm beside it under the same new name, so SQLite still pairs them) and the
folders it watched are read from it read-only, when they still can be. The new library
watches those folders; the caller indexes it (the CLI at once, the window by watching).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import apsw

from core.errors import InvalidInputError, LibraryUnusableError
from core.store.db import latest_version
from core.store.health import check_library_file, open_readonly

COMPANIONS = ("-wal", "-shm", "-journal")


@dataclass
class Rebuilt:
    moved_to: Path                                   # where the damaged file now is
    folders: list[str] = field(default_factory=list)  # watched again by the new library
    missing: list[str] = field(default_factory=list)  # named in the old file, no longer folders
    folders_read: bool = False                       # False: none could be read from it


def rebuild_library(path: Path | str, open_library: Callable[[Path], Any]) -> tuple[Any, Rebuilt]:
    """Move the library file at ``path`` aside and open a new one there (through
    ``open_library``) watching the same folders. Refuses a file that is not damaged."""
    path = Path(path)
    if not path.exists():
        raise InvalidInputError(f"there is no library file at {path}")
    try:
        check_library_file(path, latest_version(), thorough=True)
    except LibraryUnusableError:
        pass
    else:
        raise InvalidInputError(f"{path} is not damaged; nothing was changed")
    moved = set_aside(path)
    folders = read_folders(moved)
    lib = open_library(path)
    info = Rebuilt(moved_to=moved, folders_read=folders is not None)
    for folder in folders or []:
        if os.path.isdir(folder):
            lib.add_folder(folder)
            info.folders.append(folder)
        else:
            info.missing.append(folder)
    return lib, info


def set_aside(path: Path, now: float | None = None) -> Path:
    """Rename the file and its companions to a free ``.damaged-DATE`` name; returns it."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 2
    while any(Path(f"{target}{c}").exists() for c in ("", *COMPANIONS)):
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
        n += 1
    for companion in COMPANIONS:
        if Path(f"{path}{companion}").exists():
            os.replace(f"{path}{companion}", f"{target}{companion}")
    os.replace(path, target)
    return target


def read_folders(path: Path) -> list[str] | None:
    """The folders a (damaged) library watched, read without writing; None if unreadable."""
    try:
        conn = open_readonly(path)
        # Read what is there even when the file is shorter than its header says (the
        # connection is read-only: nothing can be written through it).
        conn.execute("PRAGMA writable_schema = ON")
        try:
            return [str(r[0]) for r in conn.execute("SELECT path FROM folders ORDER BY path")]
        finally:
            conn.close()
    except apsw.Error:
        return None
