"""Mining through the search's ANN graph: candidates from the graph, scored exactly.

The blocked scan (core/dupes/mine.py) compares every group with every other: n^2 / 2
products, 82 s at 100,000 passages and over an hour at a million. Here each group's
representative asks the accelerator the search already keeps (core/search/accel.py, a
usearch HNSW graph kept in step with the store) for its nearest passages; the candidates
are mapped to their groups and scored exactly with the float vectors, so every pair kept
has the similarity a scan would give it. A row whose candidates all pass the threshold
may have more beyond them: it is asked again, wider (up to ``WIDE_NEIGHBOURS``), which
keeps a paragraph with many copies from hiding its other neighbours. What the graph can
miss is measured (bench/bench_archive.py, recall against an exact scan), never assumed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

import numpy as np

from core.cancel import CancelToken
from core.dupes.mine import MAX_PER_ROW, Hits, _cap_rows

NEIGHBOURS = 24          # candidates asked per group representative
WIDE_NEIGHBOURS = 128    # asked again when all of them passed the threshold
BATCH = 256              # representatives per graph search (a search waits at most for one batch)


LOST_BREADTH = 1024      # search breadth for a row whose own passage the graph did not return


class NeighbourGraph(Protocol):
    def neighbours(self, mat: np.ndarray, count: int, breadth: int = ...) -> np.ndarray: ...


def graph_pairs(
    graph: NeighbourGraph,
    ids: np.ndarray,
    group: np.ndarray,
    rep_rows: np.ndarray,
    vectors: np.ndarray,
    query_groups: np.ndarray,
    threshold: float,
    cancel: CancelToken | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[Hits]:
    """Group pairs (g in ``query_groups``, h != g) with similarity >= threshold.

    ``ids`` are the corpus's chunk ids (sorted), ``group`` each row's group, ``rep_rows``
    each group's representative row and ``vectors`` the rows' normalized vectors; a
    group's vector is its representative's, as in the blocked scan."""
    total = int(query_groups.size)
    for s in range(0, total, BATCH):
        if cancel is not None:
            cancel.raise_if_cancelled()
        qg = query_groups[s : s + BATCH].astype(np.int64)
        qvecs = vectors[rep_rows[qg]].astype(np.float32, copy=False)
        keys = graph.neighbours(qvecs, NEIGHBOURS)
        rows, cols, sims, full = _score(keys, ids, group, rep_rows, vectors, qg, qvecs, threshold)
        wide = np.flatnonzero(full)
        lost = np.setdiff1d(np.flatnonzero(~_found_itself(keys, ids, group, qg)), wide)
        if lost.size:   # the search strayed into another region of the graph: again, far wider
            keep = ~np.isin(rows, lost)
            rows, cols, sims = rows[keep], cols[keep], sims[keep]
            l_rows, l_cols, l_sims, _ = _score(graph.neighbours(qvecs[lost], WIDE_NEIGHBOURS, LOST_BREADTH), ids,
                                               group, rep_rows, vectors, qg[lost], qvecs[lost], threshold)
            rows = np.concatenate([rows, lost[l_rows]])
            cols, sims = np.concatenate([cols, l_cols]), np.concatenate([sims, l_sims])
        if wide.size:
            keep = ~np.isin(rows, wide)
            rows, cols, sims = rows[keep], cols[keep], sims[keep]
            w_rows, w_cols, w_sims, _ = _score(graph.neighbours(qvecs[wide], WIDE_NEIGHBOURS), ids, group,
                                               rep_rows, vectors, qg[wide], qvecs[wide], threshold)
            rows = np.concatenate([rows, wide[w_rows]])
            cols, sims = np.concatenate([cols, w_cols]), np.concatenate([sims, w_sims])
        rows, cols, sims = _cap_rows(rows, cols, sims, MAX_PER_ROW)
        yield qg[rows], cols, sims
        if progress:
            progress(min(s + BATCH, total), total)


def _found_itself(keys: np.ndarray, ids: np.ndarray, group: np.ndarray, qg: np.ndarray) -> np.ndarray:
    """Per query row: is a passage of its own group among its candidates? The graph answers
    a passage's own vector with that passage unless the search lost its way (measured: 4 %
    of the rows of bench-archive's 100,000-passage library, whose rotated copies make
    far-apart regions)."""
    pos = np.clip(np.searchsorted(ids, keys), 0, max(ids.size - 1, 0))
    valid = (keys >= 0) & (ids[pos] == keys) if ids.size else np.zeros(keys.shape, bool)
    return (valid & (group[pos] == qg[:, None])).any(axis=1)


def _score(
    keys: np.ndarray, ids: np.ndarray, group: np.ndarray, rep_rows: np.ndarray, vectors: np.ndarray,
    qg: np.ndarray, qvecs: np.ndarray, threshold: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(query row, candidate group, similarity) of each distinct candidate group at or
    above the threshold, and per query row whether every candidate passed."""
    pos = np.clip(np.searchsorted(ids, keys), 0, max(ids.size - 1, 0))
    valid = (keys >= 0) & (ids[pos] == keys) if ids.size else np.zeros(keys.shape, bool)
    cand = np.where(valid, group[pos], -1)
    valid &= cand != qg[:, None]
    r, c = np.nonzero(valid)
    g = cand[r, c]
    # one score per (row, group): copies of a paragraph are one group
    key = r.astype(np.int64) * (int(group.max(initial=0)) + 1) + g
    _, first = np.unique(key, return_index=True)
    r, g = r[first], g[first]
    sims = np.einsum("ij,ij->i", vectors[rep_rows[g]].astype(np.float32, copy=False), qvecs[r])
    passed = sims >= threshold
    below = np.bincount(r[~passed], minlength=qg.size)
    asked = (keys >= 0).sum(axis=1)
    full = (below == 0) & (asked == keys.shape[1]) & (keys.shape[1] < WIDE_NEIGHBOURS)
    return r[passed], g[passed], sims[passed], full
