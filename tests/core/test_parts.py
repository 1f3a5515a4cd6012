"""The engine's parts on their own, without a whole Library: events, the catalog, the
vector-log follower and the pieces of the indexing pipeline (queue, prepare, grouped
encode, write, reconcile). A real library file, no encoder model: vectors come from a
small stand-in."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from core.catalog import Catalog, FileFacts, text_hash
from core.events import DocumentDeleted, Events
from core.extract.options import ExtractOptions
from core.index.encode import encode_group
from core.index.jobs import JOB_ORDER, FileJobCursor, JobQueue
from core.index.prepare import DONE, FAILED, Prepared, Preparer
from core.index.reconcile import Reconciler
from core.pathnames import from_db, to_db
from core.store import Store
from core.store.vec_log import VecLogFollower
from core.types import INDEXED, Block, Chunk, ExtractResult, IndexReport

DIM = 4


class WordCountEncoder:
    """Vectors from letter counts: the same text always gives the same vector."""

    dim = DIM
    max_seq_length = 64

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: list[str], batch_size: int = 32, cancel: object = None) -> np.ndarray:
        self.encoded.extend(texts)
        out = np.array([[t.count(c) + 1.0 for c in "aeio"] for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


class OneBlockExtractor:
    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail

    def extract(self, path: str, options: ExtractOptions | None = None,
                progress: object = None) -> ExtractResult:
        self.options = options
        if self.fail is not None:
            raise self.fail
        text = Path(path).read_text(encoding="utf-8")
        return ExtractResult(INDEXED, [Block(text)], title="from the file")


@pytest.fixture
def parts(tmp_path):
    store = Store(tmp_path / "lib.sqlite")
    with store.write() as conn:
        conn.execute("INSERT INTO models(name, path, dim, kind, created_at) VALUES ('m', 'm', ?, 'base', 0)",
                     (DIM,))
        store.ensure_vec_table(conn, 1, DIM)
    events = Events()
    catalog = Catalog(store, events)
    yield store, events, catalog
    store.close()


def one_chunk(result: ExtractResult) -> list:
    text = "\n\n".join(b.text for b in result.blocks).strip()
    return [Chunk(0, text, 0, len(text))] if text else []


def write_doc(store: Store, catalog: Catalog, path: str, texts: list[str], folder_id: int | None = None) -> int:
    chunks = [Chunk(i, t, 0, len(t)) for i, t in enumerate(texts)]
    vecs = WordCountEncoder().encode(texts)
    with store.write() as conn:
        return catalog.write_document(conn, FileFacts(to_db(path), folder_id, 1, 1.0, "hash of " + to_db(path)),
                                      None, None, chunks, {1: vecs})


# -- events --------------------------------------------------------------------------------
def test_a_topic_tells_every_subscriber_in_order_until_unsubscribed():
    events = Events()
    heard: list[str] = []
    stop_first = events.documents_indexed.subscribe(lambda ids: heard.append(f"first {ids}"))
    events.documents_indexed.subscribe(lambda ids: heard.append(f"second {ids}"))
    events.documents_indexed.emit([1, 2])
    stop_first()
    events.documents_indexed.emit([3])
    assert heard == ["first [1, 2]", "second [1, 2]", "second [3]"]


def test_a_failing_document_deleted_subscriber_rolls_the_delete_back(parts):
    store, events, catalog = parts
    doc_id = write_doc(store, catalog, "/nowhere/a.txt", ["alpha text"])

    def refuse(deleted: DocumentDeleted) -> None:
        assert deleted.conn is not None and deleted.document_id == doc_id
        raise RuntimeError("cannot follow")

    events.document_deleted.subscribe(refuse)
    with pytest.raises(RuntimeError), store.write() as conn:
        catalog.delete_document(conn, doc_id)
    assert catalog.document(doc_id).chunks == 1


# -- the catalog ---------------------------------------------------------------------------
def test_catalog_writes_a_document_with_its_chunks_and_vectors(parts):
    store, _, catalog = parts
    doc_id = write_doc(store, catalog, "/nowhere/notes.txt", ["first passage", "second passage"])
    doc = catalog.document(doc_id)
    assert (doc.title, doc.ext, doc.status, doc.chunks) == ("notes", ".txt", INDEXED, 2)
    assert [c.text for c in catalog.chunks_of(doc_id)] == ["first passage", "second passage"]
    assert len(store.read_vectors(1, catalog.chunk_ids_of(doc_id))) == 2
    known = catalog.known_vectors(1, {text_hash("first passage")})
    assert list(known) == [text_hash("first passage")]


def test_catalog_keeps_undecodable_names_and_finds_documents_under_a_folder(parts):
    store, _, catalog = parts
    name = os.fsdecode(b"/data/caf\xe9.txt")          # not UTF-8: a surrogate escape
    write_doc(store, catalog, name, ["bytes in the name"])
    write_doc(store, catalog, "/data2/other.txt", ["elsewhere"])
    assert catalog.known_under("/data") == [name]
    assert from_db(catalog.documents()[0].path) == name


def test_catalog_folders_merge_nested_ones_and_tell_folders_changed(parts, tmp_path):
    _, events, catalog = parts
    changes: list[None] = []
    events.folders_changed.subscribe(changes.append)
    inner = tmp_path / "outer" / "inner"
    inner.mkdir(parents=True)
    catalog.add_folder(inner, follow_links=False)
    outer_id = catalog.add_folder(tmp_path / "outer", follow_links=False)
    assert [f.id for f in catalog.folders()] == [outer_id]
    assert catalog.remove_folder(tmp_path / "outer") == 0
    assert catalog.folders() == [] and len(changes) == 3


def test_deleting_a_document_tells_subscribers_inside_the_write(parts):
    store, events, catalog = parts
    write_doc(store, catalog, "/nowhere/gone.txt", ["soon gone"])
    chunks_seen: list[int] = []
    events.document_deleted.subscribe(lambda d: chunks_seen.extend(
        r[0] for r in d.conn.execute("SELECT id FROM chunks WHERE document_id = ?", (d.document_id,))))
    with store.write() as conn:
        assert catalog.delete_document_at(conn, to_db("/nowhere/gone.txt"))
    assert len(chunks_seen) == 1 and catalog.documents() == []


# -- the vector log follower -----------------------------------------------------------------
def test_vec_log_follower_reports_adds_and_removes_once(parts):
    store, _, catalog = parts
    follower = VecLogFollower(1)
    conn = store.reader()
    first = follower.changes(conn)
    assert first is not None and first.reload          # never read: read everything
    follower.advance(first.upto)
    assert follower.changes(conn) is None and follower.up_to_date(conn)
    doc_id = write_doc(store, catalog, "/nowhere/v.txt", ["one", "two"])
    ids = catalog.chunk_ids_of(doc_id)
    changes = follower.changes(conn)
    assert changes is not None and not changes.reload
    assert sorted(changes.added) == sorted(ids) and changes.removed == []
    follower.advance(changes.upto)
    with store.write() as w:
        catalog.delete_document(w, doc_id)
    changes = follower.changes(conn)
    assert changes is not None and changes.added == [] and sorted(changes.removed) == sorted(ids)
    assert follower.changes(conn, max_changes=1).reload   # more changes than worth patching


# -- the pipeline pieces ------------------------------------------------------------------------
def test_job_queue_keeps_one_job_per_path_and_runs_kinds_in_order(parts):
    store, _, _ = parts
    jobs = JobQueue(store)
    assert jobs.put([("delete", "/a", None), ("index", "/b", None), ("index", "/b", None),
                     ("reindex", "/c", None)]) == 3
    assert jobs.pending() == 3
    first = jobs.next(("index", "reindex", "delete"))
    assert first is not None and (first.kind, from_db(first.path or "")) == ("reindex", "/c")
    cursor = FileJobCursor(jobs)
    a, b = cursor.claim(), cursor.claim()
    assert a is not None and b is not None and (a.kind, b.kind) == ("reindex", "index")
    assert cursor.claim() is None
    jobs.done(a.id)
    assert jobs.pending() == 2


def test_the_file_job_cursor_reads_the_queue_once_and_sees_what_changed(parts, monkeypatch):
    """The lanes' cursor sorts the queue once, not per file; a job deleted after that
    is skipped, and one queued after it is handed out on the next read of the queue
    (when the list runs out, or after REFRESH_S on the cursor's clock)."""
    store, _, _ = parts
    jobs = JobQueue(store)
    jobs.put([("index", f"/f{i}", None) for i in range(6)])
    now = [0.0]
    cursor = FileJobCursor(jobs, clock=lambda: now[0])
    sorts = []
    real_query = store.query
    monkeypatch.setattr(store, "query", lambda sql, *a: (sorts.append(sql) if "ORDER BY" in sql else None)
                        or real_query(sql, *a))
    first = cursor.claim()
    assert first is not None and len(sorts) == 1
    order = [r[0] for r in real_query(f"SELECT id FROM jobs ORDER BY {JOB_ORDER}")]
    assert first.id == order[0]
    jobs.done(order[1])                               # gone before a lane reached it
    second = cursor.claim()
    assert second is not None and second.id == order[2] and len(sorts) == 1
    jobs.put([("reindex", "/changed", None)])          # the watcher asks for a re-read
    assert cursor.claim().id == order[3]               # not yet: the list is still fresh
    now[0] += FileJobCursor.REFRESH_S
    again = cursor.claim()
    assert again is not None and from_db(again.path or "") == "/changed" and len(sorts) == 2
    taken = {first.id, second.id, order[3], again.id}
    rest = [cursor.claim(), cursor.claim()]
    assert {j.id for j in rest if j} == set(order) - taken - {order[1]} and cursor.claim() is None


def _preparer(store: Store, catalog: Catalog) -> tuple[Preparer, JobQueue]:
    jobs = JobQueue(store)
    return Preparer(store, catalog, jobs, one_chunk, lambda: ExtractOptions(ocr=False)), jobs


def test_prepare_extracts_and_chunks_a_new_file(parts, tmp_path):
    store, _, catalog = parts
    preparer, jobs = _preparer(store, catalog)
    f = tmp_path / "note.txt"
    f.write_text("a short note", encoding="utf-8")
    jobs.put([("index", str(f), catalog.add_folder(tmp_path, follow_links=False))])
    job = jobs.next(("index",))
    assert job is not None
    extractor = OneBlockExtractor()
    out = preparer.prepare(job, extractor, IndexReport(), threading.Event())
    assert isinstance(out, Prepared) and extractor.options == ExtractOptions(ocr=False)
    assert [c.text for c in out.chunks] == ["a short note"] and out.result.title == "from the file"
    assert jobs.pending() == 1                      # the job ends with the write, not here


def test_prepare_records_a_file_the_extractor_fails_on_and_finishes_its_job(parts, tmp_path):
    store, _, catalog = parts
    preparer, jobs = _preparer(store, catalog)
    f = tmp_path / "bad.txt"
    f.write_text("whatever", encoding="utf-8")
    jobs.put([("index", str(f), catalog.add_folder(tmp_path, follow_links=False))])
    report = IndexReport()
    job = jobs.next(("index",))
    assert job is not None
    out = preparer.prepare(job, OneBlockExtractor(fail=ValueError("broken")), report, threading.Event())
    assert out == FAILED and jobs.pending() == 0
    doc = catalog.document(str(f))
    assert doc.status == "error" and "broken" in (doc.error or "")
    assert report.failed == 1


def test_prepare_treats_a_vanished_file_as_a_delete(parts, tmp_path):
    store, _, catalog = parts
    preparer, jobs = _preparer(store, catalog)
    gone = tmp_path / "gone.txt"
    write_doc(store, catalog, str(gone), ["it was here"])
    jobs.put([("index", str(gone), None)])
    report = IndexReport()
    job = jobs.next(("index",))
    assert job is not None
    assert preparer.prepare(job, OneBlockExtractor(), report, threading.Event()) == DONE
    assert report.removed == 1 and catalog.documents() == [] and jobs.pending() == 0


def test_grouped_encode_splits_per_document_and_reuses_known_texts(parts):
    store, _, catalog = parts
    write_doc(store, catalog, "/nowhere/old.txt", ["already encoded"])
    enc = WordCountEncoder()
    report = IndexReport()
    out = encode_group([["already encoded", "new one"], ["another"]], [1], catalog, lambda _m: enc,
                       8, report, None)
    assert [m.shape for m in out[1]] == [(2, DIM), (1, DIM)]
    assert enc.encoded == ["new one", "another"]
    assert (report.chunks_encoded, report.chunks_reused) == (2, 1)
    assert np.allclose(out[1][0][0], WordCountEncoder().encode(["already encoded"])[0])


def test_reconcile_queues_new_changed_and_gone_files(parts, tmp_path):
    store, _, catalog = parts
    root = tmp_path / "docs"
    root.mkdir()
    (root / "new.txt").write_text("new", encoding="utf-8")
    folder_id = catalog.add_folder(root, follow_links=False)
    write_doc(store, catalog, str(root / "gone.txt"), ["gone"], folder_id=folder_id)
    jobs = JobQueue(store)
    assert Reconciler(store, catalog, jobs).reconcile() == 2
    queued = sorted((j[0], os.path.basename(from_db(j[1]))) for j in store.query("SELECT kind, path FROM jobs"))
    assert queued == [("delete", "gone.txt"), ("index", "new.txt")]
    assert catalog.folders()[0].last_reconcile is not None and catalog.folders()[0].last_reconcile <= time.time()
