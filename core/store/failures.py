"""SQLite's failures turned into the engine's own errors, in one place.

A full disk (SQLITE_FULL, or ENOSPC from the file system), a write lock held too long
by another process (SQLITE_BUSY after the busy timeout) and a damaged file
(SQLITE_CORRUPT, SQLITE_NOTADB) each become an error that says what happened in words.
"""

from __future__ import annotations

import errno
from pathlib import Path

import apsw

from core.errors import DiskFullError, LibraryBusyError, LibraryDamagedError, LikewiseError


def disk_full(path: Path | str) -> DiskFullError:
    return DiskFullError(
        f"the disk holding the library is full ({path}). Free some space, then index again: "
        "what was indexed is kept and the rest stays queued"
    )


def busy(path: Path | str, waited_s: float) -> LibraryBusyError:
    return LibraryBusyError(
        f"another Likewise (a window or `likewise index`) kept the library {path} locked for "
        f"more than {waited_s:.0f} s. Nothing was lost; try again when it has finished"
    )


def damaged(path: Path | str, detail: str) -> LibraryDamagedError:
    return LibraryDamagedError(f"{path} is damaged ({detail}); it was left as it is", path=path)


def translate(
    exc: BaseException, path: Path | str, busy_timeout_s: float, conn: apsw.Connection | None = None
) -> LikewiseError | None:
    """The engine error for a SQLite or OS failure, or None when it is none of these.
    ``conn`` (the connection that failed) tells the OS error behind an I/O error."""
    if isinstance(exc, apsw.FullError):
        return disk_full(path)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return disk_full(path)
    if isinstance(exc, apsw.IOError) and _errno_of(conn) == errno.ENOSPC:
        return disk_full(path)
    if isinstance(exc, apsw.BusyError | apsw.LockedError):
        return busy(path, busy_timeout_s)
    if isinstance(exc, apsw.CorruptError | apsw.NotADBError):
        return damaged(path, str(exc))
    return None


def _errno_of(conn: apsw.Connection | None) -> int | None:
    try:
        return conn.system_errno if conn is not None else None
    except apsw.Error:
        return None
