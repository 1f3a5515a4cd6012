"""The second stage of indexing: vectors for passages already written ("words first,
meaning next").

The first stage (core/index/indexer.py) writes each extracted document with its passages
and words in one transaction, and in that transaction queues an ``embed`` job (document,
model version) for every model whose vectors it still lacks; a model switch queues the
same jobs for the whole library (core/model_versions.py). This stage takes those jobs in
the order they were queued, in groups of one model of up to GROUP_PASSAGES passages (or
GROUP_DOCUMENTS documents), encodes the group in length-sorted batches (core/index/
encode.py: a text this model has encoded before is not encoded again), and writes the
group's vectors and removes its jobs in one transaction. A kill loses at most the group
in hand; nothing written is done again; the next run resumes both stages.

It runs in a thread of its own beside the extraction, so that what is extracted is
searchable by words at once, however far the encoder is behind. It takes what is queued
whenever it is free, so a group gathers while the previous one is encoded: groups are
full (the batches' padding low, see GROUP_PASSAGES) when the encoder is the slower stage,
and one saved file is encoded at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core import faults
from core.cancel import CancelToken
from core.catalog import text_hash
from core.index.prepare import describe, library_fault
from core.index.seams import IndexerParts
from core.index.stage_costs import text_code
from core.store import vec_table
from core.types import IndexReport

if TYPE_CHECKING:
    from core.index.progress import Tracker

# Passages are encoded together until this many wait (or GROUP_DOCUMENTS documents), so
# that the encoder's length-sorted batches hold passages of about the same length: on the
# shared corpus's 11,171 passages, groups of 64 padded the batches to 1.70x their real
# tokens, groups of 1,024 to 1.09x.
GROUP_PASSAGES = 1024
GROUP_DOCUMENTS = 256
POLL_S = 0.2


@dataclass
class Group:
    model_id: int
    job_ids: list[int]
    doc_ids: list[int]
    rows: list[tuple[int, int, str]]     # (chunk id, document id, text) without a vector


def take_group(indexer: IndexerParts, limit_docs: int | None = None, limit_passages: int | None = None) -> Group | None:
    """The next group of embed jobs (one model, queue order), with the texts of their
    passages still without a vector (``indexer``: core/index/indexer.py's Indexer). Jobs
    of a model that is gone are dropped."""
    limit_docs = limit_docs or GROUP_DOCUMENTS
    limit_passages = limit_passages or GROUP_PASSAGES
    store = indexer.store
    while True:
        jobs = indexer.jobs.embed_jobs(limit_docs)
        if not jobs:
            return None
        model_id = int(jobs[0][2] or 0)
        jobs = [j for j in jobs if int(j[2] or 0) == model_id]
        if store.query_one("SELECT 1 FROM models WHERE id = ?", (model_id,)) is None \
                or not store.vec_table_exists(model_id):
            with store.write() as conn:
                indexer.jobs.done_many([j[0] for j in jobs], conn)
            continue
        docs = [int(j[1] or 0) for j in jobs]
        marks = ",".join("?" * len(docs))
        by_doc: dict[int, list[tuple[int, int, str]]] = {}
        for cid, did, text in store.query(
                f"SELECT c.id, c.document_id, c.text FROM chunks c LEFT JOIN {vec_table(model_id)} v "
                f"ON v.chunk_id = c.id WHERE c.document_id IN ({marks}) AND v.chunk_id IS NULL "
                "ORDER BY c.document_id, c.ord", tuple(docs)):
            by_doc.setdefault(int(did), []).append((int(cid), int(did), text))
        group = Group(model_id, [], [], [])
        for job_id, doc_id, _m in jobs:
            if group.rows and len(group.rows) + len(by_doc.get(int(doc_id or 0), [])) > limit_passages:
                break
            group.job_ids.append(int(job_id))
            group.doc_ids.append(int(doc_id or 0))
            group.rows.extend(by_doc.get(int(doc_id or 0), []))
        return group


class MeaningStage:
    """The encoding thread of one indexing run. The first stage tells it what it queued
    (``queued``); ``finish`` (the extraction has ended) waits for the queue to be empty."""

    def __init__(self, indexer: IndexerParts, report: IndexReport, tracker: Tracker,
                 cancel: CancelToken | None) -> None:
        self.indexer = indexer
        self.report = report
        self.tracker = tracker
        self.cancel = cancel
        self.words_done = threading.Event()
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.error: BaseException | None = None
        self.lock = threading.Lock()
        self.waiting_passages = 0
        self.waiting_docs = 0
        self.thread: threading.Thread | None = None

    # -- what the first stage tells it ------------------------------------------------------
    def start(self, backlog_passages: int, backlog_docs: int) -> None:
        self.waiting_passages, self.waiting_docs = backlog_passages, backlog_docs
        self.thread = threading.Thread(target=self._run, name="likewise-encode", daemon=True)
        self.thread.start()

    def queued(self, passages: int) -> None:
        """The first stage wrote a document with ``passages`` passages to encode."""
        with self.lock:
            self.waiting_passages += passages
            self.waiting_docs += 1
        self.wake.set()

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def finish(self) -> None:
        """The first stage has ended: encode what is left, then return (raising what the
        thread raised)."""
        self.words_done.set()
        self.wake.set()
        while self.thread is not None and self.thread.is_alive():
            self.thread.join(timeout=POLL_S)
            if self.cancel is not None and self.cancel.cancelled:
                self.close()
                break
        self.raise_error()
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()

    def close(self) -> None:
        self.stop.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout=30)

    # -- the thread ---------------------------------------------------------------------------
    def _ready(self) -> bool:
        """Work is waiting, or the extraction has ended. The encoder takes what is queued
        as soon as it is free: while it encodes a group the next one gathers, so groups
        are full when the encoder is what limits the run (and the extraction and the
        encoding overlap, as before the two stages were apart)."""
        with self.lock:
            waiting = self.waiting_docs > 0
        return waiting or self.words_done.is_set()

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                if self.indexer.paused or not self._ready():
                    self.wake.wait(POLL_S)
                    self.wake.clear()
                    continue
                if self.cancel is not None:
                    self.cancel.raise_if_cancelled()
                began = time.monotonic()
                group = take_group(self.indexer)
                if group is None:
                    with self.lock:
                        self.waiting_passages = self.waiting_docs = 0
                    if self.words_done.is_set():
                        return
                    self.wake.wait(POLL_S)
                    self.wake.clear()
                    continue
                self.encode_group(group, began)
        except BaseException as exc:  # noqa: BLE001 - handed to the indexing run
            self.error = exc

    def encode_group(self, group: Group, began: float | None = None) -> None:
        """Encode a group and write its vectors; a group that fails for a reason that is
        not the library's is encoded document by document, and a document that still
        fails keeps its words and loses its job (the failure is reported). ``began``:
        when the thread started taking it (the ETA counts the whole of its work)."""
        tracker = self.tracker
        began = time.monotonic() if began is None else began
        if group.model_id != self.indexer.versions.active_model_id():
            tracker.emit(phase="embedding")
        tracker.encode_began()
        before = self.report.chunks_encoded
        try:
            mat = self.indexer.encode_texts(group.model_id, [t for _, _, t in group.rows], self.report,
                                            self.cancel, tracker.encoding) if group.rows else None
        except Exception as exc:  # noqa: BLE001 - narrowed to the document below
            tracker.group_done()
            if library_fault(exc):
                raise
            if len(group.job_ids) == 1:
                self._give_up(group, exc)
                return
            for i, job_id in enumerate(group.job_ids):
                doc = group.doc_ids[i]
                self.encode_group(Group(group.model_id, [job_id], [doc], [r for r in group.rows if r[1] == doc]))
            return
        faults.checkpoint("reembed" if group.model_id != self.indexer.versions.active_model_id() else "vectors")
        store = self.indexer.store
        with store.write() as conn:
            if group.rows and mat is not None:
                marks = ",".join("?" * len(group.doc_ids))
                live = {int(r[0]) for r in conn.execute(
                    f"SELECT id FROM chunks WHERE document_id IN ({marks})", tuple(group.doc_ids))}
                keep = [i for i, (cid, _, _) in enumerate(group.rows) if cid in live]
                store.put_vectors(conn, group.model_id, [group.rows[i][0] for i in keep], mat[keep])
            self.indexer.jobs.done_many(group.job_ids, conn)
        graph_began = time.monotonic()
        if group.rows:    # the search graph follows (core/search/graph_keeper.py)
            self.indexer.events.vectors_written.emit((group.model_id, len(group.rows)))
        graph_s = time.monotonic() - graph_began
        with self.lock:
            self.waiting_passages = max(self.waiting_passages - len(group.rows), 0)
            self.waiting_docs = max(self.waiting_docs - len(group.job_ids), 0)
        if tracker.costs is not None:
            tracker.texts_encoded([text_code(text_hash(t)) for _, _, t in group.rows])
        tracker.written(len(group.rows), self.report.chunks_encoded - before)
        tracker.group_done(time.monotonic() - began, graph_s)
        tracker.emit()

    def _give_up(self, group: Group, exc: BaseException) -> None:
        found = self.indexer.catalog.path_of(group.doc_ids[0])
        path = found[0] if found else str(group.doc_ids[0])
        with self.indexer.store.write() as conn:
            self.indexer.jobs.done_many(group.job_ids, conn)
        if self.tracker.costs is not None:
            self.tracker.texts_encoded([text_code(text_hash(t)) for _, _, t in group.rows])
        self.report.failures.append((path, "error", f"could not be encoded ({describe(exc)}); "
                                                    "searchable by words only"))
        self.tracker.written(len(group.rows))
        self.tracker.emit()


def backlog(indexer: IndexerParts) -> tuple[int, int]:
    """(passages, documents) waiting for vectors at the start of a run."""
    store = indexer.store
    docs = store.count("SELECT COUNT(*) FROM jobs WHERE kind = 'embed'")
    if not docs:
        return 0, 0
    passages = 0
    for (model_id,) in store.query("SELECT DISTINCT model_id FROM jobs WHERE kind = 'embed'"):
        if model_id is not None and store.vec_table_exists(int(model_id)):
            passages += indexer.catalog.passages_waiting(int(model_id))
    return passages, docs
