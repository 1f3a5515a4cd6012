"""The vector accelerator on a real store with synthetic vectors: it agrees with exact
search, follows adds/deletes/re-adds written through the store, rebuilds when the log no
longer covers what it has seen, and reuses a saved graph only when it is still valid."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from core.search.accel import Accelerator
from core.store import Store

DIM = 24


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    m = rng.standard_normal((n, DIM)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "acc.sqlite")
    with s.write() as conn:
        conn.execute("INSERT INTO models(id, name, path, dim, created_at) VALUES (1, 'synthetic', '-', ?, 0)", (DIM,))
        s.ensure_vec_table(conn, 1, DIM)
    yield s
    s.close()


def _put(store: Store, ids: list[int], mat: np.ndarray) -> None:
    with store.write() as conn:
        store.put_vectors(conn, 1, ids, mat)


def _delete(store: Store, ids: list[int]) -> None:
    with store.write() as conn:
        store.delete_vectors(conn, ids)


def _exact(ids: np.ndarray, mat: np.ndarray, q: np.ndarray, k: int) -> list[int]:
    return ids[np.argsort(-(mat @ q), kind="stable")[:k]].tolist()


def test_exact_engine_matches_brute_force_and_follows_changes(store):
    rng = np.random.default_rng(0)
    mat = _unit(rng, 500)
    ids = list(range(1, 501))
    _put(store, ids, mat)
    acc = Accelerator(store, 1)
    q = _unit(rng, 1)[0]
    assert acc.search(q, 10).ids.tolist() == _exact(np.array(ids), mat, q, 10)
    assert not acc.uses_ann

    # Add the query itself as a new vector: it becomes the top hit at once.
    _put(store, [9999], q[None, :])
    hits = acc.search(q, 3)
    assert hits.ids[0] == 9999 and hits.scores[0] == pytest.approx(1.0, abs=1e-5)

    # Delete it: gone. Re-add it under the same id with another vector: follows that.
    _delete(store, [9999])
    assert 9999 not in acc.search(q, 50).ids.tolist()
    _put(store, [9999], (-q)[None, :])
    assert 9999 not in acc.search(q, 10).ids.tolist()
    _delete(store, [9999])
    _put(store, [9999], q[None, :])
    assert acc.search(q, 1).ids.tolist() == [9999]
    assert acc.rebuilds == 1 and len(acc) == 501


def test_filter_restricts_results(store):
    rng = np.random.default_rng(1)
    mat = _unit(rng, 300)
    ids = np.arange(1, 301)
    _put(store, ids.tolist(), mat)
    acc = Accelerator(store, 1)
    allowed = ids[ids % 7 == 0]
    q = _unit(rng, 1)[0]
    hits = acc.search(q, 5, allowed=allowed)
    assert set(hits.ids.tolist()) <= set(allowed.tolist())
    rows = allowed - 1
    assert hits.ids.tolist() == _exact(allowed, mat[rows], q, 5)


def test_ann_engine_recall_deletes_and_filters(store):
    rng = np.random.default_rng(2)
    n = 3000
    mat = _unit(rng, n)
    ids = np.arange(1, n + 1)
    _put(store, ids.tolist(), mat)
    acc = Accelerator(store, 1, ann_threshold=1000)
    acc.sync()
    assert acc.uses_ann
    queries = _unit(rng, 30)
    recall = np.mean([
        len(set(acc.search(q, 10).ids.tolist()) & set(_exact(ids, mat, q, 10))) / 10 for q in queries
    ])
    assert recall >= 0.97
    # The graph's candidates are re-scored with the stored float vectors: the scores are
    # the exact cosines and the order follows them.
    h = acc.search(queries[0], 5)
    assert np.allclose(h.scores, mat[h.ids - 1] @ queries[0], atol=1e-5)
    assert list(h.scores) == sorted(h.scores, reverse=True)

    top = acc.search(queries[0], 3).ids.tolist()
    _delete(store, top)
    after = acc.search(queries[0], 10).ids.tolist()
    assert not set(top) & set(after)

    # A narrow filter (exact over the subset) and a wide one (over-fetch + post-filter).
    narrow = ids[:40]
    assert acc.search(queries[1], 5, allowed=narrow).ids.tolist() == _exact(narrow, mat[:40], queries[1], 5)
    wide = ids[ids % 2 == 0]
    wide_hits = acc.search(queries[1], 10, allowed=wide).ids.tolist()
    assert len(wide_hits) == 10 and all(i % 2 == 0 for i in wide_hits)


def test_switches_to_ann_when_growing(store):
    rng = np.random.default_rng(3)
    _put(store, list(range(1, 101)), _unit(rng, 100))
    acc = Accelerator(store, 1, ann_threshold=400)
    assert not acc.uses_ann
    more = _unit(rng, 400)
    _put(store, list(range(101, 501)), more)
    q = more[123]
    assert acc.search(q, 1).ids.tolist() == [224]
    assert acc.uses_ann and len(acc) == 500


def test_rebuilds_when_log_pruned_past_its_position(store):
    rng = np.random.default_rng(4)
    _put(store, list(range(1, 51)), _unit(rng, 50))
    acc = Accelerator(store, 1)
    acc.search(_unit(rng, 1)[0], 5)
    assert acc.rebuilds == 1
    new = _unit(rng, 10)
    _put(store, list(range(51, 61)), new)
    _delete(store, [1, 2, 3])
    with store.write() as conn:      # someone compacts the log, including rows we never saw
        conn.execute("DELETE FROM vec_log")
    _put(store, [61], new[:1])
    hits = acc.search(new[0], 2)
    assert acc.rebuilds == 2
    assert set(hits.ids.tolist()) == {51, 61}
    assert len(acc) == 50 - 3 + 11


def test_saved_graph_is_reused_only_when_valid(store, tmp_path):
    rng = np.random.default_rng(5)
    mat = _unit(rng, 1200)
    _put(store, list(range(1, 1201)), mat)
    path = tmp_path / "acc.m1.usearch"
    acc = Accelerator(store, 1, ann_threshold=1000, persist_path=path)
    acc.sync()
    assert acc.save() and path.exists()

    extra = _unit(rng, 5)
    _put(store, list(range(2001, 2006)), extra)
    _delete(store, [7])
    loaded = Accelerator(store, 1, ann_threshold=1000, persist_path=path)
    assert loaded.search(extra[2], 1).ids.tolist() == [2003]
    assert loaded.rebuilds == 0 and len(loaded) == 1204        # loaded, then caught up
    assert 7 not in loaded.search(mat[6], 5).ids.tolist()

    with store.write() as conn:        # the log no longer covers the saved seq: stale
        conn.execute("DELETE FROM vec_log")
    _put(store, [3001], extra[:1])
    stale = Accelerator(store, 1, ann_threshold=1000, persist_path=path)
    stale.sync()
    assert stale.rebuilds == 1 and len(stale) == 1205


def test_concurrent_searches_while_vectors_change(store):
    rng = np.random.default_rng(6)
    _put(store, list(range(1, 201)), _unit(rng, 200))
    acc = Accelerator(store, 1)
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        qs = _unit(np.random.default_rng(7), 20)
        try:
            while not stop.is_set():
                for q in qs:
                    assert len(acc.search(q, 5).ids) == 5
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(20):
        _put(store, [1000 + i], _unit(rng, 1))
        _delete(store, [1 + i])
        time.sleep(0.005)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    acc.sync()
    assert len(acc) == 200


def test_saved_graph_opens_memory_mapped_and_is_written_again_only_when_changed(store, tmp_path):
    rng = np.random.default_rng(6)
    mat = _unit(rng, 1200)
    _put(store, list(range(1, 1201)), mat)
    path = tmp_path / "acc.m1.usearch"
    built = Accelerator(store, 1, ann_threshold=1000, persist_path=path)
    built.sync()
    assert built.save()
    assert not built.save()                    # nothing new: the file is not written again
    written = path.stat().st_mtime_ns

    opened = Accelerator(store, 1, ann_threshold=1000, persist_path=path)
    assert opened.search(mat[41], 1).ids.tolist() == [42]
    assert opened.rebuilds == 0 and opened._ann is not None and opened._ann.viewed == path
    assert not opened.save() and path.stat().st_mtime_ns == written

    extra = _unit(rng, 1)
    _put(store, [5001], extra)                 # a change: the graph is loaded, then saved
    assert opened.search(extra[0], 1).ids.tolist() == [5001]
    assert opened._ann.viewed is None and opened.save()
    again = Accelerator(store, 1, ann_threshold=1000, persist_path=path)
    assert again.search(extra[0], 1).ids.tolist() == [5001] and again.rebuilds == 0
