"""A lock file next to the library that one indexing run holds at a time, across
processes (the window, `likewise index`, a second window), so that two indexers never
race for the same jobs. The operating system drops the lock when its holder dies, so a
killed indexer never leaves a stale lock behind.

SQLite's own locks already keep every write whole; this lock only keeps the work of
two runs from overlapping. Readers (search) never take it.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from core.errors import StoreError
from core.store.failures import disk_full

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def lock_path(library: Path) -> Path:
    return library.with_name(library.name + "-indexing.lock")


class IndexRunLock:
    """``try_acquire()`` without waiting; ``release()``. One object per holder."""

    def __init__(self, library: Path | str) -> None:
        self.library = Path(library)
        self.path = lock_path(self.library)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise disk_full(self.library) from exc
            raise StoreError(f"cannot create the indexing lock {self.path}: {exc.strerror}") from exc
        if _try_lock(fd):
            self._fd = fd
            return True
        os.close(fd)
        return False

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        finally:
            os.close(fd)
