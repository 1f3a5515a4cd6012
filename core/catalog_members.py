"""The catalog's rows for documents inside container files (part of the Catalog, which
owns the ``documents`` table: ``Catalog.members``).

A member's row has the stored path ``member_path(container, *names)``
(core/pathnames.py), ``container_id`` = the row of the file that holds it (members of
members point at that same file's row), the container's folder, and the member's own
size and content hash (so an unchanged member is never encoded again). The container's
row is made first ("pending", no hash: a run stopped half way reads it again) and
finished last, when the members not met again are removed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import apsw
import numpy as np

from core.pathnames import display, from_db
from core.types import INDEXED, PENDING, Chunk, ExtractResult, MailFacts

Catalog = Any      # core.catalog.Catalog, which builds this part (no import: no circle)
FileFacts = Any    # core.catalog.FileFacts


class MemberRows:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.store = catalog.store

    def states(self, container_id: int) -> dict[str, tuple[str | None, str]]:
        """{stored path: (content hash, status)} of a container's members."""
        return {p: (h, s) for p, h, s in self.store.query(
            "SELECT path, content_hash, status FROM documents WHERE container_id = ?", (container_id,))}

    def count(self, container_id: int) -> int:
        return self.store.count("SELECT COUNT(*) FROM documents WHERE container_id = ?", (container_id,))

    def pages(self, doc_id: int) -> int:
        """What a container's row counts (an mbox's messages)."""
        row = self.store.query_one("SELECT pages FROM documents WHERE id = ?", (doc_id,))
        return int(row[0] or 0) if row else 0

    def span(self, stored: str) -> tuple[int, int] | None:
        """An mbox message's byte range, by its stored path."""
        row = self.store.query_one("SELECT member_start, member_end FROM documents WHERE path = ?", (stored,))
        return (int(row[0]), int(row[1])) if row and row[0] is not None else None

    def begin(self, conn: apsw.Connection, facts: FileFacts) -> int:
        """The container's row (made "pending" when new): the id its members point at."""
        row = conn.execute("SELECT id FROM documents WHERE path = ?", (facts.path,)).fetchone()
        if row:
            return int(row[0])
        conn.execute(
            "INSERT INTO documents(folder_id, path, title, ext, size, mtime, status, indexed_at) "
            "VALUES (?,?,?,?,0,0,?,?)",
            (facts.folder_id, facts.path, Path(display(from_db(facts.path))).stem,
             os.path.splitext(facts.path)[1].lower(), PENDING, time.time()))
        return int(conn.last_insert_rowid())

    def write(self, conn: apsw.Connection, container_id: int, facts: FileFacts, ext: str,
              span: tuple[int, int] | None, result: ExtractResult, chunks: list[Chunk],
              vectors: dict[int, np.ndarray], status: str | None = None, error: str | None = None) -> int:
        """Write one member with its passages (or its status and reason when it was not
        indexed). Returns its id."""
        status = status or (INDEXED if chunks or result.status == INDEXED else result.status)
        error = error if error is not None else result.error
        title = result.title or facts.path.rsplit("/", 1)[-1]
        mail = result.mail or MailFacts()
        values = (facts.folder_id, title, ext, facts.size, facts.mtime, facts.content_hash, status, error,
                  result.pages, time.time(), container_id, *(span or (None, None)), mail.sender,
                  mail.recipients, mail.sent_at)
        row = conn.execute("SELECT id FROM documents WHERE path = ?", (facts.path,)).fetchone()
        if row:
            doc_id = int(row[0])
            self.catalog.delete_chunks_of(conn, doc_id)
            conn.execute(
                "UPDATE documents SET folder_id=?, title=?, ext=?, size=?, mtime=?, content_hash=?, status=?, "
                "error=?, pages=?, indexed_at=?, available=1, container_id=?, member_start=?, member_end=?, "
                "sender=?, recipients=?, sent_at=? WHERE id=?", (*values, doc_id))
        else:
            conn.execute(
                "INSERT INTO documents(folder_id, title, ext, size, mtime, content_hash, status, error, pages, "
                "indexed_at, container_id, member_start, member_end, sender, recipients, sent_at, path) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (*values, facts.path))
            doc_id = int(conn.last_insert_rowid())
        if chunks:
            self.catalog.insert_chunks(conn, doc_id, chunks, vectors)
        return doc_id

    def finish(self, conn: apsw.Connection, container_id: int, seen: set[str] | None, result: ExtractResult,
               status: str, error: str | None) -> int:
        """After the container's own row is written: its status and reason, its mail
        facts, and the members not met this time removed (``seen`` None: keep them all,
        for an mbox read only from where it grew). Returns members removed."""
        mail = result.mail or MailFacts()
        conn.execute("UPDATE documents SET status=?, error=?, sender=?, recipients=?, sent_at=? WHERE id=?",
                     (status, error, mail.sender, mail.recipients, mail.sent_at, container_id))
        if seen is None:
            return 0
        gone = [int(i) for i, p in conn.execute(
            "SELECT id, path FROM documents WHERE container_id = ?", (container_id,)) if p not in seen]
        for doc_id in gone:
            self.catalog.delete_document(conn, doc_id)
        return len(gone)

    def delete_members(self, conn: apsw.Connection, container_id: int) -> None:
        """Remove every document inside a container (inside the write deleting it)."""
        for (doc_id,) in list(conn.execute("SELECT id FROM documents WHERE container_id = ?", (container_id,))):
            self.catalog.delete_document(conn, int(doc_id))

    def repath(self, conn: apsw.Connection, container_id: int, old: str, new: str, facts: Any) -> None:
        """The container file moved: its members' stored paths follow."""
        for doc_id, path in list(conn.execute("SELECT id, path FROM documents WHERE container_id = ?",
                                              (container_id,))):
            if path.startswith(old):
                conn.execute("UPDATE documents SET path = ?, folder_id = ?, mtime = ? WHERE id = ?",
                             (new + path[len(old):], facts.folder_id, facts.mtime, doc_id))
