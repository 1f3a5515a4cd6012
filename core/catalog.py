"""The catalog: the one owner of the ``folders``, ``documents`` and ``chunks`` tables.

Every statement that reads or writes those tables' rows lives here, so adding a column
means changing this file (and a migration in core/store). Paths are stored losslessly
(core/pathnames.py: ``to_db`` going in, ``from_db`` coming out); methods taking a
"stored" path take it as the database holds it.

Deleting a document tells ``events.document_deleted`` inside the same write, before its
chunks go, so that the parts owning rows that point at chunks (dupes_*, labels) follow.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import apsw
import numpy as np

import core.index.jobs as jobs
from core import faults
from core.catalog_members import MemberRows
from core.catalog_rows import CHUNK_COLS, DOC_COLS, FileFacts, FolderRow, KnownDocument, document_info, text_hash
from core.changes import DOCUMENTS, FOLDERS, QUEUE, reads, writes
from core.chunk import noise_flags
from core.copies import Copies
from core.errors import InvalidInputError, NotFoundError
from core.events import DocumentDeleted, Events
from core.pathnames import display, ext_of, from_db, title_of, to_db
from core.store import Store, vec_table
from core.text import is_fragment
from core.types import INDEXED, Chunk, ChunkInfo, DocumentInfo, FolderInfo


class Catalog:
    """Folders, documents and chunks of one library."""

    def __init__(self, store: Store, events: Events) -> None:
        self.store = store
        self.events = events
        self.members = MemberRows(self)    # documents inside container files (core/catalog_members.py)
        self.copies = Copies(store, self.delete_chunks_of)

    # -- folders ----------------------------------------------------------------------
    @writes()
    def add_folder(self, path: Path | str, follow_links: bool) -> int:
        """Record a chosen folder (an OS path); folders inside it merge into it."""
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise InvalidInputError(f"not a folder: {display(str(folder))}")
        folder = folder.resolve()
        for (existing,) in self.store.query("SELECT path FROM folders"):
            existing = from_db(existing)
            if folder == Path(existing) or Path(existing) in folder.parents:
                raise InvalidInputError(
                    f"{display(str(folder))} is already watched (inside {display(existing)})")
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO folders(path, added_at, follow_links) VALUES (?, ?, ?)",
                (to_db(str(folder)), time.time(), int(bool(follow_links))),
            )
            folder_id = conn.last_insert_rowid()
            for fid, fpath in list(conn.execute("SELECT id, path FROM folders WHERE id != ?", (folder_id,))):
                if folder in Path(from_db(fpath)).parents:
                    conn.execute("UPDATE documents SET folder_id = ? WHERE folder_id = ?", (folder_id, fid))
                    conn.execute("DELETE FROM folders WHERE id = ?", (fid,))
        self.events.folders_changed.emit(None)
        return int(folder_id)

    @writes(FOLDERS, DOCUMENTS, QUEUE)
    def remove_folder(self, path: Path | str) -> int:
        """Forget a folder and every document under it. Returns documents removed."""
        folder_id = self.folder_id(path)
        doc_ids = [r[0] for r in self.store.query("SELECT id FROM documents WHERE folder_id = ?", (folder_id,))]
        with self.store.write() as conn:
            for doc_id in doc_ids:
                self.delete_document(conn, doc_id)
            jobs.drop_jobs_of_folder(conn, folder_id)
            conn.execute("DELETE FROM folders WHERE id = ?", (folder_id,))
        self.events.folders_changed.emit(None)
        return len(doc_ids)

    @writes(FOLDERS, QUEUE)
    def set_folder_paused(self, path: Path | str, paused: bool) -> None:
        folder_id = self.folder_id(path)
        with self.store.write() as conn:
            conn.execute("UPDATE folders SET paused = ? WHERE id = ?", (int(paused), folder_id))
        self.events.folders_changed.emit(None)

    @writes(FOLDERS)
    def mark_folder_available(self, folder_id: int, available: bool) -> bool:
        """Mark a folder and all its documents (un)available in one write. Documents are
        never deleted for being unavailable. Returns True when something changed."""
        with self.store.write() as conn:
            row = conn.execute("SELECT available FROM folders WHERE id = ?", (folder_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no folder {folder_id}")
            if bool(row[0]) == bool(available):
                return False
            conn.execute("UPDATE folders SET available = ? WHERE id = ?", (int(available), folder_id))
            conn.execute(
                "UPDATE documents SET available = ? WHERE folder_id = ?", (int(available), folder_id)
            )
        self.events.folders_changed.emit(None)
        return True

    @reads
    def folder_id(self, path: Path | str) -> int:
        p = Path(from_db(os.fspath(path))).expanduser()
        candidates = {str(p), str(p.resolve()) if p.exists() else str(p.absolute())}
        for c in candidates:
            row = self.store.query_one("SELECT id FROM folders WHERE path = ?", (to_db(c),))
            if row:
                return int(row[0])
        raise NotFoundError(f"{display(from_db(os.fspath(path)))} is not a watched folder")

    @reads
    def folder_rows(self) -> list[FolderRow]:
        """Every chosen folder: id, OS path, paused, follow links."""
        return [FolderRow(fid, from_db(path), bool(paused), bool(follow)) for fid, path, paused, follow in
                self.store.query("SELECT id, path, paused, follow_links FROM folders")]

    @reads
    def folder_root(self, folder_id: int | None) -> str | None:
        """The stored path of a folder, or None."""
        row = self.store.query_one("SELECT path FROM folders WHERE id = ?", (folder_id,))
        return row[0] if row else None

    @reads
    def folders(self, state_of: Any = None) -> list[FolderInfo]:
        """Every folder with its state; ``state_of(folder_id)`` gives (state, message)
        of a folder that is neither paused nor unavailable (the watcher's view)."""
        rows = self.store.query(
            "SELECT f.id, f.path, f.paused, f.available, f.last_reconcile, "
            "(SELECT COUNT(*) FROM documents d WHERE d.folder_id = f.id AND d.status = 'indexed'), "
            "(SELECT COUNT(*) FROM jobs j WHERE j.folder_id = f.id) "
            "FROM folders f ORDER BY f.path"
        )
        out = []
        for fid, path, paused, available, last, ndocs, pending in rows:
            state, message = ("idle", None)
            if paused:
                state = "paused"
            elif not available or not os.path.isdir(from_db(path)):
                state = "unavailable"
            elif state_of is not None:
                state, message = state_of(fid)
            out.append(FolderInfo(fid, path, bool(paused), state, ndocs, pending, last, message))
        return out

    @reads
    def folder(self, folder_id: int, state_of: Any = None) -> FolderInfo:
        for f in self.folders(state_of):
            if f.id == folder_id:
                return f
        raise NotFoundError(f"no folder {folder_id}")

    @reads
    def folder_watch_rows(self) -> list[tuple]:
        """(id, stored path, paused, available, last reconcile, jobs) of every folder."""
        return self.store.query(
            "SELECT f.id, f.path, f.paused, f.available, f.last_reconcile, "
            "(SELECT COUNT(*) FROM jobs j WHERE j.folder_id = f.id) FROM folders f ORDER BY f.path"
        )

    @writes()
    def note_reconciled(self, conn: apsw.Connection, folder_id: int) -> None:
        """A scan of the folder finished (inside a write): its documents are there again."""
        conn.execute("UPDATE folders SET last_reconcile = ? WHERE id = ?", (time.time(), folder_id))
        conn.execute("UPDATE documents SET available = 1 WHERE folder_id = ? AND available = 0",
                     (folder_id,))

    # -- documents --------------------------------------------------------------------
    @reads
    def documents(self, folder: Path | str | None = None, status: str | None = None) -> list[DocumentInfo]:
        sql = f"SELECT {DOC_COLS} FROM documents d"
        where: list[str] = []
        params: list[Any] = []
        if folder is not None:
            where.append("d.folder_id = ?")
            params.append(self.folder_id(folder))
        if status is not None:
            where.append("d.status = ?")
            params.append(status)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY d.path"
        return [document_info(r) for r in self.store.query(sql, tuple(params))]

    @reads
    def document(self, doc: int | str | Path) -> DocumentInfo:
        if isinstance(doc, int):
            row = self.store.query_one(f"SELECT {DOC_COLS} FROM documents d WHERE d.id = ?", (doc,))
        else:
            p = Path(from_db(os.fspath(doc))).expanduser()
            row = self.store.query_one(f"SELECT {DOC_COLS} FROM documents d WHERE d.path = ?",
                                       (to_db(str(p)),))
            if row is None and p.exists():
                row = self.store.query_one(
                    f"SELECT {DOC_COLS} FROM documents d WHERE d.path = ?", (to_db(str(p.resolve())),)
                )
        if row is None:
            raise NotFoundError(f"no document {display(from_db(str(doc)))} in the library")
        return document_info(row)

    @reads
    def status_counts(self, model_id: int | None = None) -> dict[str, int]:
        """Documents by status, passages, queued jobs; with ``model_id`` also the passages
        that can be searched by meaning with that model ("by_meaning")."""
        counts = {s: 0 for s in ("indexed", "encrypted", "no_text", "error", "pending")}
        for status, n in self.store.query("SELECT status, COUNT(*) FROM documents GROUP BY status"):
            counts[status] = n
        counts["chunks"] = self.store.count("SELECT COUNT(*) FROM chunks")
        counts["copies"] = self.store.count("SELECT COUNT(*) FROM documents WHERE copy_of IS NOT NULL")
        if model_id is not None:
            counts["by_meaning"] = counts["chunks"] - self.passages_waiting(model_id)
        counts["queued"] = self.store.count("SELECT COUNT(*) FROM jobs")
        counts["unavailable"] = self.store.count("SELECT COUNT(*) FROM documents WHERE available = 0")
        # what a person calls "documents": the ones that could be read (an unreadable file
        # is counted apart, never among them)
        counts["documents"] = counts["indexed"]
        counts["unreadable"] = counts["encrypted"] + counts["no_text"] + counts["error"]
        return counts

    @reads
    def errors(self) -> list[DocumentInfo]:
        return [d for d in self.documents() if d.status in ("encrypted", "no_text", "error")]

    @reads
    def snapshot(self, paths: list[str], ids: Iterable[int]) -> dict[int, tuple]:
        """{doc id: (path, status, error, indexed_at)} for documents at stored ``paths``
        or with ``ids`` (the watcher compares two to tell what a run changed)."""
        out: dict[int, tuple] = {}
        cols = "SELECT id, path, status, error, indexed_at FROM documents WHERE "
        for col, values in (("path", list(dict.fromkeys(paths))), ("id", list(ids))):
            for start in range(0, len(values), 500):
                part = values[start : start + 500]
                marks = ",".join("?" * len(part))
                for row in self.store.query(f"{cols}{col} IN ({marks})", tuple(part)):
                    out[row[0]] = row[1:]
        return out

    @reads
    def known(self, stored: str) -> KnownDocument | None:
        """The document row at a stored path, if any."""
        row = self.store.query_one(
            "SELECT id, size, mtime, content_hash, status FROM documents WHERE path = ?", (stored,))
        return KnownDocument(*row) if row else None

    @reads
    def sizes_in_folder(self, folder_id: int) -> dict[str, tuple[int, float]]:
        """{stored path: (size, mtime)} of the documents of a folder."""
        return {path: (size, mtime) for path, size, mtime in self.store.query(
            "SELECT path, size, mtime FROM documents WHERE folder_id = ? AND container_id IS NULL", (folder_id,))}

    @reads
    def known_under(self, folder: str) -> list[str]:
        """OS paths of the documents below an OS folder path."""
        prefix = to_db(folder.rstrip(os.sep) + os.sep)
        upper = prefix[:-1] + chr(ord(os.sep) + 1)   # a range on the path index, no scan
        rows = self.store.query("SELECT path FROM documents WHERE path >= ? AND path < ? AND container_id IS NULL",
                                (prefix, upper))
        return [from_db(r[0]) for r in rows]

    @reads
    def unread_scans(self) -> list[tuple[str, int | None]]:
        """(stored path, folder id) of the PDFs and images left without text, which OCR
        may now read (for example after OCR was turned back on)."""
        from core.types import IMAGE_EXTENSIONS

        exts = (".pdf", *IMAGE_EXTENSIONS)
        return [(p, f) for p, f in self.store.query(
            f"SELECT path, folder_id FROM documents WHERE status = 'no_text' AND container_id IS NULL AND ext IN "
            f"({','.join('?' * len(exts))})", exts)]

    @reads
    def path_of(self, doc_id: int) -> tuple[str, int | None] | None:
        """(stored path, folder id) of a document."""
        row = self.store.query_one("SELECT path, folder_id FROM documents WHERE id = ?", (doc_id,))
        return (row[0], row[1]) if row else None

    @reads
    def moved_candidates(self, digest: str, stored: str) -> list[tuple[int, str]]:
        """(id, stored path) of other documents with this content."""
        return [(int(i), p) for i, p in self.store.query(
            "SELECT id, path FROM documents WHERE content_hash = ? AND path != ? AND container_id IS NULL",
            (digest, stored))]

    @reads
    def passages_waiting(self, model_id: int) -> int:
        """Passages still without a vector of this model among the documents queued for
        encoding (embed jobs): what meaning search cannot see yet."""
        if not self.store.vec_table_exists(model_id):
            return self.store.count("SELECT COUNT(*) FROM chunks")
        return self.store.count(
            f"SELECT COUNT(*) FROM chunks c LEFT JOIN {vec_table(model_id)} v ON v.chunk_id = c.id "
            "WHERE c.document_id IN (SELECT document_id FROM jobs WHERE kind = 'embed' AND model_id = ?) "
            "AND v.chunk_id IS NULL", (model_id,))

    @reads
    def missing_vectors(self, conn: apsw.Connection, doc_id: int, model_id: int) -> list[str]:
        """The text hashes of a document's passages without a vector of this model (inside
        a write), one per passage."""
        return [h for (h,) in conn.execute(
            f"SELECT c.text_hash FROM chunks c LEFT JOIN {vec_table(model_id)} v ON v.chunk_id = c.id "
            "WHERE c.document_id = ? AND v.chunk_id IS NULL", (doc_id,))]

    @reads
    def document_count(self) -> int:
        return self.store.count("SELECT COUNT(*) FROM documents")

    @writes()
    def write_touch(self, conn: apsw.Connection, doc_id: int, size: int, mtime: float) -> None:
        """Same content, new size/mtime (a touch)."""
        conn.execute("UPDATE documents SET size = ?, mtime = ? WHERE id = ?", (size, mtime, doc_id))

    @writes()
    def write_move(self, conn: apsw.Connection, doc_id: int, facts: FileFacts) -> None:
        """A document's file now lives at another path (a move, a rename); the documents
        inside it follow."""
        old = conn.execute("SELECT path FROM documents WHERE id = ?", (doc_id,)).fetchone()
        conn.execute(
            "UPDATE documents SET path = ?, folder_id = ?, size = ?, mtime = ?, available = 1, "
            "ext = ? WHERE id = ?",
            (facts.path, facts.folder_id, facts.size, facts.mtime, ext_of(facts.path), doc_id),
        )
        if old:
            self.members.repath(conn, doc_id, old[0], facts.path, facts)

    @writes()
    def write_failure(self, conn: apsw.Connection, facts: FileFacts, doc: KnownDocument | None,
                      status: str, reason: str, title: str | None, pages: int | None) -> None:
        """Record that a file was not indexed, and why (its chunks, if any, go)."""
        title = title or title_of(facts.path)
        if doc:
            self.copies.hand_over(conn, doc.id)
            self.delete_chunks_of(conn, doc.id)
            conn.execute(
                "UPDATE documents SET size=?, mtime=?, content_hash=?, status=?, error=?, pages=?, "
                "title=?, indexed_at=?, available=1, copy_of=NULL WHERE id=?",
                (facts.size, facts.mtime, facts.content_hash, status, reason, pages, title, time.time(),
                 doc.id),
            )
        else:
            conn.execute(
                "INSERT INTO documents(folder_id, path, title, ext, size, mtime, content_hash, status, "
                "error, pages, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (facts.folder_id, facts.path, title, ext_of(facts.path), facts.size, facts.mtime,
                 facts.content_hash, status, reason, pages, time.time()),
            )

    @writes()
    def write_document(self, conn: apsw.Connection, facts: FileFacts, title: str | None,
                       pages: int | None, chunks: list[Chunk], vectors: dict[int, np.ndarray],
                       reuse: Iterable[int] = ()) -> int:
        """Write an indexed document with its chunks and words, and the ``vectors`` given
        (inside ``conn``'s write: after a crash the document is complete or absent).
        For each model of ``reuse``, passages whose text that model has encoded before
        (in this document's old passages too) get that vector at once; the rest wait for
        the embed jobs (core/index/meaning.py). Returns its id."""
        title = title or title_of(facts.path)
        row = conn.execute("SELECT id FROM documents WHERE path = ?", (facts.path,)).fetchone()
        hashes = {text_hash(c.text) for c in chunks}
        known = {m: self.known_vectors(m, hashes, conn) for m in reuse if m not in vectors}
        if row:
            doc_id = row[0]
            self.copies.hand_over(conn, doc_id)
            self.delete_chunks_of(conn, doc_id)
            conn.execute(
                "UPDATE documents SET folder_id=?, title=?, ext=?, size=?, mtime=?, content_hash=?, "
                "status=?, error=NULL, pages=?, indexed_at=?, available=1, copy_of=NULL WHERE id=?",
                (facts.folder_id, title, ext_of(facts.path), facts.size, facts.mtime, facts.content_hash,
                 INDEXED, pages, time.time(), doc_id),
            )
        else:
            conn.execute(
                "INSERT INTO documents(folder_id, path, title, ext, size, mtime, content_hash, status, "
                "pages, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (facts.folder_id, facts.path, title, ext_of(facts.path), facts.size, facts.mtime,
                 facts.content_hash, INDEXED, pages, time.time()),
            )
            doc_id = conn.last_insert_rowid()
        ids = self.insert_chunks(conn, doc_id, chunks, vectors)
        for model_id, found in known.items():
            have = [(cid, found[text_hash(c.text)]) for cid, c in zip(ids, chunks, strict=True)
                    if text_hash(c.text) in found]
            if have:
                self.store.put_vectors(conn, model_id, [cid for cid, _ in have], np.stack([v for _, v in have]))
        return int(doc_id)

    @writes()
    def insert_chunks(self, conn: apsw.Connection, doc_id: int, chunks: list[Chunk],
                      vectors: dict[int, np.ndarray]) -> list[int]:
        chunk_ids = []
        for c, noise in zip(chunks, noise_flags(chunks), strict=True):
            conn.execute(
                "INSERT INTO chunks(document_id, ord, text, text_hash, page_start, page_end, heading, "
                "char_start, char_end, ocr, noise) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (doc_id, c.ord, c.text, text_hash(c.text), c.page_start, c.page_end, c.heading,
                 c.char_start, c.char_end, int(c.ocr), int(noise)),
            )
            chunk_ids.append(conn.last_insert_rowid())
        faults.checkpoint("write")
        for model_id, mat in vectors.items():
            self.store.put_vectors(conn, model_id, chunk_ids, mat)
        faults.checkpoint("upsert")
        return chunk_ids

    @reads
    def passage_rows(self, doc_id: int, conn: apsw.Connection | None = None) -> list[tuple]:
        """A document's passages as (text, char_start, char_end, page_start, page_end,
        heading, ocr), in order: what core/index/split.py cuts into paragraphs."""
        sql = ("SELECT text, char_start, char_end, page_start, page_end, heading, ocr FROM chunks "
               "WHERE document_id = ? ORDER BY ord")
        if conn is not None:
            return [tuple(r) for r in conn.execute(sql, (doc_id,))]
        return [tuple(r) for r in self.store.query(sql, (doc_id,))]

    @writes()
    def replace_passages(self, conn: apsw.Connection, doc_id: int, chunks: list[Chunk],
                         vectors: dict[int, np.ndarray]) -> None:
        """A document's passages, words and vectors replaced (inside ``conn``'s write);
        the document row, its file facts and labels stay."""
        self.delete_chunks_of(conn, doc_id)
        self.insert_chunks(conn, doc_id, chunks, vectors)

    @writes()
    def write_single_passage(self, conn: apsw.Connection, stored: str, title: str, text: str,
                             when: float) -> int:
        """A document of one passage, without a file (the BEIR harness's corpus entries).
        Returns the passage's chunk id; its vectors are the caller's to put."""
        conn.execute(
            "INSERT INTO documents(path, title, ext, size, mtime, status, indexed_at) VALUES (?,?,?,?,?,?,?)",
            (stored, title, ext_of(stored), len(text), when, INDEXED, when),
        )
        doc_id = conn.last_insert_rowid()
        conn.execute(
            "INSERT INTO chunks(document_id, ord, text, text_hash, char_start, char_end, noise) "
            "VALUES (?,?,?,?,?,?,?)",
            (doc_id, 0, text, text_hash(text), 0, len(text), int(is_fragment(text))),
        )
        return int(conn.last_insert_rowid())

    @writes()
    def mark_unavailable(self, conn: apsw.Connection, stored: str) -> None:
        conn.execute("UPDATE documents SET available = 0 WHERE path = ?", (stored,))

    @writes()
    def delete_chunks_of(self, conn: apsw.Connection, document_id: int) -> int:
        """Remove a document's chunks with their words and vectors (inside a write)."""
        ids = [r[0] for r in conn.execute("SELECT id FROM chunks WHERE document_id = ?", (document_id,))]
        self.store.delete_vectors(conn, ids)
        conn.execute("DELETE FROM chunks WHERE document_id = ?", (document_id,))
        return len(ids)

    @writes()
    def delete_document(self, conn: apsw.Connection, doc_id: int) -> None:
        """Remove a document, its chunks, words and vectors, and the documents inside
        it (inside a write); a copy elsewhere keeps the passages."""
        self.copies.hand_over(conn, doc_id)
        self.members.delete_members(conn, doc_id)
        self.events.document_deleted.emit(DocumentDeleted(conn, doc_id))
        self.delete_chunks_of(conn, doc_id)
        jobs.drop_jobs_of_document(conn, doc_id)
        conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    @writes()
    def delete_document_at(self, conn: apsw.Connection, stored: str) -> bool:
        """Delete the document at a stored path, if there is one."""
        doc = conn.execute("SELECT id FROM documents WHERE path = ?", (stored,)).fetchone()
        if doc:
            self.delete_document(conn, doc[0])
        return bool(doc)

    # -- chunks -----------------------------------------------------------------------
    @reads
    def chunk(self, chunk_id: int) -> ChunkInfo:
        row = self.store.query_one(
            f"SELECT {CHUNK_COLS} FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ?",
            (chunk_id,),
        )
        if row is None:
            raise NotFoundError(f"no passage {chunk_id}")
        return ChunkInfo(*row)

    @reads
    def chunks_of(self, document_id: int) -> list[ChunkInfo]:
        rows = self.store.query(
            f"SELECT {CHUNK_COLS} FROM chunks c JOIN documents d ON d.id = c.document_id "
            "WHERE c.document_id = ? ORDER BY c.ord",
            (document_id,),
        )
        return [ChunkInfo(*r) for r in rows]

    @reads
    def neighbours(self, chunk_id: int, before: int = 1, after: int = 1) -> list[ChunkInfo]:
        """The passage with ``before``/``after`` neighbouring chunks, in document order."""
        c = self.chunk(chunk_id)
        rows = self.store.query(
            f"SELECT {CHUNK_COLS} FROM chunks c JOIN documents d ON d.id = c.document_id "
            "WHERE c.document_id = ? AND c.ord BETWEEN ? AND ? ORDER BY c.ord",
            (c.document_id, c.ord - before, c.ord + after),
        )
        return [ChunkInfo(*r) for r in rows]

    @reads
    def noise_ids(self) -> set[int]:
        """Passages that are no answer by meaning alone (``chunks.noise``: fragments,
        furniture); read through the partial index of migration 0014."""
        return {int(r[0]) for r in self.store.query("SELECT id FROM chunks WHERE noise = 1")}

    @reads
    def chunk_ids_of(self, document_id: int, body_only: bool = False) -> list[int]:
        """Ids of a document's chunks, in document order (``body_only``: those that say
        something, not noise)."""
        where = " AND noise = 0" if body_only else ""
        return [int(r[0]) for r in self.store.query(
            f"SELECT id FROM chunks WHERE document_id = ?{where} ORDER BY ord", (int(document_id),))]

    @reads
    def chunks_overlapping(self, src: ChunkInfo) -> list[int]:
        """Ids of the chunks of ``src``'s document whose characters overlap it."""
        return [int(r[0]) for r in self.store.query(
            "SELECT id FROM chunks WHERE document_id = ? AND char_start < ? AND char_end > ?",
            (src.document_id, max(src.char_end, src.char_start + 1), src.char_start),
        )]

    @reads
    def result_rows(self, chunk_ids: list[int]) -> dict[int, tuple]:
        """{chunk id: (id, document id, path, title, page start, page end, heading, text, ocr,
        sender)}."""
        marks = ",".join("?" * len(chunk_ids))
        return {r[0]: r for r in self.store.query(
            "SELECT c.id, c.document_id, d.path, d.title, c.page_start, c.page_end, c.heading, c.text, "
            f"c.ocr, d.sender FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id IN ({marks})",
            tuple(chunk_ids))}

    @reads
    def document_of_chunks(self, chunk_ids: list[int]) -> dict[int, int]:
        """{chunk id: document id} of these chunks (those that still exist)."""
        out: dict[int, int] = {}
        conn = self.store.reader()
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start : start + 500]
            marks = ",".join("?" * len(part))
            out.update((int(c), int(d)) for c, d in conn.execute(
                f"SELECT id, document_id FROM chunks WHERE id IN ({marks})", tuple(part)))
        return out

    @reads
    def text_hashes(self, chunk_ids: list[int]) -> dict[int, str]:
        """{chunk id: hash of its exact text} of these chunks (those that still exist)."""
        out: dict[int, str] = {}
        conn = self.store.reader()
        for start in range(0, len(chunk_ids), 500):
            part = chunk_ids[start : start + 500]
            out.update((int(c), h) for c, h in conn.execute(
                f"SELECT id, text_hash FROM chunks WHERE id IN ({','.join('?' * len(part))})", tuple(part)))
        return out

    @reads
    def known_vectors(self, model_id: int, hashes: set[str],
                      conn: apsw.Connection | None = None) -> dict[str, np.ndarray]:
        """{text hash: vector} of texts this model has already encoded."""
        found: dict[str, np.ndarray] = {}
        hl = list(hashes)
        if not hl or not self.store.vec_table_exists(model_id):
            return found
        conn = conn or self.store.reader()
        for start in range(0, len(hl), 400):
            part = hl[start : start + 400]
            # one vector per text, not one per copy of it: a paragraph found in 300 files
            # read 300 vectors here, and the first 50,000-file run slowed as it grew
            rows = conn.execute(
                f"WITH wanted(h) AS (VALUES {','.join(['(?)'] * len(part))}) "
                f"SELECT h, (SELECT v.embedding FROM chunks c JOIN {vec_table(model_id)} v ON v.chunk_id = c.id "
                f"WHERE c.text_hash = wanted.h LIMIT 1) FROM wanted",
                tuple(part),
            )
            for h, blob in rows:
                if blob is not None:
                    found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    @reads
    def chunks_missing_vectors(self, model_id: int, doc_id: int) -> list[tuple[int, str]]:
        """(id, text) of a document's chunks without a vector of this model."""
        return [(int(i), t) for i, t in self.store.query(
            f"SELECT c.id, c.text FROM chunks c LEFT JOIN {vec_table(model_id)} v ON v.chunk_id = c.id "
            "WHERE c.document_id = ? AND v.chunk_id IS NULL ORDER BY c.ord",
            (doc_id,),
        )]
