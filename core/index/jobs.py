"""The job queue (table ``jobs``): what the indexer still has to do, kept in the
database so that a run that is killed resumes where it stopped.

Kinds, in the order they run: ``reindex`` and ``index`` (a file to read), ``delete``
(a path that went away), ``embed`` (a document's passages to encode with a model version:
queued with the passages by the first stage, or for every document by a model switch;
core/index/meaning.py runs them beside the first stage).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

import apsw

from core.pathnames import to_db
from core.store import Store

# Within a kind, jobs go in a scrambled but fixed order (Knuth's multiplicative hash of
# the id), not folder order: the files read first are then a fair sample of the rest, so
# the passage total and the ETA, estimated from them, hold early. In folder order the
# shared corpus's first tenth was small test PDFs, and the estimate was a quarter of
# the final count until half the run had passed.
JOB_ORDER = ("CASE kind WHEN 'reindex' THEN 0 WHEN 'index' THEN 1 WHEN 'delete' THEN 2 ELSE 3 END, "
             "(id * 2654435761) % 4294967296, id")
RUN_KEY = "index_run_open"   # meta key: a run began and has not emptied the queue yet
_COLS = "id, kind, path, folder_id, attempts, document_id, model_id"
# A paused folder's jobs wait (they are counted in its "Waiting"; they run once it resumes).
RUNNABLE = "(folder_id IS NULL OR folder_id NOT IN (SELECT id FROM folders WHERE paused = 1))"


class Job(NamedTuple):
    id: int
    kind: str
    path: str | None          # stored path (file jobs, delete jobs)
    folder_id: int | None
    attempts: int
    document_id: int | None   # embed jobs
    model_id: int | None      # embed jobs


class JobQueue:
    def __init__(self, store: Store) -> None:
        self.store = store

    def put(self, jobs: list[tuple[str, str, int | None]]) -> int:
        """Queue (kind, OS path, folder id) jobs; paths are stored losslessly. Returns
        how many were new."""
        if not jobs:
            return 0
        now = time.time()
        total = 0
        with self.store.write() as conn:
            for kind, path, fid in jobs:
                conn.execute(
                    "INSERT OR IGNORE INTO jobs(kind, path, folder_id, created_at) VALUES (?,?,?,?)",
                    (kind, to_db(path), fid, now),
                )
                total += conn.changes()
        return total

    def put_stored(self, kind: str, stored: str, folder_id: int | None) -> int:
        """Queue a job for a path as the database holds it. Returns 1 when it was new."""
        return self.put_many_stored(kind, [(stored, folder_id)])

    def put_many_stored(self, kind: str, paths: list[tuple[str, int | None]]) -> int:
        """Queue jobs for (stored path, folder id) pairs. Returns how many were new."""
        total = 0
        now = time.time()
        with self.store.write() as conn:
            for stored, folder_id in paths:
                conn.execute(
                    "INSERT OR IGNORE INTO jobs(kind, path, folder_id, created_at) VALUES (?,?,?,?)",
                    (kind, stored, folder_id, now),
                )
                total += conn.changes()
        return total

    def pending(self) -> int:
        """Jobs an indexing run would take now (a paused folder's are left out)."""
        return self.store.count(f"SELECT COUNT(*) FROM jobs WHERE {RUNNABLE}")

    def next(self, kinds: tuple[str, ...]) -> Job | None:
        marks = ",".join("?" * len(kinds))
        row = self.store.query_one(
            f"SELECT {_COLS} FROM jobs WHERE kind IN ({marks}) AND {RUNNABLE} ORDER BY {JOB_ORDER} LIMIT 1", kinds)
        return Job(*row) if row else None

    def file_jobs(self) -> list[Job]:
        """Every queued file job (index, reindex), in the order a local run takes them."""
        return [Job(*r) for r in self.store.query(
            f"SELECT {_COLS} FROM jobs WHERE kind IN ('index', 'reindex') AND {RUNNABLE} ORDER BY {JOB_ORDER}")]

    def done(self, job_id: int, conn: apsw.Connection | None = None) -> None:
        """The job is finished (inside ``conn``'s write when given)."""
        if conn is not None:
            conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            return
        with self.store.write() as c:
            c.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def mark_run(self, running: bool) -> bool:
        """Note that an indexing run has begun (True) or finished its queue (False);
        returns whether one had begun before and not finished (a run that was stopped,
        killed or cancelled, which this one resumes)."""
        was = self.store.get_meta(RUN_KEY) is not None
        if was != running:
            with self.store.write() as conn:
                self.store.set_meta(conn, RUN_KEY, "1" if running else None)
        return was

    def done_many(self, job_ids: list[int], conn: apsw.Connection) -> None:
        """These jobs are finished (inside ``conn``'s write)."""
        conn.executemany("DELETE FROM jobs WHERE id = ?", [(int(j),) for j in job_ids])

    def put_embed(self, conn: apsw.Connection, doc_id: int, model_ids: list[int]) -> None:
        """Queue the encoding of a document's passages with these model versions (inside
        the write that stored its passages: core/index/meaning.py takes them)."""
        now = time.time()
        for model_id in model_ids:
            conn.execute("DELETE FROM jobs WHERE kind = 'embed' AND document_id = ? AND model_id = ?",
                         (doc_id, model_id))
            conn.execute("INSERT INTO jobs(kind, document_id, model_id, created_at) VALUES ('embed', ?, ?, ?)",
                         (doc_id, model_id, now))

    def embed_jobs(self, limit: int) -> list[tuple[int, int, int]]:
        """(id, document id, model id) of the first ``limit`` embed jobs, in queue order."""
        return [tuple(r) for r in self.store.query(
            "SELECT id, document_id, model_id FROM jobs WHERE kind = 'embed' ORDER BY id LIMIT ?", (limit,))]

    def file_jobs_pending(self) -> int:
        """Jobs of the first stage (files to read, paths gone, splits): not the encoding's."""
        return self.store.count("SELECT COUNT(*) FROM jobs WHERE kind != 'embed'")

    def drop_delete_of(self, conn: apsw.Connection, stored: str) -> None:
        """A path is known again (a move found it): its delete job goes."""
        conn.execute("DELETE FROM jobs WHERE kind = 'delete' AND path = ?", (stored,))

    def drop_index_jobs(self, conn: apsw.Connection, folder_id: int, unwanted) -> None:
        """Index jobs of a folder whose OS path ``unwanted(path)`` says no to go (inside
        ``conn``'s write): an exclusion was added."""
        from core.pathnames import from_db

        for job_id, path in list(conn.execute(
                "SELECT id, path FROM jobs WHERE folder_id = ? AND kind = 'index' AND path IS NOT NULL",
                (folder_id,))):
            if unwanted(from_db(path)):
                conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def queued_paths(self) -> list[str]:
        return [r[0] for r in self.store.query("SELECT path FROM jobs WHERE path IS NOT NULL")]


# -- the writes other owners make inside their own transactions --------------------------
# (the table has one writer, this file: the Catalog, its copies and ModelVersions call these)
def drop_jobs_of_folder(conn: apsw.Connection, folder_id: int) -> None:
    conn.execute("DELETE FROM jobs WHERE folder_id = ?", (folder_id,))


def drop_jobs_of_document(conn: apsw.Connection, doc_id: int, embed_only: bool = False) -> None:
    only = " AND kind = 'embed'" if embed_only else ""
    conn.execute(f"DELETE FROM jobs WHERE document_id = ?{only}", (doc_id,))


def move_embed_jobs(conn: apsw.Connection, from_doc: int, to_doc: int) -> None:
    """A document's passages passed to another (core/copies.py): so do their embed jobs."""
    conn.execute("UPDATE OR IGNORE jobs SET document_id = ? WHERE kind = 'embed' AND document_id = ?",
                 (to_doc, from_doc))


def embed_all_documents(conn: apsw.Connection, model_id: int) -> None:
    """Queue the encoding of every indexed document for ``model_id`` (a model switch)."""
    conn.execute(
        "INSERT OR IGNORE INTO jobs(kind, document_id, model_id, created_at) "
        "SELECT 'embed', d.id, ?, ? FROM documents d WHERE d.status = 'indexed'", (model_id, time.time()))


def embed_documents_missing(conn: apsw.Connection, model_id: int, vectors: str) -> None:
    """Queue the documents with a passage that has no vector in table ``vectors``."""
    conn.execute(
        "INSERT OR IGNORE INTO jobs(kind, document_id, model_id, created_at) "
        "SELECT DISTINCT 'embed', c.document_id, ?, ? FROM chunks c "
        f"LEFT JOIN {vectors} v ON v.chunk_id = c.id WHERE v.chunk_id IS NULL", (model_id, time.time()))


def embed_jobs_waiting(conn: apsw.Connection, model_id: int) -> int:
    row = conn.execute("SELECT COUNT(*) FROM jobs WHERE kind = 'embed' AND model_id = ?", (model_id,)).fetchone()
    return int(row[0]) if row else 0


def drop_embed_jobs(conn: apsw.Connection, model_id: int | None = None, keep: tuple[int, ...] = ()) -> None:
    """Forget embed jobs: of ``model_id`` only, or of every model but those in ``keep``."""
    if model_id is not None:
        conn.execute("DELETE FROM jobs WHERE kind = 'embed' AND model_id = ?", (model_id,))
        return
    if not keep:
        conn.execute("DELETE FROM jobs WHERE kind = 'embed'")
        return
    marks = ",".join("?" * len(keep))
    conn.execute(f"DELETE FROM jobs WHERE kind = 'embed' AND IFNULL(model_id, 0) NOT IN ({marks})", keep)


class FileJobCursor:
    """Hands the queue's file jobs, in the queue's order, to the extraction lanes, each
    to one lane. The ordered queue is read once, and again when it runs out or after
    ``REFRESH_S`` (a re-read the watcher queued meanwhile joins then), not once per file:
    sorting every queued job for each file read made a first run of 50,000 files
    quadratic. A job taken from that list is read again by its id before it is handed
    out, so one deleted or paused since is skipped."""

    REFRESH_S = 10.0

    def __init__(self, jobs: JobQueue, clock: Callable[[], float] = time.monotonic) -> None:
        self.jobs = jobs
        self.clock = clock
        self.lock = threading.Lock()
        self.claimed: set[int] = set()
        self._upcoming: deque[int] = deque()
        self._read_at = float("-inf")

    def claim(self) -> Job | None:
        """The next file job no lane holds, or None when there is none."""
        with self.lock:
            refreshed = False
            while True:
                if not self._upcoming or (not refreshed and self.clock() - self._read_at >= self.REFRESH_S):
                    if refreshed:
                        return None
                    self._refresh()
                    refreshed = True
                    continue
                job_id = self._upcoming.popleft()
                row = self.jobs.store.query_one(
                    f"SELECT {_COLS} FROM jobs WHERE id = ? AND kind IN ('index', 'reindex') AND {RUNNABLE}",
                    (job_id,))
                if row is not None:
                    self.claimed.add(job_id)
                    return Job(*row)

    def _refresh(self) -> None:
        ids = [r[0] for r in self.jobs.store.query(
            f"SELECT id FROM jobs WHERE kind IN ('index', 'reindex') AND {RUNNABLE} ORDER BY {JOB_ORDER}")]
        self._upcoming = deque(i for i in ids if i not in self.claimed)
        self._read_at = self.clock()
