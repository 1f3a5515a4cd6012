"""Importing encoded shards (core/cluster/shards.py) into a library: each document in
its own transaction through the Catalog, as a local run writes it (document row,
passages, words and vectors together; after a kill every document is complete or
absent), and files not indexed recorded with their reasons as a local run records them.

Two callers: a cluster run (core/cluster/pipeline.py) hands over each file's record as
its shard arrives, with the queued job it finishes (the job is done in the same
transaction, so a restarted run takes what is left); and ``import_folder`` (the window's
File -> Import encoded shards..., ``likewise cluster import``) imports shards made
elsewhere. Needs pyarrow, never Ray.

The shard's vectors are stored under the model version with the shard's model content
hash; a model version that must also be filled (a switch in progress) gets its vectors
as a local run would, reused by text hash or encoded here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core import faults
from core.cancel import CancelToken
from core.catalog import Catalog, FileFacts
from core.changes import DOCUMENTS, QUEUE, reads, writes
from core.cluster.shards import Shard, pyarrow_modules, read_shard, shard_files
from core.errors import Cancelled, InvalidInputError
from core.events import Events
from core.index.encode import vectors_for_texts
from core.index.jobs import JobQueue
from core.index.prepare import describe, library_fault
from core.index.reconcile import folder_of
from core.model_versions import ModelVersions
from core.pathnames import from_db, to_db
from core.settings import Settings
from core.store import Store
from core.store.runlock import IndexRunLock
from core.types import INDEXED, IndexReport

Progress = Callable[[int, int, str], None]    # (files done, of total, current path)
LOCK_POLL_S = 0.2


class ShardImporter:
    def __init__(self, store: Store, settings: Settings, versions: ModelVersions, catalog: Catalog,
                 jobs: JobQueue, events: Events) -> None:
        self.store = store
        self.settings = settings
        self.versions = versions
        self.catalog = catalog
        self.jobs = jobs
        self.events = events

    # -- one file -------------------------------------------------------------------------
    @reads
    def model_id_for(self, model_hash: str) -> int:
        model_id = self.versions.model_id_by_hash(model_hash)
        if model_id is None:
            raise InvalidInputError(
                f"these shards were encoded by a model this library does not hold (content hash "
                f"{model_hash[:12]}); add that model version first, or encode with this library's")
        return model_id

    @writes()
    def import_shard(self, shard: Shard, facts: FileFacts, report: IndexReport,
                     job_id: int | None = None, cancel: CancelToken | None = None) -> int | None:
        """Write one shard's file into the library (its document, or its failure).
        Returns the document id when indexed."""
        doc = self.catalog.known(facts.path)
        if shard.status != INDEXED or not shard.chunks:
            self.record_failure(facts, shard.status, shard.reason or shard.status, report, job_id,
                                shard.title, shard.pages)
            return None
        model_id = self.model_id_for(shard.model_hash)
        assert shard.vectors is not None
        vectors = {model_id: shard.vectors}
        for other in self.versions.models_to_fill():
            if other != model_id:
                vectors[other] = vectors_for_texts(other, [c.text for c in shard.chunks], self.catalog,
                                                   self.versions.encoder, self.settings.batch_size,
                                                   report, cancel, self.versions.record_precision)
        with self.store.write() as conn:
            doc_id = self.catalog.write_document(conn, facts, shard.title, shard.pages, shard.chunks,
                                                 vectors)
            faults.checkpoint("import")
            if job_id is not None:
                self.jobs.done(job_id, conn)
        if doc is None or doc.content_hash != facts.content_hash:
            report.indexed += 1
        else:
            report.unchanged += 1
        report.chunks_reused += len(shard.chunks)
        return doc_id

    @writes()
    def record_failure(self, facts: FileFacts, status: str, reason: str, report: IndexReport,
                       job_id: int | None = None, title: str | None = None,
                       pages: int | None = None) -> None:
        """A file not indexed, with why (a file gone meanwhile is a delete, as locally)."""
        doc = self.catalog.known(facts.path)
        with self.store.write() as conn:
            if not facts.content_hash and not os.path.lexists(from_db(facts.path)):
                if doc is not None:
                    self.catalog.delete_document(conn, doc.id)
                    report.removed += 1
            else:
                self.catalog.write_failure(conn, facts, doc, status, reason, title, pages)
                report.failed += 1
                report.failures.append((facts.path, status, reason))
            if job_id is not None:
                self.jobs.done(job_id, conn)

    @writes()
    def import_record(self, record: dict[str, Any], report: IndexReport,
                      cancel: CancelToken | None = None) -> int | None:
        """One row that a cluster run's EncodeWork gave back (core/cluster/work.py)."""
        facts = FileFacts(record["path"], record["folder_id"], int(record["size"] or 0),
                          float(record["mtime"] or 0.0), record["content_hash"] or None)
        job_id = record.get("job_id")
        if not record.get("shard"):
            self.record_failure(facts, record["status"], record["reason"] or record["status"], report,
                                job_id)
            return None
        try:
            shard = read_shard(record["shard"])
        except InvalidInputError as exc:
            self.record_failure(facts, "error", f"could not be indexed ({describe(exc)})", report, job_id)
            return None
        return self.import_shard(shard, facts, report, job_id, cancel)

    # -- a folder of shards made elsewhere --------------------------------------------------
    @writes(DOCUMENTS, QUEUE, long=True)
    def import_folder(self, folder: Path | str, progress: Progress | None = None,
                      cancel: CancelToken | None = None) -> IndexReport:
        """Import every shard below ``folder``. A shard whose document is already in the
        library with the same content, size and time is left alone; a damaged shard is
        reported and skipped. One indexing run at a time (the run lock)."""
        pyarrow_modules()          # without pyarrow: say how to install it, before anything
        files = shard_files(folder)
        report = IndexReport()
        started = time.monotonic()
        lock = hold_run_lock(self.store.path, cancel)
        touched: list[int] = []
        try:
            roots = [(r.id, r.root) for r in self.catalog.folder_rows()]
            for n, path in enumerate(files):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                if progress is not None:
                    progress(n, len(files), str(path))
                report.files_seen += 1
                try:
                    shard = read_shard(path)
                except InvalidInputError as exc:
                    report.failed += 1
                    report.failures.append((to_db(str(path)), "error", str(exc)))
                    continue
                known = self.catalog.known(shard.path)
                if (known is not None and known.content_hash == shard.content_hash
                        and known.size == shard.size and known.mtime == shard.mtime
                        and known.status == shard.status):
                    report.unchanged += 1
                    continue
                found = folder_of(from_db(shard.path), roots)
                facts = FileFacts(shard.path, found[0] if found else None, shard.size, shard.mtime,
                                  shard.content_hash)
                try:
                    doc_id = self.import_shard(shard, facts, report, None, cancel)
                except Exception as exc:  # noqa: BLE001 - one shard never stops the import
                    if library_fault(exc) or isinstance(exc, InvalidInputError):
                        raise
                    report.failed += 1
                    report.failures.append((shard.path, "error", describe(exc)))
                    continue
                if doc_id is not None:
                    touched.append(doc_id)
        except Cancelled:
            report.cancelled = True
        finally:
            lock.release()
            report.seconds = time.monotonic() - started
            if touched:
                self.events.documents_indexed.emit(touched)
        return report


def hold_run_lock(library: Path, cancel: CancelToken | None) -> IndexRunLock:
    """The library's indexing run lock (core/store/runlock.py), waited for."""
    lock = IndexRunLock(library)
    while not lock.try_acquire():
        if cancel is not None and cancel.cancelled:
            raise Cancelled("cancelled while another Likewise was indexing this library")
        time.sleep(LOCK_POLL_S)
    return lock
