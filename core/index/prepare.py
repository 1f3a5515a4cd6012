"""Preparing one file job: everything before the encoder (look, hash, extract in the
isolated worker, chunk), with a typed outcome.

Per file, by cost: unchanged size and mtime -> nothing; same content hash -> only the
row's size/mtime/path change (a touch, a move, a rename); the content of an indexed
document elsewhere -> a copy of it (core/copies.py); otherwise the file is
extracted in an isolated worker process and chunked, and a ``Prepared`` goes on to the
grouped encode (core/index/encode.py) and the write.

Anything that goes wrong with one file is recorded on that file (``FAILED``); only a
fault of the library or the process (``library_fault``) stops the run.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from core import faults
from core.catalog import Catalog, FileFacts, KnownDocument
from core.errors import Cancelled
from core.extract.options import Extractor
from core.index.containers import is_container, prepare_container
from core.index.jobs import Job, JobQueue
from core.index.scan import PERMISSION_DENIED, file_hash, link_allowed, reason_of
from core.pathnames import from_db
from core.store import Store
from core.types import INDEXED, ExtractResult, IndexReport

DONE: Literal["done"] = "done"       # the job was finished here (unchanged, moved, gone)
FAILED: Literal["failed"] = "failed"  # the file was recorded as not indexed, with why
Finished = Literal["done", "failed"]

Chunker = Callable[[ExtractResult], list]
ScannedPageFn = Callable[[str, int, int], None]   # (path, page n, of total) of OCR


@dataclass
class Prepared:
    """A file extracted and chunked, waiting to be encoded and written."""

    job_id: int
    path: str               # stored
    folder_id: int | None
    size: int
    mtime: float
    content_hash: str
    result: ExtractResult
    chunks: list = field(default_factory=list)
    replace_doc_id: int | None = None
    member: Any = None       # a document inside a container file (core/index/containers.py MemberOf)
    container: Any = None    # the container file's own row, written last (ContainerEnd)

    @property
    def finishes_job(self) -> bool:
        """Writing it finishes its job (a container's members come before it)."""
        return self.member is None

    @property
    def facts(self) -> FileFacts:
        return FileFacts(self.path, self.folder_id, self.size, self.mtime, self.content_hash)


Outcome = Prepared | Finished | None   # None: stopped while extracting (the job stays queued)


class Preparer:
    """Turns file jobs into ``Prepared`` files or records why they were not indexed."""

    def __init__(self, store: Store, catalog: Catalog, jobs: JobQueue, chunker: Chunker,
                 options: Callable[[], Any]) -> None:
        self.store = store
        self.catalog = catalog
        self.jobs = jobs
        self.chunker = chunker
        self.options = options     # ExtractOptions for the next file (core/extract/options.py)
        self.held: list = []       # members put without a ``put`` (taken by the caller)
        # folder id -> (OS path -> excluded?) or None: the exclusion patterns, for the
        # documents inside a container (the Indexer sets it; core/exclusions.py)
        self.member_matcher: Callable[[int | None], Callable[[str], bool] | None] = lambda _fid: None

    def prepare(self, job: Job, extractor: Extractor, report: IndexReport, stop: threading.Event,
                scanned: ScannedPageFn | None = None, put: Callable[[Any], None] | None = None) -> Outcome:
        """One file job, with anything that goes wrong recorded on that file.
        ``scanned(path, n, total)`` hears OCR progress ((0, 0) when the file is done).
        ``put`` takes the documents inside a container file (mail, archive) as they
        are read, ahead of the container's own outcome; without it a container is read
        whole before its members are handed on."""
        try:
            return self._prepare_file(job, extractor, report, stop, scanned, put)
        except Exception as exc:  # noqa: BLE001 - one file never stops the run
            if library_fault(exc) or stop.is_set():
                raise
            return self.fail(job.id, FileFacts(job.path or "", job.folder_id, 0, 0.0, None), "error",
                             f"could not be indexed ({describe(exc)})", report)

    def _prepare_file(self, job: Job, extractor: Extractor, report: IndexReport, stop: threading.Event,
                      scanned: ScannedPageFn | None, put: Callable[[Any], None] | None = None) -> Outcome:
        """Everything for one file job that needs no encoder.

        A kill while a file is in hand never counts against the file: whatever parses
        the file's bytes runs in the isolated extraction worker, whose crash, time-out
        or memory overrun is recorded on that file alone."""
        path = job.path or ""
        ospath = from_db(path)
        report.files_seen += 1
        doc = self.catalog.known(path)
        looked = FileFacts(path, job.folder_id, 0, 0.0, None)
        try:
            st = os.stat(ospath)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EPERM, errno.ELOOP, errno.ENAMETOOLONG):
                return self.fail(job.id, looked, "error", reason_of(exc), report, doc=doc)
            # Gone before we got to it: this is a delete.
            with self.store.write() as conn:
                if doc:
                    self.catalog.delete_document(conn, doc.id)
                    report.removed += 1
                self.jobs.done(job.id, conn)
            return DONE
        looked = FileFacts(path, job.folder_id, st.st_size, st.st_mtime, None)
        refusal = self._refusal(ospath, job.folder_id, st)
        if refusal is not None:
            return self.fail(job.id, looked, "error", refusal, report, doc=doc)
        if job.kind == "index" and doc and doc.size == st.st_size and doc.mtime == st.st_mtime:
            self.jobs.done(job.id)
            report.unchanged += 1
            return DONE
        try:
            digest = file_hash(ospath)
        except OSError as exc:
            reason = reason_of(exc)
            if reason != PERMISSION_DENIED:
                reason = f"cannot read: {reason}"
            return self.fail(job.id, looked, "error", reason, report, doc=doc)
        facts = FileFacts(path, job.folder_id, st.st_size, st.st_mtime, digest)
        if job.kind == "index" and doc and doc.content_hash == digest:
            with self.store.write() as conn:
                self.catalog.write_touch(conn, doc.id, st.st_size, st.st_mtime)
                self.jobs.done(job.id, conn)
            report.unchanged += 1
            return DONE
        if doc is None and self._adopt_moved(job.id, facts):
            report.moved += 1
            return DONE
        if self._record_copy(job.id, facts):
            report.copies += 1
            return DONE
        faults.checkpoint("extract")
        if is_container(ospath):
            return prepare_container(self, job, extractor, facts, doc, report, stop, put or self.held.append,
                                     Prepared)
        pages = None if scanned is None else (lambda n, total: scanned(path, n, total))
        try:
            result = extractor.extract(ospath, self.options(), pages)
        except Exception:
            if stop.is_set():
                return None
            raise
        finally:
            if pages is not None:
                pages(0, 0)
        if stop.is_set():
            return None  # stopped while extracting: the job stays queued, untouched
        if result.status != INDEXED:
            return self.fail(job.id, facts, result.status, result.error or result.status,
                             report, doc=doc, result=result)
        chunks = self.chunker(result)
        if not chunks:
            return self.fail(job.id, facts, "no_text", "no extractable text", report, doc=doc, result=result)
        return Prepared(job.id, path, job.folder_id, st.st_size, st.st_mtime, digest, result, chunks,
                        doc.id if doc else None)

    def _refusal(self, ospath: str, folder_id: int | None, st: os.stat_result) -> str | None:
        """Why a path found in the queue must not be read (checked again at read time:
        the file may have been replaced since the scan), or None."""
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file (a FIFO, socket or device is never read)"
        rows = self.catalog.folder_rows()
        follow = next((r.follow_links for r in rows if r.id == folder_id), False)
        if not link_allowed(ospath, [r.root for r in rows], follow):
            return "a link to a place outside the chosen folders (not followed)"
        return None

    def _adopt_moved(self, job_id: int, facts: FileFacts) -> bool:
        """A new path whose content matches a document whose file is gone: a move."""
        for doc_id, old_path in self.catalog.moved_candidates(facts.content_hash or "", facts.path):
            if os.path.lexists(from_db(old_path)):
                continue
            with self.store.write() as conn:
                self.catalog.write_move(conn, doc_id, facts)
                self.jobs.done(job_id, conn)
                self.jobs.drop_delete_of(conn, old_path)
            return True
        return False

    def _record_copy(self, job_id: int, facts: FileFacts) -> bool:
        """A file whose content equals an indexed document's at another path: recorded
        as a copy of it (core/copies.py), never read, encoded or mined."""
        if self.catalog.copies.holder_for(None, facts.content_hash, facts.path) is None:
            return False
        with self.store.write() as conn:
            holder = self.catalog.copies.holder_for(conn, facts.content_hash, facts.path)
            if holder is None:
                return False
            self.catalog.copies.write_copy(conn, facts, holder)
            self.jobs.done(job_id, conn)
        return True

    def fail(
        self, job_id: int, facts: FileFacts, status: str, reason: str, report: IndexReport,
        doc: KnownDocument | None = None, result: ExtractResult | None = None,
    ) -> Finished:
        """Record that the file at ``facts.path`` was not indexed, and why."""
        if doc is None:
            doc = self.catalog.known(facts.path)
        title = result.title if result else None
        pages = result.pages if result else None
        with self.store.write() as conn:
            self.catalog.write_failure(conn, facts, doc, status, reason, title, pages)
            self.jobs.done(job_id, conn)
        report.failed += 1
        report.failures.append((facts.path, status, reason))
        return FAILED


def library_fault(exc: BaseException) -> bool:
    """Errors of the library or the process, not of one file: they stop the run (the
    job stays queued) instead of being recorded against the file."""
    import apsw

    from core.errors import StoreError

    if isinstance(exc, (apsw.Error, StoreError, Cancelled, MemoryError)):
        return True
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


def describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
