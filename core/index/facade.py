"""Indexing part of the Library facade: scan, diff, queue, extract, chunk, encode, write.

The job queue lives in the database (table ``jobs``), so a run that is killed resumes
where it stopped. A document row is written only together with all its chunks, words
and vectors, in one transaction: after a crash every document is complete or absent.

Per file, by cost: unchanged size and mtime -> nothing; same content hash -> only the
row's size/mtime/path change (a touch, a move, a rename); otherwise the file is
extracted in an isolated worker process, chunked, and only chunks whose text has never
been encoded by that model are encoded (vectors are reused by text hash).
"""

from __future__ import annotations

import errno
import hashlib
import os
import queue
import stat
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core import faults
from core.cancel import CancelToken
from core.errors import Cancelled, NotFoundError
from core.index.scan import PERMISSION_DENIED, Walk, file_hash, link_allowed, reason_of
from core.index.skip import should_skip
from core.pathnames import display, from_db, to_db
from core.types import INDEXED, ExtractResult, IndexProgress, IndexReport

ProgressFn = Callable[[IndexProgress], None]

JOB_ORDER = "CASE kind WHEN 'reindex' THEN 0 WHEN 'index' THEN 1 WHEN 'delete' THEN 2 ELSE 3 END, id"
ENCODE_GROUP_CHUNKS = 64  # documents are encoded together until this many chunks wait


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass
class _Pending:
    """A file extracted and chunked, waiting to be encoded and written."""

    job_id: int
    path: str
    folder_id: int | None
    size: int
    mtime: float
    content_hash: str
    result: ExtractResult
    chunks: list = field(default_factory=list)
    replace_doc_id: int | None = None


class _Tracker:
    """Progress accounting: files, chunks, rate and ETA."""

    def __init__(self, total: int, progress: ProgressFn | None) -> None:
        self.p = IndexProgress(files_total=total, phase="indexing")
        self.fn = progress
        self.start = time.monotonic()
        self.encode_seconds = 0.0

    def emit(self, **changes: Any) -> None:
        for k, v in changes.items():
            setattr(self.p, k, v)
        elapsed = max(time.monotonic() - self.start, 1e-6)
        self.p.chunks_per_s = self.p.chunks_done / elapsed
        left = self.p.files_total - self.p.files_done
        if self.p.files_done and left > 0:
            self.p.eta_s = elapsed / self.p.files_done * left
        elif left <= 0:
            self.p.eta_s = 0.0
        if self.fn:
            self.fn(self.p)


class IndexingMixin:
    store: Any
    settings: Any

    def _init_part(self) -> None:
        self._extractor = None
        self._index_lock = threading.RLock()
        self._pause = threading.Event()   # set = paused between files

    # -- public: scanning and queueing ---------------------------------------------
    def index(self, progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> IndexReport:
        """Scan every watched folder, queue what changed, and process the queue."""
        if progress:
            progress(IndexProgress(phase="scanning"))
        self.reconcile()
        return self.process_jobs(progress=progress, cancel=cancel)

    def reconcile(self, folder_id: int | None = None) -> int:
        """Scan folders and queue every difference with the library. Returns jobs queued."""
        rows = self._folder_rows()
        roots = [root for _, root, _, _ in rows]
        queued = 0
        for fid, root, paused, follow in rows:
            if (folder_id is not None and fid != folder_id) or paused:
                continue
            if not os.path.isdir(root):
                self._set_folder_available(fid, False)
                continue
            self._set_folder_available(fid, True)
            queued += self._reconcile_folder(fid, Walk(root, roots, follow))
        return queued

    def enqueue_paths(self, paths: Iterable[Path | str]) -> int:
        """Queue index or delete jobs for these paths (files or folders, present or gone;
        OS paths, as the file system or the user gives them)."""
        rows = [r for r in self._folder_rows() if not r[2]]
        roots = [root for _, root, _, _ in rows]
        jobs: list[tuple[str, str, int]] = []
        for raw in paths:
            path = os.path.abspath(os.fspath(raw))
            found = _folder_of(path, [(fid, root) for fid, root, _, _ in rows])
            if found is None:
                continue
            fid, root = found
            follow = next(f for i, _, _, f in rows if i == fid)
            if os.path.isdir(path) and link_allowed(path, roots, follow):
                walk = Walk(path, roots, follow)
                jobs.extend(("index", fpath, fid) for fpath, _, _ in walk)
                self._note_problems(fid, walk.problems)
                jobs.extend(("delete", p, fid) for p in self._known_under(path) if not os.path.lexists(p))
            elif os.path.isfile(path):
                if not should_skip(path, root) and link_allowed(path, roots, follow):
                    jobs.append(("index", path, fid))
            else:
                known = self._known_under(path)
                if self.store.query_one("SELECT 1 FROM documents WHERE path = ?", (to_db(path),)):
                    known.append(path)
                jobs.extend(("delete", p, fid) for p in set(known))
        return self._queue(jobs)

    def reindex_document(self, doc_id: int) -> None:
        row = self.store.query_one("SELECT path, folder_id FROM documents WHERE id = ?", (doc_id,))
        if row is None:
            raise NotFoundError(f"no document {doc_id}")
        self._queue([("reindex", row[0], row[1])])

    def pending_jobs(self) -> int:
        return int(self.store.query_one("SELECT COUNT(*) FROM jobs")[0])

    def pause_indexing(self, paused: bool) -> None:
        """Pause (between files) or resume a running process_jobs()."""
        if paused:
            self._pause.set()
        else:
            self._pause.clear()

    @property
    def indexing_paused(self) -> bool:
        return self._pause.is_set()

    # -- public: processing ------------------------------------------------------------
    def process_jobs(
        self, progress: ProgressFn | None = None, cancel: CancelToken | None = None
    ) -> IndexReport:
        """Run queued jobs until the queue is empty or ``cancel`` is set."""
        with self._index_lock:
            report = IndexReport()
            started = time.monotonic()
            tracker = _Tracker(self.pending_jobs(), progress)
            touched: list[int] = []
            try:
                self._run_file_jobs(report, tracker, cancel, touched)
                self._run_delete_jobs(report, tracker, cancel)
                self._run_embed_jobs(report, tracker, cancel)
                self._maybe_finish_model_switch()
            except Cancelled:
                report.cancelled = True
            finally:
                report.seconds = time.monotonic() - started
                tracker.emit(phase="cancelled" if report.cancelled else "done", current_file=None)
                hook = getattr(self, "_after_documents_indexed", None)
                if hook and touched:
                    hook(touched)
            return report

    # -- scanning internals ------------------------------------------------------------
    def _folder_rows(self) -> list[tuple[int, str, bool, bool]]:
        """(id, OS path, paused, follow links) of every chosen folder."""
        return [(fid, from_db(path), bool(paused), bool(follow)) for fid, path, paused, follow in
                self.store.query("SELECT id, path, paused, follow_links FROM folders")]

    def _reconcile_folder(self, fid: int, walk: Walk) -> int:
        known = {
            path: (size, mtime)
            for path, size, mtime in self.store.query(
                "SELECT path, size, mtime FROM documents WHERE folder_id = ?", (fid,)
            )
        }
        jobs: list[tuple[str, str, int]] = []
        seen: set[str] = set()
        for path, size, mtime in walk:
            faults.checkpoint("scan")
            stored = to_db(path)
            seen.add(stored)
            old = known.get(stored)
            if old is None or old[0] != size or old[1] != mtime:
                jobs.append(("index", path, fid))
        jobs.extend(("delete", from_db(path), fid) for path in known if path not in seen)
        queued = self._queue(jobs)
        with self.store.write() as conn:
            conn.execute("UPDATE folders SET last_reconcile = ? WHERE id = ?", (time.time(), fid))
            conn.execute("UPDATE documents SET available = 1 WHERE folder_id = ? AND available = 0", (fid,))
            conn.execute("DELETE FROM scan_problems WHERE folder_id = ?", (fid,))
        self._note_problems(fid, walk.problems)
        return queued

    def _note_problems(self, fid: int, problems: list[tuple[str, str]]) -> None:
        """Remember what a walk could not look at (a folder it cannot list, a link it
        does not follow), so that the user is told."""
        if not problems:
            return
        now = time.time()
        with self.store.write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO scan_problems(path, folder_id, reason, seen_at) VALUES (?,?,?,?)",
                [(to_db(path), fid, reason, now) for path, reason in problems],
            )

    def scan_problems(self) -> list[tuple[str, str]]:
        """(stored path, reason) of every place the last scans could not look at."""
        return [(p, r) for p, r in self.store.query(
            "SELECT path, reason FROM scan_problems ORDER BY path")]

    def _set_folder_available(self, fid: int, available: bool) -> None:
        marker = getattr(self, "mark_folder_available", None)
        if marker is not None:
            marker(fid, available)
            return
        with self.store.write() as conn:
            conn.execute("UPDATE folders SET available = ? WHERE id = ?", (int(available), fid))
            conn.execute("UPDATE documents SET available = ? WHERE folder_id = ?", (int(available), fid))

    def _known_under(self, folder: str) -> list[str]:
        """OS paths of the documents below an OS folder path."""
        prefix = to_db(folder.rstrip(os.sep) + os.sep)
        upper = prefix[:-1] + chr(ord(os.sep) + 1)   # a range on the path index, no scan
        rows = self.store.query(
            "SELECT path FROM documents WHERE path >= ? AND path < ?", (prefix, upper)
        )
        return [from_db(r[0]) for r in rows]

    def _queue(self, jobs: list[tuple[str, str, int]]) -> int:
        """Queue (kind, OS path, folder id) jobs; paths are stored losslessly."""
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

    def _next_job(self, kinds: tuple[str, ...]) -> tuple | None:
        marks = ",".join("?" * len(kinds))
        return self.store.query_one(
            f"SELECT id, kind, path, folder_id, attempts, document_id, model_id FROM jobs "
            f"WHERE kind IN ({marks}) ORDER BY {JOB_ORDER} LIMIT 1",
            kinds,
        )

    def _wait_if_paused(self, cancel: CancelToken | None) -> None:
        while self._pause.is_set():
            if cancel is not None and cancel.cancelled:
                raise Cancelled("cancelled")
            time.sleep(0.1)
        if cancel is not None:
            cancel.raise_if_cancelled()

    # -- file jobs -------------------------------------------------------------------
    def _run_file_jobs(
        self, report: IndexReport, tracker: _Tracker, cancel: CancelToken | None, touched: list[int]
    ) -> None:
        extractor = self._warm_extractor()
        work: queue.Queue = queue.Queue(maxsize=4)
        stop = threading.Event()
        claimed: set[int] = set()
        claimed_lock = threading.Lock()

        def producer() -> None:
            """Takes file jobs in order and extracts them ahead of the encoder."""
            try:
                while not stop.is_set():
                    job = self._claim_file_job(claimed, claimed_lock)
                    if job is None:
                        break
                    item = self._prepare(job, extractor, report, stop)
                    if item is None:
                        break
                    while not stop.is_set():
                        try:
                            work.put(item, timeout=0.2)
                            break
                        except queue.Full:
                            continue
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer
                work.put(exc)
            finally:
                work.put(None)

        thread = threading.Thread(target=producer, name="likewise-extract", daemon=True)
        thread.start()
        group: list[_Pending] = []
        try:
            while True:
                self._wait_if_paused(cancel)
                try:
                    item = work.get(timeout=0.1 if group else 0.5)
                except queue.Empty:
                    if group:
                        self._commit_group(group, report, tracker, cancel, touched)
                        group = []
                    continue
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, _Pending):
                    tracker.emit(current_file=item.path)
                    group.append(item)
                    if sum(len(p.chunks) for p in group) >= ENCODE_GROUP_CHUNKS:
                        self._commit_group(group, report, tracker, cancel, touched)
                        group = []
                else:
                    tracker.p.files_done += 1
                    if item == "failed":
                        tracker.p.failed += 1
                    tracker.emit()
            if group:
                self._commit_group(group, report, tracker, cancel, touched)
        finally:
            stop.set()
            if thread.is_alive():
                # An extraction is still running (cancel, error): end it at once; the
                # next run starts a fresh worker.
                extractor.close()
                self._extractor = None
            thread.join(timeout=5)

    def _warm_extractor(self) -> Any:
        """One extraction worker kept between runs, so a watched file's save costs no
        process start-up."""
        from core.extract.isolated import IsolatedExtractor

        if getattr(self, "_extractor", None) is None:
            self._extractor = IsolatedExtractor(
                timeout_s=self.settings.extract_timeout_s, memory_mb=self.settings.extract_memory_mb
            )
        return self._extractor

    def _close_part(self) -> None:
        extractor = getattr(self, "_extractor", None)
        if extractor is not None:
            extractor.close()
            self._extractor = None

    def _claim_file_job(self, claimed: set[int], lock: threading.Lock) -> tuple | None:
        with lock:
            rows = self.store.query(
                "SELECT id, kind, path, folder_id, attempts FROM jobs WHERE kind IN ('index', 'reindex') "
                f"ORDER BY {JOB_ORDER} LIMIT ?",
                (len(claimed) + 1,),
            )
            for row in rows:
                if row[0] not in claimed:
                    claimed.add(row[0])
                    return row
            return None

    def _prepare(self, job: tuple, extractor: Any, report: IndexReport, stop: threading.Event) -> Any:
        """One file job, with anything that goes wrong recorded on that file."""
        try:
            return self._prepare_file(job, extractor, report, stop)
        except Exception as exc:  # noqa: BLE001 - one file never stops the run
            if _library_fault(exc) or stop.is_set():
                raise
            return self._fail(job[0], job[2], job[3], "error", f"could not be indexed ({_describe(exc)})",
                              report)

    def _prepare_file(self, job: tuple, extractor: Any, report: IndexReport, stop: threading.Event) -> Any:
        """Everything for one file job that needs no encoder. Returns a _Pending to
        encode, or a word ("done", "failed") when the job was finished here.

        A kill while a file is in hand never counts against the file: whatever parses
        the file's bytes runs in the isolated extraction worker, whose crash, time-out
        or memory overrun is recorded on that file alone."""
        job_id, kind, path, folder_id, _attempts = job
        ospath = from_db(path)
        report.files_seen += 1
        doc = self.store.query_one(
            "SELECT id, size, mtime, content_hash, status FROM documents WHERE path = ?", (path,)
        )
        try:
            st = os.stat(ospath)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM, errno.ELOOP, errno.ENAMETOOLONG):
                return self._fail(job_id, path, folder_id, "error", reason_of(exc), report, doc=doc)
            # Gone before we got to it: this is a delete.
            with self.store.write() as conn:
                if doc:
                    self._delete_document(conn, doc[0])
                    report.removed += 1
                conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            return "done"
        refusal = self._refusal(ospath, folder_id, st)
        if refusal is not None:
            return self._fail(job_id, path, folder_id, "error", refusal, report, st=st, doc=doc)
        if kind == "index" and doc and doc[1] == st.st_size and doc[2] == st.st_mtime:
            self._finish_job(job_id)
            report.unchanged += 1
            return "done"
        try:
            digest = file_hash(ospath)
        except OSError as exc:
            reason = reason_of(exc)
            if reason != PERMISSION_DENIED:
                reason = f"cannot read: {reason}"
            return self._fail(job_id, path, folder_id, "error", reason, report, st=st, doc=doc)
        if kind == "index" and doc and doc[3] == digest:
            with self.store.write() as conn:
                conn.execute("UPDATE documents SET size = ?, mtime = ? WHERE id = ?",
                             (st.st_size, st.st_mtime, doc[0]))
                conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            report.unchanged += 1
            return "done"
        if doc is None and self._adopt_moved(job_id, path, folder_id, st, digest):
            report.moved += 1
            return "done"
        faults.checkpoint("extract")
        try:
            result = extractor.extract(ospath)
        except Exception:
            if stop.is_set():
                return None
            raise
        if stop.is_set():
            return None  # stopped while extracting: the job stays queued, untouched
        if result.status != INDEXED:
            return self._fail(job_id, path, folder_id, result.status, result.error or result.status,
                              report, st=st, doc=doc, digest=digest, result=result)
        chunks = self._chunk(result)
        if not chunks:
            return self._fail(job_id, path, folder_id, "no_text", "no extractable text", report,
                              st=st, doc=doc, digest=digest, result=result)
        return _Pending(job_id, path, folder_id, st.st_size, st.st_mtime, digest, result, chunks,
                        doc[0] if doc else None)

    def _refusal(self, ospath: str, folder_id: int | None, st: os.stat_result) -> str | None:
        """Why a path found in the queue must not be read (checked again at read time:
        the file may have been replaced since the scan), or None."""
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file (a FIFO, socket or device is never read)"
        rows = self._folder_rows()
        follow = next((f for fid, _, _, f in rows if fid == folder_id), False)
        if not link_allowed(ospath, [root for _, root, _, _ in rows], follow):
            return "a link to a place outside the chosen folders (not followed)"
        return None

    def _fail(
        self, job_id: int, path: str, folder_id: int | None, status: str, reason: str,
        report: IndexReport, st: Any = None, doc: tuple | None = None,
        digest: str | None = None, result: ExtractResult | None = None,
    ) -> str:
        """Record that the file at stored ``path`` was not indexed, and why."""
        if doc is None:
            doc = self.store.query_one(
                "SELECT id, size, mtime, content_hash, status FROM documents WHERE path = ?", (path,))
        self._record_failure(job_id, path, folder_id, st, digest, status, reason, doc, result)
        report.failed += 1
        report.failures.append((path, status, reason))
        return "failed"

    def _chunk(self, result: ExtractResult) -> list:
        from core.chunk import chunk_blocks

        enc = self.encoder()
        max_tokens = self.settings.chunk_max_tokens or enc.max_seq_length
        return chunk_blocks(
            result.blocks,
            enc.count_tokens,
            max_tokens=max_tokens,
            overlap_sentences=self.settings.chunk_overlap_sentences,
        )

    def _adopt_moved(self, job_id: int, path: str, folder_id: int | None, st: os.stat_result, digest: str) -> bool:
        """A new path whose content matches a document whose file is gone: a move."""
        for doc_id, old_path in self.store.query(
            "SELECT id, path FROM documents WHERE content_hash = ? AND path != ?", (digest, path)
        ):
            if os.path.lexists(from_db(old_path)):
                continue
            with self.store.write() as conn:
                conn.execute(
                    "UPDATE documents SET path = ?, folder_id = ?, size = ?, mtime = ?, available = 1, "
                    "ext = ? WHERE id = ?",
                    (path, folder_id, st.st_size, st.st_mtime, _ext_of(path), doc_id),
                )
                conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
                conn.execute("DELETE FROM jobs WHERE kind = 'delete' AND path = ?", (old_path,))
            return True
        return False

    def _finish_job(self, job_id: int) -> None:
        with self.store.write() as conn:
            conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def _record_failure(
        self, job_id: int, path: str, folder_id: int | None, st: Any,
        digest: str | None, status: str, reason: str, doc: tuple | None,
        result: ExtractResult | None = None,
    ) -> None:
        title = (result.title if result else None) or _title_of(path)
        pages = result.pages if result else None
        size, mtime = (st.st_size, st.st_mtime) if st is not None else (0, 0.0)
        with self.store.write() as conn:
            if doc:
                self.store.delete_chunks_of(conn, doc[0])
                conn.execute(
                    "UPDATE documents SET size=?, mtime=?, content_hash=?, status=?, error=?, pages=?, "
                    "title=?, indexed_at=?, available=1 WHERE id=?",
                    (size, mtime, digest, status, reason, pages, title, time.time(), doc[0]),
                )
            else:
                conn.execute(
                    "INSERT INTO documents(folder_id, path, title, ext, size, mtime, content_hash, status, "
                    "error, pages, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (folder_id, path, title, _ext_of(path), size, mtime, digest,
                     status, reason, pages, time.time()),
                )
            conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    # -- encoding and writing ---------------------------------------------------------
    def _commit_group(
        self, group: list[_Pending], report: IndexReport, tracker: _Tracker,
        cancel: CancelToken | None, touched: list[int],
    ) -> None:
        """Encode the chunks of several documents together, then write each document in
        its own transaction. When encoding the group fails for a reason that is not the
        library's, each document is encoded alone, so only the one at fault is failed."""
        try:
            vectors = self._group_vectors(group, report, cancel)
        except Exception as exc:  # noqa: BLE001 - narrowed to the document below
            if _library_fault(exc) or len(group) == 1:
                if _library_fault(exc):
                    raise
                self._fail_pending(group[0], exc, report, tracker)
                return
            for p in group:
                self._commit_group([p], report, tracker, cancel, touched)
            return
        for i, p in enumerate(group):
            if cancel is not None:
                cancel.raise_if_cancelled()
            try:
                doc_id = self._write_document(p, {m: v[i] for m, v in vectors.items()})
            except Exception as exc:  # noqa: BLE001 - one file never stops the run
                if _library_fault(exc):
                    raise
                self._fail_pending(p, exc, report, tracker)
                continue
            touched.append(doc_id)
            report.indexed += 1
            tracker.p.files_done += 1
            tracker.p.chunks_done += len(p.chunks)
            tracker.emit(current_file=p.path)

    def _group_vectors(
        self, group: list[_Pending], report: IndexReport, cancel: CancelToken | None
    ) -> dict[int, list[np.ndarray]]:
        vectors: dict[int, list[np.ndarray]] = {}
        for model_id in self.models_to_fill():
            texts = [c.text for p in group for c in p.chunks]
            faults.checkpoint("encode")
            mat = self._vectors_for_texts(model_id, texts, report, cancel)
            vectors[model_id] = []
            start = 0
            for p in group:
                vectors[model_id].append(mat[start : start + len(p.chunks)])
                start += len(p.chunks)
        return vectors

    def _fail_pending(self, p: _Pending, exc: BaseException, report: IndexReport,
                      tracker: _Tracker) -> None:
        self._fail(p.job_id, p.path, p.folder_id, "error", f"could not be indexed ({_describe(exc)})",
                   report, st=_Stat(p.size, p.mtime), digest=p.content_hash)
        tracker.p.files_done += 1
        tracker.p.failed += 1
        tracker.emit(current_file=p.path)

    def _vectors_for_texts(
        self, model_id: int, texts: list[str], report: IndexReport, cancel: CancelToken | None
    ) -> np.ndarray:
        """Vectors for ``texts`` under ``model_id``: reused by text hash where this model
        has already encoded the same text, encoded otherwise."""
        enc = self.encoder(model_id)
        hashes = [text_hash(t) for t in texts]
        known = self._known_vectors(model_id, set(hashes))
        missing = sorted({h: i for i, h in enumerate(hashes) if h not in known}.values())
        out = np.zeros((len(texts), enc.dim), dtype=np.float32)
        if missing:
            mat = enc.encode([texts[i] for i in missing], batch_size=self.settings.batch_size,
                             cancel=cancel)
            for row, i in enumerate(missing):
                known[hashes[i]] = mat[row]
            report.chunks_encoded += len(missing)
            self.record_precision(model_id, getattr(enc, "precision", "fp32"), len(missing))
        report.chunks_reused += len(texts) - len(missing)
        for i, h in enumerate(hashes):
            out[i] = known[h]
        return out

    def _known_vectors(self, model_id: int, hashes: set[str]) -> dict[str, np.ndarray]:
        from core.store import vec_table

        found: dict[str, np.ndarray] = {}
        hl = list(hashes)
        conn = self.store.reader()
        for start in range(0, len(hl), 400):
            part = hl[start : start + 400]
            marks = ",".join("?" * len(part))
            rows = conn.execute(
                f"SELECT c.text_hash, v.embedding FROM chunks c JOIN {vec_table(model_id)} v "
                f"ON v.chunk_id = c.id WHERE c.text_hash IN ({marks})",
                tuple(part),
            )
            for h, blob in rows:
                found.setdefault(h, np.frombuffer(blob, dtype=np.float32))
        return found

    def _write_document(self, p: _Pending, vectors: dict[int, np.ndarray]) -> int:
        title = p.result.title or _title_of(p.path)
        with self.store.write() as conn:
            row = conn.execute("SELECT id FROM documents WHERE path = ?", (p.path,)).fetchone()
            if row:
                doc_id = row[0]
                self.store.delete_chunks_of(conn, doc_id)
                conn.execute(
                    "UPDATE documents SET folder_id=?, title=?, ext=?, size=?, mtime=?, content_hash=?, "
                    "status=?, error=NULL, pages=?, indexed_at=?, available=1 WHERE id=?",
                    (p.folder_id, title, _ext_of(p.path), p.size, p.mtime, p.content_hash,
                     INDEXED, p.result.pages, time.time(), doc_id),
                )
            else:
                conn.execute(
                    "INSERT INTO documents(folder_id, path, title, ext, size, mtime, content_hash, status, "
                    "pages, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (p.folder_id, p.path, title, _ext_of(p.path), p.size, p.mtime,
                     p.content_hash, INDEXED, p.result.pages, time.time()),
                )
                doc_id = conn.last_insert_rowid()
            chunk_ids = []
            for c in p.chunks:
                conn.execute(
                    "INSERT INTO chunks(document_id, ord, text, text_hash, page_start, page_end, heading, "
                    "char_start, char_end) VALUES (?,?,?,?,?,?,?,?,?)",
                    (doc_id, c.ord, c.text, text_hash(c.text), c.page_start, c.page_end, c.heading,
                     c.char_start, c.char_end),
                )
                chunk_ids.append(conn.last_insert_rowid())
            faults.checkpoint("write")
            for model_id, mat in vectors.items():
                self.store.put_vectors(conn, model_id, chunk_ids, mat)
            faults.checkpoint("upsert")
            conn.execute("DELETE FROM jobs WHERE id = ?", (p.job_id,))
        return doc_id

    # -- delete jobs ------------------------------------------------------------------
    def _run_delete_jobs(self, report: IndexReport, tracker: _Tracker, cancel: CancelToken | None) -> None:
        while True:
            self._wait_if_paused(cancel)
            job = self._next_job(("delete",))
            if job is None:
                return
            job_id, _, path, folder_id, _, _, _ = job
            root = self.store.query_one("SELECT path FROM folders WHERE id = ?", (folder_id,))
            with self.store.write() as conn:
                if root and not os.path.isdir(from_db(root[0])):
                    # The whole folder is gone (unplugged, unmounted): keep its documents.
                    conn.execute("UPDATE documents SET available = 0 WHERE path = ?", (path,))
                elif not os.path.lexists(from_db(path)):
                    doc = conn.execute("SELECT id FROM documents WHERE path = ?", (path,)).fetchone()
                    if doc:
                        self._delete_document(conn, doc[0])
                        report.removed += 1
                conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            tracker.p.files_done += 1
            tracker.emit(current_file=path)

    # -- embed jobs (re-encoding for a new model version) -----------------------------------
    def _run_embed_jobs(self, report: IndexReport, tracker: _Tracker, cancel: CancelToken | None) -> None:
        from core.store import vec_table

        while True:
            self._wait_if_paused(cancel)
            job = self._next_job(("embed",))
            if job is None:
                return
            job_id, _, _, _, _, doc_id, model_id = job
            exists = self.store.query_one("SELECT 1 FROM models WHERE id = ?", (model_id,))
            rows = self.store.query(
                f"SELECT c.id, c.text FROM chunks c LEFT JOIN {vec_table(model_id)} v ON v.chunk_id = c.id "
                "WHERE c.document_id = ? AND v.chunk_id IS NULL ORDER BY c.ord",
                (doc_id,),
            ) if exists and self.store.vec_table_exists(model_id) else []
            path = self.store.query_one("SELECT path FROM documents WHERE id = ?", (doc_id,))
            tracker.emit(current_file=path[0] if path else None, phase="embedding")
            mat = self._vectors_for_texts(model_id, [t for _, t in rows], report, cancel) if rows else None
            faults.checkpoint("reembed")
            with self.store.write() as conn:
                if rows and mat is not None:
                    live = {r[0] for r in conn.execute(
                        "SELECT id FROM chunks WHERE document_id = ?", (doc_id,))}
                    keep = [i for i, (cid, _) in enumerate(rows) if cid in live]
                    self.store.put_vectors(conn, model_id, [rows[i][0] for i in keep], mat[keep])
                conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            tracker.p.files_done += 1
            tracker.p.chunks_done += len(rows)
            tracker.emit()

    def model_switch_progress(self) -> tuple[int, int] | None:
        """(chunks with a vector of the target model, all chunks), or None when no switch runs."""
        from core.store import vec_table

        target = self.target_model_id()
        if target is None:
            return None
        total = self.store.query_one("SELECT COUNT(*) FROM chunks")[0]
        done = self.store.query_one(
            f"SELECT COUNT(*) FROM chunks c JOIN {vec_table(target)} v ON v.chunk_id = c.id"
        )[0]
        return int(done), int(total)

    def _maybe_finish_model_switch(self) -> bool:
        """Make the target model active once every chunk has its vector (atomically)."""
        from core.library import ACTIVE_MODEL_KEY, TARGET_MODEL_KEY
        from core.store import vec_table

        target = self.target_model_id()
        if target is None:
            return False
        with self.store.write() as conn:
            pending = conn.execute(
                "SELECT COUNT(*) FROM jobs WHERE kind = 'embed' AND model_id = ?", (target,)
            ).fetchone()[0]
            missing = conn.execute(
                f"SELECT COUNT(*) FROM chunks c LEFT JOIN {vec_table(target)} v ON v.chunk_id = c.id "
                "WHERE v.chunk_id IS NULL"
            ).fetchone()[0]
            if pending or missing:
                if not pending and missing:
                    conn.execute(
                        "INSERT OR IGNORE INTO jobs(kind, document_id, model_id, created_at) "
                        "SELECT DISTINCT 'embed', c.document_id, ?, ? FROM chunks c "
                        f"LEFT JOIN {vec_table(target)} v ON v.chunk_id = c.id WHERE v.chunk_id IS NULL",
                        (target, time.time()),
                    )
                return False
            self.store.set_meta(conn, ACTIVE_MODEL_KEY, str(target))
            self.store.set_meta(conn, TARGET_MODEL_KEY, None)
        return True


def _folder_of(path: str, roots: list[tuple[int, str]]) -> tuple[int, str] | None:
    """The innermost chosen folder holding ``path``: (id, root)."""
    best: tuple[int, str] | None = None
    for fid, root in roots:
        r = root.rstrip(os.sep)
        if path == r or path.startswith(r + os.sep):
            if best is None or len(r) > len(best[1]):
                best = (fid, r)
    return best


def _library_fault(exc: BaseException) -> bool:
    """Errors of the library or the process, not of one file: they stop the run (the
    job stays queued) instead of being recorded against the file."""
    import apsw

    from core.errors import StoreError

    if isinstance(exc, (apsw.Error, StoreError, Cancelled, MemoryError)):
        return True
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


@dataclass
class _Stat:
    """The size and mtime of a file already looked at (for _record_failure)."""

    st_size: int
    st_mtime: float


def _title_of(stored: str) -> str:
    return Path(display(from_db(stored))).stem


def _ext_of(stored: str) -> str:
    return os.path.splitext(stored)[1].lower()


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
