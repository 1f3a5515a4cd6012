"""The indexer: runs the job queue until it is empty.

    queue (jobs.py) -> extract-ahead thread: prepare each file (prepare.py: look, hash,
    extract in the isolated worker, chunk) -> group until GROUP_PASSAGES passages wait
    (or the extraction falls behind) -> grouped encode (encode.py, length-sorted batches
    across the group's documents) -> write each document in its own transaction
    (catalog.write_document) -> events.documents_indexed

A document row is written only together with all its chunks, words and vectors, in one
transaction: after a crash every document is complete or absent. Scanning folders into
jobs is core/index/reconcile.py.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import faults
from core.cancel import CancelToken
from core.catalog import Catalog
from core.errors import Cancelled, NotFoundError
from core.events import Events
from core.index.encode import encode_group, vectors_for_texts
from core.index.jobs import JobQueue
from core.index.lanes import ExtractionLanes
from core.index.prepare import FAILED, Prepared, Preparer, describe, library_fault
from core.index.progress import ProgressFn, Tracker
from core.index.reconcile import Reconciler
from core.index.split import run_split_jobs
from core.memory import release_memory
from core.model_versions import ModelVersions
from core.pathnames import from_db
from core.settings import Settings
from core.store import Store
from core.store.runlock import IndexRunLock
from core.types import ExtractResult, IndexProgress, IndexReport

if TYPE_CHECKING:
    from core.exclusions import Exclusions

# Documents are encoded together until this many passages wait (or GROUP_DOCUMENTS
# documents), so that the encoder's length-sorted batches hold passages of about the same
# length: on the shared corpus's 11,171 passages, groups of 64 padded the batches to 1.70x
# their real tokens, groups of 1,024 to 1.09x. A group still ends as soon as the
# extraction falls behind (the queue is empty), so one saved file is written at once.
GROUP_PASSAGES = 1024
GROUP_DOCUMENTS = 256
READ_AHEAD = 16           # files extracted ahead of the encoder (the passage total is exact sooner)
BATCH_SECONDS = 1.0       # an encoder batch is sized to take about this long: progress moves each second
FIRST_BATCH = 8           # until the encoder's speed is known, and the smallest batch
RUN_LOCK_POLL_S = 0.2     # how often a run waiting for another process's run looks again


class Indexer:
    def __init__(self, store: Store, settings: Settings, versions: ModelVersions, catalog: Catalog,
                 events: Events, exclusions: Exclusions | None = None) -> None:
        self.store = store
        self.settings = settings
        self.versions = versions
        self.catalog = catalog
        self.events = events
        self.jobs = JobQueue(store)
        self.reconciler = Reconciler(store, catalog, self.jobs, exclusions)
        self.preparer = Preparer(store, catalog, self.jobs, self.chunk, self.extract_options)
        self._extractor: Any = None
        self._index_lock = threading.RLock()
        self._pause = threading.Event()   # set = paused between files

    def close(self) -> None:
        if self._extractor is not None:
            self._extractor.close()
            self._extractor = None

    # -- scanning and queueing ------------------------------------------------------------
    def index(self, progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> IndexReport:
        """Scan every watched folder, queue what changed, and process the queue."""
        if progress:
            progress(IndexProgress(phase="scanning"))
        self.reconcile()
        return self.process_jobs(progress=progress, cancel=cancel)

    def reconcile(self, folder_id: int | None = None) -> int:
        return self.reconciler.reconcile(folder_id)

    def enqueue_paths(self, paths: Iterable[Path | str]) -> int:
        return self.reconciler.enqueue_paths(paths)

    def reindex_document(self, doc_id: int) -> None:
        found = self.catalog.path_of(doc_id)
        if found is None:
            raise NotFoundError(f"no document {doc_id}")
        self.jobs.put_stored("reindex", found[0], found[1])

    def reread_scans(self) -> int:
        """Queue the documents that OCR may now read (PDFs and images left without text,
        e.g. while OCR was turned off). Returns how many were queued."""
        return self.jobs.put_many_stored("reindex", self.catalog.unread_scans())

    def pending_jobs(self) -> int:
        return self.jobs.pending()

    def extract_options(self) -> Any:
        """What the extraction worker is asked to do (OCR on or off), read per file so a
        changed setting counts from the next file."""
        from core.extract.options import ExtractOptions

        return ExtractOptions(ocr=bool(self.settings.ocr_enabled))

    def pause(self, paused: bool) -> None:
        """Pause (between files) or resume a running process_jobs()."""
        if paused:
            self._pause.set()
        else:
            self._pause.clear()

    @property
    def paused(self) -> bool:
        return self._pause.is_set()

    # -- processing --------------------------------------------------------------------------
    def process_jobs(self, progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> IndexReport:
        """Run queued jobs until the queue is empty or ``cancel`` is set."""
        with self._index_lock:
            report = IndexReport()
            started = time.monotonic()
            tracker = Tracker(self.pending_jobs(), progress, self.events)
            touched: list[int] = []
            run_lock = IndexRunLock(self.store.path)
            try:
                try:
                    self._hold_run_lock(run_lock, tracker, cancel)
                    self._run_file_jobs(report, tracker, cancel, touched)
                    self._run_delete_jobs(report, tracker, cancel)
                    self._run_embed_jobs(report, tracker, cancel)
                    run_split_jobs(self, report, tracker, cancel, touched)
                    self.versions.maybe_finish_switch()
                except Cancelled:
                    report.cancelled = True
                finally:
                    report.seconds = time.monotonic() - started
                    tracker.emit(phase="cancelled" if report.cancelled else "done", current_file=None)
                    if touched:
                        self.events.documents_indexed.emit(touched)
                    if report.chunks_encoded:
                        release_memory()     # batches' tensors and the texts read: give them back
            finally:
                run_lock.release()
            self.events.index_finished.emit(report)
            return report

    def _hold_run_lock(self, run_lock: IndexRunLock, tracker: Tracker, cancel: CancelToken | None) -> None:
        """One indexing run per library across processes: wait (phase "waiting") while
        another Likewise indexes it; the jobs it leaves are ours when it ends."""
        if run_lock.try_acquire():
            return
        tracker.emit(phase="waiting")
        while not run_lock.try_acquire():
            if cancel is not None and cancel.cancelled:
                raise Cancelled("cancelled while another Likewise was indexing this library")
            time.sleep(RUN_LOCK_POLL_S)
        tracker.emit(phase="indexing", files_total=self.pending_jobs())

    def _wait_if_paused(self, cancel: CancelToken | None) -> None:
        while self._pause.is_set():
            if cancel is not None and cancel.cancelled:
                raise Cancelled("cancelled")
            time.sleep(0.1)
        if cancel is not None:
            cancel.raise_if_cancelled()

    # -- file jobs ---------------------------------------------------------------------------
    def _run_file_jobs(
        self, report: IndexReport, tracker: Tracker, cancel: CancelToken | None, touched: list[int]
    ) -> None:
        lanes = ExtractionLanes(self, report, tracker, self._warm_extractor(), self.new_extractor, READ_AHEAD)
        tracker.plan(self._file_job_sizes())
        lanes.start()
        group: list[Prepared] = []
        try:
            while True:
                self._wait_if_paused(cancel)
                try:
                    item = lanes.get(timeout=0.1 if group else 0.5)
                except queue.Empty:
                    if group:
                        self._commit_group(group, report, tracker, cancel, touched)
                        group = []
                    continue
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, Prepared):
                    tracker.emit(current_file=item.path)
                    group.append(item)
                    if (sum(len(p.chunks) for p in group) >= GROUP_PASSAGES
                            or len(group) >= GROUP_DOCUMENTS):
                        self._commit_group(group, report, tracker, cancel, touched)
                        group = []
                else:
                    tracker.p.files_done += 1
                    if item == FAILED:
                        tracker.p.failed += 1
                    tracker.emit()
            if group:
                self._commit_group(group, report, tracker, cancel, touched)
        finally:
            if not lanes.close():
                # An extraction was still running (cancel, error): its worker was ended
                # at once; the next run starts a fresh one.
                self._extractor = None

    def _warm_extractor(self) -> Any:
        """One extraction worker kept between runs, so a watched file's save costs no
        process start-up."""
        if self._extractor is None:
            self._extractor = self.new_extractor()
        return self._extractor

    def new_extractor(self) -> Any:
        """A fresh extraction worker (the kept one, a second lane's for one run:
        core.index.lanes, or one for a file outside the library: core/search/similar_file.py)."""
        from core.extract.isolated import IsolatedExtractor

        return IsolatedExtractor(timeout_s=self.settings.extract_timeout_s, memory_mb=self.settings.extract_memory_mb)

    def chunk(self, result: ExtractResult) -> list:
        """Cut an extracted file into chunks that fit the active model's token budget."""
        from core.chunk import chunk_blocks

        enc = self.versions.encoder()
        max_tokens = self.settings.chunk_max_tokens or enc.max_seq_length
        return chunk_blocks(
            result.blocks,
            enc.count_tokens,
            max_tokens=max_tokens,
            overlap_sentences=self.settings.chunk_overlap_sentences,
            merge_paragraphs=self.settings.chunk_merge_paragraphs,
        )

    # -- encoding and writing -------------------------------------------------------------
    def _commit_group(
        self, group: list[Prepared], report: IndexReport, tracker: Tracker,
        cancel: CancelToken | None, touched: list[int],
    ) -> None:
        """Encode the chunks of several documents together, then write each document in
        its own transaction. When encoding the group fails for a reason that is not the
        library's, each document is encoded alone, so only the one at fault is failed."""
        try:
            tracker.encode_began()
            vectors = self.encode(group, report, cancel, tracker.encoding)
        except Exception as exc:  # noqa: BLE001 - narrowed to the document below
            tracker.group_done()
            if library_fault(exc):
                raise
            if len(group) == 1:
                self._fail_prepared(group[0], exc, report, tracker)
                return
            for p in group:
                self._commit_group([p], report, tracker, cancel, touched)
            return
        for i, p in enumerate(group):
            if cancel is not None:
                cancel.raise_if_cancelled()
            try:
                doc_id = self._write(p, {m: v[i] for m, v in vectors.items()})
            except Exception as exc:  # noqa: BLE001 - one file never stops the run
                if library_fault(exc):
                    raise
                self._fail_prepared(p, exc, report, tracker)
                continue
            touched.append(doc_id)
            report.indexed += 1
            tracker.p.files_done += 1
            tracker.written(len(p.chunks))
            tracker.emit(current_file=p.path)
        tracker.group_done()

    def encode(self, group: list[Prepared], report: IndexReport, cancel: CancelToken | None,
               encoded: Callable[[int], None] | None = None) -> dict:
        """The grouped encode step: {model id: one matrix per prepared document}. With
        ``encoded`` (progress), batches are sized to take about BATCH_SECONDS on this
        machine, so that progress moves every second or so however slow the encoder."""
        batch = self.settings.batch_size
        if encoded is not None:
            per_s = getattr(self, "_passages_per_s", None)
            # never below FIRST_BATCH: smaller batches encode slower, and a slower rate
            # would then ask for smaller batches still
            batch = min(batch, max(FIRST_BATCH, int(per_s * BATCH_SECONDS) if per_s else FIRST_BATCH))
        started, before = time.monotonic(), report.chunks_encoded
        out = encode_group([[c.text for c in p.chunks] for p in group], self.versions.models_to_fill(),
                           self.catalog, self.versions.encoder, batch, report, cancel,
                           self.versions.record_precision, encoded)
        took, n = time.monotonic() - started, report.chunks_encoded - before
        if n >= batch and took > 0:
            self._passages_per_s = n / took
        return out

    def _file_job_sizes(self) -> dict[str, int]:
        """Bytes of each queued file job's file (for the passage estimate; 0 if gone)."""
        sizes = {}
        for (stored,) in self.store.query("SELECT path FROM jobs WHERE kind IN ('index', 'reindex') "
                                          "AND path IS NOT NULL"):
            try:
                sizes[stored] = os.stat(from_db(stored)).st_size
            except OSError:
                sizes[stored] = 0
        return sizes

    def _write(self, p: Prepared, vectors: dict) -> int:
        with self.store.write() as conn:
            doc_id = self.catalog.write_document(conn, p.facts, p.result.title, p.result.pages,
                                                 p.chunks, vectors)
            self.jobs.done(p.job_id, conn)
        return doc_id

    def _fail_prepared(self, p: Prepared, exc: BaseException, report: IndexReport, tracker: Tracker) -> None:
        self.preparer.fail(p.job_id, p.facts, "error", f"could not be indexed ({describe(exc)})", report)
        tracker.p.files_done += 1
        tracker.p.failed += 1
        tracker.emit(current_file=p.path)

    # -- delete jobs ---------------------------------------------------------------------------
    def _run_delete_jobs(self, report: IndexReport, tracker: Tracker, cancel: CancelToken | None) -> None:
        while True:
            self._wait_if_paused(cancel)
            job = self.jobs.next(("delete",))
            if job is None:
                return
            path = job.path or ""
            root = self.catalog.folder_root(job.folder_id)
            with self.store.write() as conn:
                if root and not os.path.isdir(from_db(root)):
                    # The whole folder is gone (unplugged, unmounted): keep its documents.
                    self.catalog.mark_unavailable(conn, path)
                elif not os.path.lexists(from_db(path)):
                    if self.catalog.delete_document_at(conn, path):
                        report.removed += 1
                self.jobs.done(job.id, conn)
            tracker.p.files_done += 1
            tracker.emit(current_file=path)

    # -- embed jobs (re-encoding for a new model version) --------------------------------------
    def _run_embed_jobs(self, report: IndexReport, tracker: Tracker, cancel: CancelToken | None) -> None:
        while True:
            self._wait_if_paused(cancel)
            job = self.jobs.next(("embed",))
            if job is None:
                return
            doc_id, model_id = int(job.document_id or 0), int(job.model_id or 0)
            exists = self.store.query_one("SELECT 1 FROM models WHERE id = ?", (model_id,))
            rows = (self.catalog.chunks_missing_vectors(model_id, doc_id)
                    if exists and self.store.vec_table_exists(model_id) else [])
            found = self.catalog.path_of(doc_id)
            tracker.emit(current_file=found[0] if found else None, phase="embedding")
            mat = vectors_for_texts(model_id, [t for _, t in rows], self.catalog, self.versions.encoder,
                                    self.settings.batch_size, report, cancel,
                                    self.versions.record_precision) if rows else None
            faults.checkpoint("reembed")
            with self.store.write() as conn:
                if rows and mat is not None:
                    live = self.catalog.live_chunk_ids(conn, doc_id)
                    keep = [i for i, (cid, _) in enumerate(rows) if cid in live]
                    self.store.put_vectors(conn, model_id, [rows[i][0] for i in keep], mat[keep])
                self.jobs.done(job.id, conn)
            tracker.p.files_done += 1
            tracker.p.chunks_done += len(rows)
            tracker.emit()
