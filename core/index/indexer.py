"""The indexer: runs the job queue until it is empty, in two durable stages.

    words: queue (jobs.py) -> extract-ahead thread: prepare each file (prepare.py: look,
    hash, extract in the isolated worker, chunk) -> write the document, its passages and
    words in one transaction (catalog.write_document; vectors known by text hash come
    along), queueing an 'embed' job for what still needs encoding
    meaning: core/index/meaning.py, in a thread beside the first stage: groups of embed
    jobs -> grouped encode (encode.py, length-sorted batches) -> the group's vectors in
    one transaction -> events.documents_indexed at the end of the run

A document is keyword-searchable, listed and openable as soon as it is extracted, and
searchable by meaning once its group is encoded. After a crash every document is
complete or absent, and every passage without a vector has its embed job. Scanning
folders into jobs is core/index/reconcile.py.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core import faults
from core.cancel import CancelToken
from core.catalog import Catalog, text_hash
from core.changes import DOCUMENTS, QUEUE, reads, writes
from core.errors import Cancelled, NotFoundError
from core.events import Events
from core.extract.options import Extractor
from core.index import calibrate
from core.index.containers import write_member_failure, write_prepared
from core.index.encode import vectors_for_texts
from core.index.jobs import JobQueue
from core.index.lanes import ExtractionLanes
from core.index.meaning import MeaningStage, backlog
from core.index.prepare import FAILED, Prepared, Preparer, describe, library_fault
from core.index.progress import ProgressFn, Tracker
from core.index.reconcile import Reconciler
from core.index.split import run_split_jobs
from core.index.stage_costs import text_code
from core.memory import release_memory
from core.model_versions import ModelVersions
from core.pathnames import from_db, split_member
from core.settings import Settings
from core.store import Store
from core.store.runlock import IndexRunLock
from core.types import ExtractResult, IndexProgress, IndexReport

if TYPE_CHECKING:
    from core.exclusions import Exclusions

READ_AHEAD = 16           # files extracted ahead of the writer
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
        self.preparer.member_matcher = self._member_matcher
        self._extractor: Extractor | None = None
        self._index_lock = threading.RLock()
        self._pause = threading.Event()   # set = paused between files

    def _member_matcher(self, folder_id: int | None) -> Any:
        """The exclusion patterns of a folder, for the documents inside its containers
        (a member's OS form reads as a path below its container: "a.zip/dir/b.docx")."""
        root = self.catalog.folder_root(folder_id)
        matcher = self.reconciler._matcher(folder_id, from_db(root)) if root and folder_id else None
        return matcher.excluded if matcher else None

    @writes(long=True)
    def close(self) -> None:
        if self._extractor is not None:
            self._extractor.close()
            self._extractor = None

    # -- scanning and queueing ------------------------------------------------------------
    @writes(DOCUMENTS, long=True)
    def index(self, progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> IndexReport:
        """Scan every watched folder, queue what changed, and process the queue."""
        if progress:
            progress(IndexProgress(phase="scanning"))
        self.reconcile()
        return self.process_jobs(progress=progress, cancel=cancel)

    @writes(DOCUMENTS, QUEUE)
    def reconcile(self, folder_id: int | None = None) -> int:
        return self.reconciler.reconcile(folder_id)

    @writes(DOCUMENTS, QUEUE)
    def enqueue_paths(self, paths: Iterable[Path | str]) -> int:
        return self.reconciler.enqueue_paths(paths)

    @writes(DOCUMENTS, QUEUE)
    def reindex_document(self, doc_id: int) -> None:
        found = self.catalog.path_of(doc_id)
        if found is None:
            raise NotFoundError(f"no document {doc_id}")
        self.jobs.put_stored("reindex", split_member(found[0])[0], found[1])   # a member: its container

    @writes(DOCUMENTS, QUEUE)
    def reread_scans(self) -> int:
        """Queue the documents that OCR may now read (PDFs and images left without text,
        e.g. while OCR was turned off). Returns how many were queued."""
        return self.jobs.put_many_stored("reindex", self.catalog.unread_scans())

    @reads
    def pending_jobs(self) -> int:
        return self.jobs.pending()

    @reads
    def extract_options(self) -> Any:
        """What the extraction worker is asked to do (OCR on or off), read per file so a
        changed setting counts from the next file."""
        from core.extract.options import ExtractOptions

        return ExtractOptions(ocr=bool(self.settings.ocr_enabled))

    @writes()
    def pause(self, paused: bool) -> None:
        """Pause (between files) or resume a running process_jobs()."""
        if paused:
            self._pause.set()
        else:
            self._pause.clear()

    @property
    @reads
    def paused(self) -> bool:
        return self._pause.is_set()

    # -- processing --------------------------------------------------------------------------
    @writes(DOCUMENTS, long=True)
    def process_jobs(self, progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> IndexReport:
        """Run queued jobs until the queue is empty or ``cancel`` is set."""
        with self._index_lock:
            report = IndexReport()
            started = time.monotonic()
            tracker = Tracker(self.jobs.file_jobs_pending(), progress, self.events)
            touched: list[int] = []
            run_lock = IndexRunLock(self.store.path)
            meaning = MeaningStage(self, report, tracker, cancel)
            try:
                try:
                    self._hold_run_lock(run_lock, tracker, cancel)
                    self._begin(tracker, meaning)
                    if tracker.p.files_total:
                        tracker.emit()    # the run shows (and can be stopped) before a file is read
                    self._run_file_jobs(report, tracker, cancel, touched, meaning)
                    self._run_delete_jobs(report, tracker, cancel)
                    meaning.finish()
                    run_split_jobs(self, report, tracker, cancel, touched)
                    self.versions.maybe_finish_switch()
                    if not self.jobs.pending():
                        self.jobs.mark_run(False)
                except Cancelled:
                    report.cancelled = True
                finally:
                    meaning.close()
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

    def _begin(self, tracker: Tracker, meaning: MeaningStage) -> None:
        """Start the second stage on what the last run left to encode, and say what a
        run that was stopped has done already ("resuming: 12,345 of 50,000 documents")."""
        passages, docs = backlog(self)
        tracker.backlog(passages)
        resuming = self.jobs.mark_run(True)
        if resuming:
            done = self.catalog.document_count()
            tracker.emit(resumed_done=done, resumed_total=done + self.jobs.file_jobs_pending())
        meaning.start(passages, docs)

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

    @reads
    def wait_if_paused(self, cancel: CancelToken | None) -> None:
        while self._pause.is_set():
            if cancel is not None and cancel.cancelled:
                raise Cancelled("cancelled")
            time.sleep(0.1)
        if cancel is not None:
            cancel.raise_if_cancelled()

    # -- file jobs: the first stage (words) ------------------------------------------------
    def _run_file_jobs(
        self, report: IndexReport, tracker: Tracker, cancel: CancelToken | None, touched: list[int],
        meaning: MeaningStage,
    ) -> None:
        lanes = ExtractionLanes(self, report, tracker, self._warm_extractor(), self.new_extractor, READ_AHEAD)
        tracker.plan(self._file_job_sizes())
        if tracker.p.files_total >= calibrate.CALIBRATE_FROM_FILES:    # before the files take the cores
            pace = calibrate.measure(self.versions.encoder())
            if pace is not None:
                tracker.calibrated(pace)
        lanes.start()
        try:
            while True:
                self.wait_if_paused(cancel)
                meaning.raise_error()
                try:
                    item = lanes.get(timeout=0.5)
                except queue.Empty:
                    continue
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, Prepared):
                    self._write_words(item, report, tracker, touched, meaning)
                else:
                    tracker.p.files_done += 1
                    if item == FAILED:
                        tracker.p.failed += 1
                    tracker.emit()
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

    @reads
    def new_extractor(self) -> Any:
        """A fresh extraction worker (the kept one, a second lane's for one run:
        core.index.lanes, or one for a file outside the library: core/search/similar_file.py)."""
        from core.extract.isolated import IsolatedExtractor

        return IsolatedExtractor(timeout_s=self.settings.extract_timeout_s, memory_mb=self.settings.extract_memory_mb)

    @reads
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

    # -- writing the words, and encoding ------------------------------------------------------
    def _write_words(self, p: Prepared, report: IndexReport, tracker: Tracker, touched: list[int],
                     meaning: MeaningStage) -> None:
        """Write an extracted document with its passages and words in one transaction,
        with vectors known by text hash, and queue the encoding of the others (the
        second stage, core/index/meaning.py). A file with the content of an indexed
        document becomes a copy of it (core/copies.py)."""
        waiting, holder, queued = 0, None, []
        try:
            with self.store.write() as conn:
                models = self.versions.models_to_fill()
                if p.member is not None or p.container is not None:
                    # a document inside a container, or the container's own row (core/index/containers.py)
                    doc_id = write_prepared(self.catalog, conn, p, {}, reuse=models)
                else:
                    holder = self.catalog.copies.holder_for(conn, p.content_hash, p.path)
                if holder is not None:
                    doc_id = self.catalog.copies.write_copy(conn, p.facts, holder)
                else:
                    if p.member is None and p.container is None:
                        doc_id = self.catalog.write_document(conn, p.facts, p.result.title, p.result.pages,
                                                             p.chunks, {}, reuse=models)
                    missing = {m: self.catalog.missing_vectors(conn, doc_id, m) for m in models}
                    self.jobs.put_embed(conn, doc_id, [m for m, hashes in missing.items() if hashes])
                    waiting = sum(len(hashes) for hashes in missing.values())
                    if waiting and tracker.costs is not None:
                        queued = missing[models[0]]
                if p.finishes_job:
                    self.jobs.done(p.job_id, conn)
        except Exception as exc:  # noqa: BLE001 - one file never stops the run
            if library_fault(exc):
                raise
            self._fail_prepared(p, exc, report, tracker)
            return
        if holder is not None:
            report.copies += 1
        touched.append(doc_id)
        if p.finishes_job:            # a container's members are not files of the run
            report.indexed += 1
            tracker.p.files_done += 1
        if queued:        # the ETA counts the texts the encoder will read (core/index/stage_costs.py)
            tokens = {text_hash(c.text): calibrate.tokens_of(c.text, c.tokens) for c in p.chunks}
            tracker.queued([text_code(h) for h in queued], [tokens.get(h, 0) for h in queued])
        # passages that need no encoding (reused by text hash, or a copy's) count as encoded
        tracker.reused(max(len(p.chunks) - waiting, 0))
        tracker.emit(current_file=p.path)
        if waiting:
            meaning.queued(waiting)

    @reads
    def encode_texts(self, model_id: int, texts: list[str], report: IndexReport, cancel: CancelToken | None,
                     encoded: Callable[[int], None] | None = None) -> np.ndarray:
        """The vectors of a group's texts (core/index/meaning.py). With ``encoded``
        (progress), batches are sized to take about BATCH_SECONDS on this machine, so that
        progress moves every second or so however slow the encoder."""
        batch = self.settings.batch_size
        if encoded is not None:
            per_s = getattr(self, "_passages_per_s", None)
            # never below FIRST_BATCH: smaller batches encode slower, and a slower rate
            # would then ask for smaller batches still
            batch = min(batch, max(FIRST_BATCH, int(per_s * BATCH_SECONDS) if per_s else FIRST_BATCH))
        started, before = time.monotonic(), report.chunks_encoded
        faults.checkpoint("encode")
        out = vectors_for_texts(model_id, texts, self.catalog, self.versions.encoder, batch, report, cancel,
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

    def _fail_prepared(self, p: Prepared, exc: BaseException, report: IndexReport, tracker: Tracker) -> None:
        if p.member is not None:          # one document inside a container: recorded on it alone
            with self.store.write() as conn:
                write_member_failure(self.catalog, conn, p, f"could not be indexed ({describe(exc)})")
            return
        self.preparer.fail(p.job_id, p.facts, "error", f"could not be indexed ({describe(exc)})", report)
        tracker.p.files_done += 1
        tracker.p.failed += 1
        tracker.emit(current_file=p.path)

    # -- delete jobs ---------------------------------------------------------------------------
    def _run_delete_jobs(self, report: IndexReport, tracker: Tracker, cancel: CancelToken | None) -> None:
        while True:
            self.wait_if_paused(cancel)
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
