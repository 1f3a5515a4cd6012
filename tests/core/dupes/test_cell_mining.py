"""Mining a large library cell by cell (core/dupes/cell_mine.py): on a small library with
planted copies, rewordings and related passages, told to mine as a large one, it stores
the very pairs a brute-force scan stores; a new document is compared with every
paragraph, its own passages asked and nothing else."""

from __future__ import annotations

import time

import numpy as np
import pytest

import core.dupes.cell_mine as cell_mine
import core.dupes.mining as mining
from core.catalog import text_hash

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


def _as_large(lib, monkeypatch, cells: bool) -> list[np.ndarray]:
    """Mine as a library of over 50,000 paragraphs would: cell by cell (``cells``), or by
    comparing the asked paragraphs with all. Returns the list the asked groups go to."""
    lib.miner.cell_min_groups = 0
    if cells:
        monkeypatch.setattr(cell_mine, "ASKED_EXACT", 0)
    asked: list[np.ndarray] = []
    real = cell_mine.asked_pairs

    def counting(vectors, group, rep_rows, groups, *args):
        asked.append(np.asarray(groups).copy())
        return real(vectors, group, rep_rows, groups, *args)

    monkeypatch.setattr(cell_mine, "asked_pairs", counting)
    return asked


@pytest.mark.parametrize("half", [False, True], ids=["float32", "float16 copy"])
def test_mining_cell_by_cell_finds_the_pairs_of_a_brute_force_scan(planted, half, monkeypatch):
    lib = planted[0]
    lib.miner.cell_min_groups = 10**9                 # the blocked exact scan
    scan = lib.discovery.mine_duplicates(full=True)
    assert not scan.by_cells
    by_scan = _pairs(lib)
    kinds = [k for k, _ in by_scan.values()]
    assert kinds.count("exact") >= 20 and kinds.count("near") >= 55 and kinds.count("related") >= 35
    scan_clusters = lib.store.count("SELECT COUNT(*) FROM dupes_clusters")

    if half:        # mining's own copy of the vectors in half precision, as from 200,000 up
        lib.miner.half_from = 0
        lib.miner.close()
        monkeypatch.setattr(mining, "RESCORE_PAIRS", 7)     # scored again from the store in many blocks
    _as_large(lib, monkeypatch, cells=True)
    mined = lib.discovery.mine_duplicates(full=True)
    assert (lib.miner._vectors[lib.versions.active_model_id()][1].vecs.dtype == np.float16) is half
    assert mined.by_cells
    assert _same(_pairs(lib), by_scan)
    assert lib.store.count("SELECT COUNT(*) FROM dupes_clusters") == scan_clusters
    assert (mined.pairs_exact, mined.pairs_near, mined.pairs_related) == (
        scan.pairs_exact, scan.pairs_near, scan.pairs_related)


def test_a_new_document_is_mined_by_asking_about_its_own_passages_only(planted, monkeypatch):
    lib, vecs, texts, plain = planted
    a, b = plain[50], plain[700]
    asked = _as_large(lib, monkeypatch, cells=False)
    lib.discovery.mine_duplicates(full=True)          # 1,500 x 1,500 under the budget: all with all
    before = _pairs(lib)
    asked.clear()

    rng = np.random.default_rng(5)
    new_texts = [texts[a].replace(" says ", " states "), texts[b].replace(" says ", " states ")]
    new_texts += [_text(rng, 5000 + i) for i in range(3)]
    new_vecs = np.stack([_near(rng, vecs[a], 0.95), _near(rng, vecs[b], 0.93)]
                        + [_near(rng, rng.standard_normal(vecs.shape[1]).astype(np.float32)
                                 / np.sqrt(vecs.shape[1]), 1.0) for _ in range(3)])
    _, new_ids = _add_document(lib, "added", new_texts, new_vecs)
    report = lib.discovery.mine_duplicates()

    assert report.mined == 5 and not report.full and not report.by_cells
    assert sum(len(m) for m in asked) == 5             # nothing else was asked about
    after = _pairs(lib)
    added = {p: v for p, v in after.items() if p not in before}
    assert _same({p: v for p, v in after.items() if p in before}, before)
    assert all(x in new_ids or y in new_ids for x, y in added)   # only pairs of the new passages
    near = {x if y in new_ids else y for (x, y), (kind, _) in added.items() if kind == "near"}
    assert near == {a + 1, b + 1}                      # chunk ids follow the passages' order from 1


def _clustered(rng: np.random.Generator, clusters: int, size: int, dim: int, spread: float) -> np.ndarray:
    centres = rng.standard_normal((clusters, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    vecs = np.repeat(centres, size, axis=0) + spread * rng.standard_normal((clusters * size, dim)) / np.sqrt(dim)
    return (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float16)


def _as_pairs(hits) -> dict[tuple[int, int], float]:
    out: dict[tuple[int, int], float] = {}
    for gi, gj, sims in hits:
        for a, b, v in zip(gi.tolist(), gj.tolist(), sims.tolist(), strict=True):
            out[(min(a, b), max(a, b))] = v
    return out


def test_cells_and_the_asked_scan_give_the_exact_pairs_of_half_precision_vectors():
    """Eighty topics of fifty paragraphs (float16, as mining holds a large library), every
    paragraph its own group except copies: the cell-by-cell mining and the scan of a few
    asked paragraphs keep exactly the pairs a full float32 product keeps, with its scores,
    and the same library mined twice gives the same pairs."""
    rng = np.random.default_rng(11)
    vecs = _clustered(rng, 80, 50, 48, spread=0.55)
    group = np.arange(vecs.shape[0])
    group[1::50] = group[0::50]            # the second paragraph of each topic copies the first
    _, rep_rows, group = np.unique(group, return_index=True, return_inverse=True)
    full = vecs[rep_rows].astype(np.float32) @ vecs[rep_rows].astype(np.float32).T
    threshold = 0.8
    a, b = np.nonzero(np.triu(full >= threshold, 1))
    truth = {(int(x), int(y)): float(full[x, y]) for x, y in zip(a, b, strict=True)}
    assert 5_000 < len(truth) < 80 * 1225       # pairs inside topics (some of each), none across

    every = np.arange(rep_rows.size)
    by_cells = _as_pairs(cell_mine.cell_pairs(vecs, rep_rows, every, threshold))
    assert by_cells.keys() == truth.keys()
    assert max(abs(by_cells[p] - truth[p]) for p in truth) < 1e-5
    assert _as_pairs(cell_mine.cell_pairs(vecs, rep_rows, every, threshold)) == by_cells

    asked = np.array([0, 7, 1500, 3000])
    scanned = _as_pairs(cell_mine.asked_pairs(vecs, group, rep_rows, asked, threshold))
    assert scanned.keys() == {p for p in truth if p[0] in asked or p[1] in asked}


def test_a_run_of_more_documents_than_sqlite_takes_parameters_is_hashed_for_mining(tiny_library):
    """The end of a run tells mining every document it wrote: 40,000 ids (a 50,000-file
    first run) once failed the whole run with "too many SQL variables"."""
    lib = tiny_library
    dim = int(lib.store.query_one("SELECT dim FROM models WHERE id = ?", (lib.versions.active_model_id(),))[0])
    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((3, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    doc, ids = _add_document(lib, "one", [_text(rng, i) for i in range(3)], vecs)
    with lib.store.write() as conn:
        conn.execute("DELETE FROM dupes_norm")
    lib.events.documents_indexed.emit([doc, *range(10**6, 10**6 + 40_000)])
    hashed = {r[0] for r in lib.store.query("SELECT chunk_id FROM dupes_norm")}
    assert hashed == set(ids)


def test_a_family_of_more_near_copies_than_the_cap_is_one_cluster_of_each_ones_nearest(tiny_library, monkeypatch):
    """A template paragraph with a number in 40 documents ("Added on a later day, paragraph
    N"): 780 near pairs. Mining keeps each paragraph's nearest (the cap, here 8, is 64 in
    use), never all of them, and still shows the family as one cluster of 40."""
    lib = tiny_library
    cap = 8
    monkeypatch.setattr(cell_mine, "MAX_PER_ROW", cap)
    monkeypatch.setattr(mining, "MAX_PER_ROW", cap)
    dim = int(lib.store.query_one("SELECT dim FROM models WHERE id = ?", (lib.versions.active_model_id(),))[0])
    rng = np.random.default_rng(40)
    centre = rng.standard_normal(dim).astype(np.float32)
    centre /= np.linalg.norm(centre)
    family = np.stack([_near(rng, centre, 0.975) for _ in range(40)])
    chunk_of = []
    for i in range(40):
        others = rng.standard_normal((3, dim)).astype(np.float32)
        others /= np.linalg.norm(others, axis=1, keepdims=True)
        texts = [f"Added on a later day, paragraph {1000 + i} of the changed files."] + [
            _text(rng, 10 * i + k) for k in range(3)]
        _, ids = _add_document(lib, f"changed{i}", texts, np.vstack([family[i], others]))
        chunk_of.append(ids[0])
    _as_large(lib, monkeypatch, cells=True)
    report = lib.discovery.mine_duplicates(full=True)
    assert report.by_cells
    pairs = {(a, b) for a, b in lib.store.query(
        "SELECT chunk_a, chunk_b FROM dupes_pairs WHERE kind = 'near'")}
    sims = family @ family.T
    assert (sims[np.triu_indices(40, 1)] >= 0.85).all()         # every one of the 780 pairs is near
    assert 40 * cap / 2 <= len(pairs) < 780
    for i in range(40):          # each paragraph's `cap` nearest are all there
        nearest = [j for j in np.argsort(-sims[i]) if j != i][:cap]
        for j in nearest:
            a, b = sorted((chunk_of[i], chunk_of[j]))
            assert (a, b) in pairs
    marks = ",".join("?" * 40)
    clusters = lib.store.query(
        f"SELECT cluster_id, COUNT(*) FROM dupes_members WHERE chunk_id IN ({marks}) GROUP BY cluster_id",
        tuple(chunk_of))
    assert [n for _, n in clusters] == [40]
