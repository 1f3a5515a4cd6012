"""The same file in several places: rows of the ``documents`` table (owned by
core/catalog.py, which holds one ``Copies``) whose content hash equals an indexed
document's.

A copy is a documents row with ``copy_of`` = the id of the document holding the passages
(the holder) and no passages of its own: it is extracted, encoded and mined never, and a
search result from the holder names it in ``also_in``. When the holder goes (its file
deleted, changed, or become a copy itself), its passages, with their ids, words, vectors,
labels and similar-paragraph pairs, pass to its first copy, which becomes the holder of
the others: nothing is read or encoded again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import apsw

import core.index.jobs as jobs
from core.changes import reads, writes
from core.pathnames import ext_of, is_member, title_of
from core.store import Store
from core.types import CONTAINER_EXTENSIONS, INDEXED


def can_be_copy(stored: str) -> bool:
    """Plain files only: a container (mail, archive) holds documents of its own under its
    path, and a document inside one goes with it, so neither shares another's passages."""
    ext = ext_of(stored)
    return not is_member(stored) and bool(ext) and ext not in CONTAINER_EXTENSIONS


@dataclass(frozen=True)
class CopyGroup:
    """A document and the other places the same file is in (stored paths)."""

    document_id: int
    path: str
    title: str | None
    copies: list[str]

    @property
    def places(self) -> int:
        return 1 + len(self.copies)


class Copies:
    def __init__(self, store: Store, delete_chunks: Callable[[apsw.Connection, int], int]) -> None:
        self.store = store
        self.delete_chunks = delete_chunks     # Catalog.delete_chunks_of

    @writes()
    def write_copy(self, conn: apsw.Connection, facts: Any, holder_id: int) -> int:
        """Record the file at ``facts.path`` as a copy of document ``holder_id`` (same
        content): a row without passages of its own (inside ``conn``'s write). A row
        already there hands its passages to its own copies first. Returns its id."""
        row = conn.execute("SELECT id FROM documents WHERE path = ?", (facts.path,)).fetchone()
        held = conn.execute("SELECT title, pages FROM documents WHERE id = ?", (holder_id,)).fetchone()
        pages = held[1] if held else None
        if row:
            doc_id = int(row[0])
            self.hand_over(conn, doc_id)
            self.delete_chunks(conn, doc_id)
            jobs.drop_jobs_of_document(conn, doc_id, embed_only=True)
            conn.execute(
                "UPDATE documents SET folder_id=?, size=?, mtime=?, content_hash=?, status=?, error=NULL, "
                "pages=?, indexed_at=?, available=1, copy_of=? WHERE id=?",
                (facts.folder_id, facts.size, facts.mtime, facts.content_hash, INDEXED, pages, time.time(),
                 holder_id, doc_id))
            return doc_id
        conn.execute(
            "INSERT INTO documents(folder_id, path, title, ext, size, mtime, content_hash, status, pages, "
            "indexed_at, copy_of) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (facts.folder_id, facts.path, title_of(facts.path), ext_of(facts.path), facts.size, facts.mtime,
             facts.content_hash, INDEXED, pages, time.time(), holder_id))
        return int(conn.last_insert_rowid())


    @reads
    def holder_for(self, conn: apsw.Connection | None, digest: str | None, stored: str) -> int | None:
        """The indexed document (not a copy) with this content at another path, if any."""
        if not digest or not can_be_copy(stored):
            return None
        # "+status": found through the content-hash index, not the status one (without
        # statistics SQLite took that, and walked every indexed document: 5.8 ms a file
        # at 28,000 documents, against 0.01 ms)
        sql = ("SELECT id FROM documents WHERE content_hash = ? AND path != ? AND copy_of IS NULL "
               "AND container_id IS NULL AND +status = 'indexed' ORDER BY id LIMIT 1")
        row = (conn.execute(sql, (digest, stored)).fetchone() if conn is not None
               else self.store.query_one(sql, (digest, stored)))
        return int(row[0]) if row else None

    @writes()
    def hand_over(self, conn: apsw.Connection, doc_id: int) -> int | None:
        """Before document ``doc_id`` loses its passages (inside that write): its first
        copy takes them, and the other copies point at that one. Returns the heir."""
        heirs = [int(r[0]) for r in conn.execute(
            "SELECT id FROM documents WHERE copy_of = ? ORDER BY id", (doc_id,))]
        if not heirs:
            return None
        heir = heirs[0]
        conn.execute("UPDATE chunks SET document_id = ? WHERE document_id = ?", (heir, doc_id))
        conn.execute("UPDATE documents SET copy_of = NULL WHERE id = ?", (heir,))
        conn.execute("UPDATE documents SET copy_of = ? WHERE copy_of = ?", (heir, doc_id))
        jobs.move_embed_jobs(conn, doc_id, heir)
        return heir

    @reads
    def groups(self) -> list[CopyGroup]:
        """Every document found in more than one place, most places first."""
        found: dict[int, CopyGroup] = {}
        for hid, hpath, title, cpath in self.store.query(
                "SELECT h.id, h.path, h.title, c.path FROM documents c JOIN documents h ON h.id = c.copy_of "
                "ORDER BY h.path, c.path"):
            group = found.setdefault(int(hid), CopyGroup(int(hid), hpath, title, []))
            group.copies.append(cpath)
        return sorted(found.values(), key=lambda g: (-g.places, g.path))

    @reads
    def paths_of(self, doc_id: int) -> list[str]:
        """Stored paths of a document's copies."""
        return [r[0] for r in self.store.query(
            "SELECT path FROM documents WHERE copy_of = ? ORDER BY path", (doc_id,))]

    @reads
    def also_in(self, chunk_ids: list[int]) -> dict[int, list[str]]:
        """{chunk id: stored paths of the other documents holding exactly its text, and of
        the copies of those documents and of its own} (a search result's ``also_in``)."""
        out: dict[int, set[str]] = {}
        marks = ",".join("?" * len(chunk_ids))
        for cid, path in self.store.query(
                "SELECT c.id, d.path FROM chunks c JOIN chunks o ON o.text_hash = c.text_hash "
                "AND o.document_id != c.document_id JOIN documents d ON d.id = o.document_id "
                f"WHERE c.id IN ({marks}) UNION "
                "SELECT c.id, d.path FROM chunks c JOIN chunks o ON o.text_hash = c.text_hash "
                "JOIN documents d ON d.copy_of = o.document_id "
                f"WHERE c.id IN ({marks})", tuple(chunk_ids) * 2):
            out.setdefault(int(cid), set()).add(path)
        return {cid: sorted(paths) for cid, paths in out.items()}
