"""Checks made before a library file is opened for writing, so that a damaged file or one
written by a newer Likewise is reported in words and left byte for byte as it was.

Cheap by design (the header, the size, the schema table): they run on every open.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import apsw

from core.errors import LibraryTooNewError
from core.store.failures import damaged
from core.store.rows import one_row

SQLITE_MAGIC = b"SQLite format 3\x00"


def check_library_file(path: Path, known_version: int, thorough: bool = False) -> None:
    """Raise LibraryDamagedError or LibraryTooNewError when ``path`` is not a library
    this program can use. A missing or empty file is a new library and passes.
    ``thorough`` also reads every page (PRAGMA quick_check: seconds on a large library)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if size == 0:
        return
    with open(path, "rb") as fh:
        header = fh.read(100)
    _check_header(path, header, size)
    version = _schema_version(path, thorough)
    if version > known_version:
        raise LibraryTooNewError(
            f"{path} was written by a newer Likewise (its schema is version {version}; this "
            f"program knows up to {known_version}); it was left as it is. Update Likewise to use it",
            path=path,
        )


def _check_header(path: Path, header: bytes, size: int) -> None:
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise damaged(path, "it does not start with a SQLite header: overwritten, or not a library")
    (raw_page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if raw_page_size == 1 else raw_page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise damaged(path, f"its header names an impossible page size {raw_page_size}")
    change_counter, pages = struct.unpack(">II", header[24:32])
    (valid_for,) = struct.unpack(">I", header[92:96])
    if _has_wal(path):
        return   # pages past the end of the file may still live in the write-ahead log
    if size % page_size:
        raise damaged(path, f"it ends in the middle of a page ({size} bytes): it was truncated")
    if pages and valid_for == change_counter and size < pages * page_size:
        raise damaged(
            path, f"it holds {size} of the {pages * page_size} bytes its header names: it was truncated"
        )


def _has_wal(path: Path) -> bool:
    try:
        return os.path.getsize(f"{path}-wal") > 0
    except OSError:
        return False


def open_readonly(path: Path) -> apsw.Connection:
    """A connection that cannot change the file or leave anything beside it: without a
    write-ahead log the file is opened immutable (no -wal or -shm is created)."""
    flags = apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI
    uri = Path(path).resolve().as_uri()
    return apsw.Connection(uri if _has_wal(path) else uri + "?immutable=1", flags=flags)


def _schema_version(path: Path, thorough: bool = False) -> int:
    """The highest migration recorded in the file, read on a read-only connection."""
    try:
        conn = open_readonly(path)
    except apsw.Error as exc:
        raise damaged(path, str(exc)) from exc
    try:
        if thorough:
            problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
            if problems != ["ok"]:
                raise damaged(path, "; ".join(problems))
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        if not has_table:
            return 0
        row = one_row(conn.execute("SELECT MAX(version) FROM schema_migrations"))
        return int(row[0] or 0)
    except (apsw.CorruptError, apsw.NotADBError) as exc:
        raise damaged(path, str(exc)) from exc
    finally:
        conn.close()
