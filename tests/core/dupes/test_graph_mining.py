"""Mining similar paragraphs through the search's ANN graph (issue 27): on a small library
with planted copies, rewordings and related passages it stores the very pairs a
brute-force scan stores, and a new document is mined by asking the graph about its own
passages only."""

from __future__ import annotations

import time

import numpy as np
import pytest

import core.dupes.mining as mining
from core.catalog import text_hash
from core.search.accel import Accelerator

WORDS = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda omicron sigma tau "
         "upsilon omega river stone cloud paper garden window engine silver harbour lantern").split()


def _text(rng: np.random.Generator, i: int) -> str:
    return f"Passage {i} says " + " ".join(rng.choice(WORDS, size=14)) + "."


def _near(rng: np.random.Generator, v: np.ndarray, cos: float) -> np.ndarray:
    noise = rng.standard_normal(v.size).astype(np.float32)
    noise -= (noise @ v) * v
    noise /= np.linalg.norm(noise)
    out = cos * v + np.sqrt(1 - cos**2) * noise
    return (out / np.linalg.norm(out)).astype(np.float32)


def _add_document(lib, name: str, texts: list[str], vectors: np.ndarray) -> tuple[int, list[int]]:
    model_id = lib.versions.active_model_id()
    with lib.store.write() as conn:
        conn.execute("INSERT INTO documents(path, ext, size, mtime, status, indexed_at) VALUES (?,?,?,?,?,?)",
                     (f"/synthetic/{name}.txt", ".txt", 1, 0.0, "indexed", time.time()))
        doc = conn.last_insert_rowid()
        ids, pos = [], 0
        for i, t in enumerate(texts):
            conn.execute("INSERT INTO chunks(document_id, ord, text, text_hash, char_start, char_end) "
                         "VALUES (?,?,?,?,?,?)", (doc, i, t, text_hash(t), pos, pos + len(t)))
            ids.append(conn.last_insert_rowid())
            pos += len(t) + 2
        lib.store.ensure_vec_table(conn, model_id, vectors.shape[1])
        lib.store.put_vectors(conn, model_id, ids, vectors)
    lib.events.documents_indexed.emit([doc])
    return doc, ids


@pytest.fixture
def planted(tiny_library):
    """1,500 passages in 75 documents: random directions, plus 60 reworded copies (cosine
    0.90-0.97, one word changed), 40 related passages (0.72-0.80) and 20 verbatim copies."""
    lib = tiny_library
    dim = int(lib.store.query_one("SELECT dim FROM models WHERE id = ?", (lib.versions.active_model_id(),))[0])
    rng = np.random.default_rng(27)
    n = 1500
    vecs = rng.standard_normal((n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    texts = [_text(rng, i) for i in range(n)]
    targets = rng.permutation(np.arange(800, n))[:120]   # their sources lie in other documents
    for k, dst in enumerate(targets):
        src = int(rng.integers(0, 20)) if k < 20 else int(dst) - 780
        if k < 20:                                     # verbatim copy
            vecs[dst], texts[dst] = vecs[src], texts[src]
        elif k < 80:                                   # reworded: one word changed
            vecs[dst] = _near(rng, vecs[src], float(rng.uniform(0.90, 0.97)))
            texts[dst] = texts[src].replace(" says ", " tells ")
        else:                                          # related only
            vecs[dst] = _near(rng, vecs[src], float(rng.uniform(0.72, 0.80)))
    for d in range(0, n, 20):
        _add_document(lib, f"doc{d // 20}", texts[d : d + 20], vecs[d : d + 20])
    planted_rows = set(targets.tolist()) | set((targets - 780).tolist()) | set(range(20))
    plain = [i for i in range(n) if i not in planted_rows]   # passages without a planted partner
    return lib, vecs, texts, plain


def _pairs(lib) -> dict[tuple[int, int], tuple[str, float]]:
    return {(a, b): (kind, cos) for a, b, kind, cos in lib.store.query(
        "SELECT chunk_a, chunk_b, kind, cosine FROM dupes_pairs WHERE model_id = ?", (lib.versions.active_model_id(),))}


def _same(found: dict, expected: dict) -> bool:
    """The same pairs of the same kinds, with cosines equal to float32 rounding."""
    return found.keys() == expected.keys() and all(
        found[p][0] == expected[p][0] and abs(found[p][1] - expected[p][1]) < 1e-5 for p in found)


class CountingGraph:
    """The accelerator, with a count of the representatives mining asked about."""

    def __init__(self, acc: Accelerator) -> None:
        self.acc = acc
        self.asked: list[np.ndarray] = []

    def neighbours(self, mat: np.ndarray, count: int, breadth: int = 128) -> np.ndarray:
        self.asked.append(np.asarray(mat).copy())
        return self.acc.neighbours(mat, count, breadth)


def _through_graph(lib) -> CountingGraph:
    """Mining through an HNSW graph even at this size (the library's default starts at 50,000)."""
    acc = Accelerator(lib.store, lib.versions.active_model_id(), ann_threshold=1)
    acc.sync()
    assert acc.uses_ann
    graph = CountingGraph(acc)
    lib.miner.graph = lambda _model_id: graph
    lib.miner.graph_min_groups = 0
    return graph


@pytest.mark.parametrize("half", [False, True], ids=["float32", "float16 copy"])
def test_mining_through_the_graph_finds_the_pairs_of_a_brute_force_scan(planted, half, monkeypatch):
    lib = planted[0]
    lib.miner.graph_min_groups = 10**9                 # the blocked exact scan
    scan = lib.discovery.mine_duplicates(full=True)
    assert not scan.through_graph
    by_scan = _pairs(lib)
    kinds = [k for k, _ in by_scan.values()]
    assert kinds.count("exact") >= 20 and kinds.count("near") >= 55 and kinds.count("related") >= 35
    scan_clusters = lib.store.count("SELECT COUNT(*) FROM dupes_clusters")

    if half:        # mining's own copy of the vectors in half precision, as from 200,000 up
        lib.miner.half_from = 0
        lib.miner.close()
        monkeypatch.setattr(mining, "RESCORE_PAIRS", 7)     # scored again from the store in many blocks
    _through_graph(lib)
    mined = lib.discovery.mine_duplicates(full=True)
    assert (lib.miner._vectors[lib.versions.active_model_id()][1].vecs.dtype == np.float16) is half
    assert mined.through_graph
    assert _same(_pairs(lib), by_scan)
    assert lib.store.count("SELECT COUNT(*) FROM dupes_clusters") == scan_clusters
    assert (mined.pairs_exact, mined.pairs_near, mined.pairs_related) == (
        scan.pairs_exact, scan.pairs_near, scan.pairs_related)


def test_a_new_document_is_mined_by_asking_about_its_own_passages_only(planted):
    lib, vecs, texts, plain = planted
    a, b = plain[50], plain[700]
    graph = _through_graph(lib)
    lib.discovery.mine_duplicates(full=True)
    before = _pairs(lib)
    graph.asked.clear()

    rng = np.random.default_rng(5)
    new_texts = [texts[a].replace(" says ", " states "), texts[b].replace(" says ", " states ")]
    new_texts += [_text(rng, 5000 + i) for i in range(3)]
    new_vecs = np.stack([_near(rng, vecs[a], 0.95), _near(rng, vecs[b], 0.93)]
                        + [_near(rng, rng.standard_normal(vecs.shape[1]).astype(np.float32)
                                 / np.sqrt(vecs.shape[1]), 1.0) for _ in range(3)])
    _, new_ids = _add_document(lib, "added", new_texts, new_vecs)
    report = lib.discovery.mine_duplicates()

    assert report.mined == 5 and not report.full and report.through_graph
    assert sum(len(m) for m in graph.asked) == 5       # nothing else was looked up
    after = _pairs(lib)
    added = {p: v for p, v in after.items() if p not in before}
    assert _same({p: v for p, v in after.items() if p in before}, before)
    assert all(x in new_ids or y in new_ids for x, y in added)   # only pairs of the new passages
    near = {x if y in new_ids else y for (x, y), (kind, _) in added.items() if kind == "near"}
    assert near == {a + 1, b + 1}                      # chunk ids follow the passages' order from 1
