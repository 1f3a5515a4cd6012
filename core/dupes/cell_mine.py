"""Mining a large library cell by cell: the exact scan, only where the pairs can be.

The blocked scan (core/dupes/mine.py) compares every paragraph with every other, n^2 / 2
products: 82 s at 100,000 passages and over an hour at a million. Here the distinct
paragraphs (groups; a group's vector is its representative's, as in the scan) are parted
into cells by spherical k-means trained on a sample, each living in the cell of its
nearest centroid. A paragraph asked about is compared exactly, one matrix product per
cell, with the paragraphs of the ``PROBES`` cells whose centroids lie nearest to it. Two
paragraphs similar enough to matter share such a cell unless both sit far out on cell
borders; how often that happens is measured (bench/bench_archive.py: recall of near
pairs against an exact scan of 5,000 rows), never assumed. Every pair kept carries the
similarity the full scan gives it, and a pair can come from both of its sides (the
caller keeps it once).

When few paragraphs are asked about (a new document), training cells would cost more
than the answer: ``asked_pairs`` compares them with every paragraph.

Vectors may be float16 (mining's copy from 200,000 up): they are turned into float32 a
block at a time, never all at once.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice

import numpy as np

from core.cancel import CancelToken
from core.dupes.mine import MAX_PER_ROW, Hits, _cap_rows

PROBES = 8               # nearest cells each asked paragraph is compared with
CELLS_PER_ROOT = 2.0     # cells = 2 x sqrt(paragraphs): about 500 paragraphs a cell at a million
SAMPLE_PER_CELL = 48     # k-means learns from this many paragraphs per cell
ROUNDS = 6               # k-means rounds
ASKED_EXACT = 10**9      # asked x all comparisons up to which the asked meet every paragraph
ROW_BLOCK = 16_384       # paragraphs turned into float32 and compared together
ASK_BLOCK = 2_048        # asked paragraphs per matrix product


Progress = Callable[[int, int], None]


def _rows32(vectors: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return vectors[rows].astype(np.float32, copy=False)


def _by_cell(cells: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(order, offsets): the positions of cell c's entries are order[offsets[c]:offsets[c + 1]]."""
    order = np.argsort(cells, kind="stable")
    offsets = np.concatenate(([0], np.cumsum(np.bincount(cells, minlength=k)))).astype(np.int64)
    return order, offsets


def _compare(asked: np.ndarray, asked_vecs: np.ndarray, others: np.ndarray, others_vecs: np.ndarray,
             threshold: float) -> Hits:
    """(asked group, other group, similarity) at or above the threshold, never a group with
    itself; at most MAX_PER_ROW per asked group, the strongest."""
    sims = asked_vecs @ others_vecs.T
    r, c = np.nonzero(sims >= threshold)
    vals = sims[r, c]
    keep = asked[r] != others[c]
    r, c, vals = _cap_rows(r[keep], c[keep], vals[keep], MAX_PER_ROW)
    return asked[r], others[c], vals


def asked_pairs(
    vectors: np.ndarray, group: np.ndarray, rep_rows: np.ndarray, asked: np.ndarray, threshold: float,
    cancel: CancelToken | None = None, progress: Progress | None = None,
) -> Iterator[Hits]:
    """Pairs (g in ``asked``, h != g) at or above the threshold, by comparing the asked
    groups with every group exactly. ``group`` is each row's group. The rows are read in
    place, a slice at a time, and only the representatives' similarities are kept: turning
    float16 into float32 is most of the work, and other threads do it (numpy lets go of
    the GIL there) while this one compares."""
    rows = vectors.shape[0]
    is_rep = np.zeros(rows, bool)
    is_rep[rep_rows] = True
    asked_vecs = _rows32(vectors, rep_rows[asked])

    def block(s: int) -> tuple[int, np.ndarray]:
        return s, vectors[s : s + ROW_BLOCK].astype(np.float32, copy=False)

    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        starts = iter(range(0, rows, ROW_BLOCK))
        ahead = deque(pool.submit(block, s) for s in islice(starts, workers))   # a few blocks ahead, not all
        while ahead:
            s, block_vecs = ahead.popleft().result()
            ahead.extend(pool.submit(block, s) for s in islice(starts, 1))
            if cancel is not None:
                cancel.raise_if_cancelled()
            sims = asked_vecs @ block_vecs.T
            r, c = np.nonzero(sims >= threshold)
            vals = sims[r, c]
            c += s
            keep = is_rep[c] & (group[c] != asked[r])
            r, c, vals = _cap_rows(r[keep], group[c[keep]], vals[keep], MAX_PER_ROW)
            yield asked[r], c, vals
            if progress:
                progress(min(rows, s + ROW_BLOCK), rows)


def cell_count(groups: int) -> int:
    return int(min(groups, max(1, round(CELLS_PER_ROOT * np.sqrt(groups)))))


def train_cells(vectors: np.ndarray, rep_rows: np.ndarray, k: int, rng: np.random.Generator,
                cancel: CancelToken | None = None) -> np.ndarray:
    """k unit centroids [k, dim] by spherical k-means over a sample of the groups."""
    groups = rep_rows.size
    sample = np.sort(rng.choice(groups, min(groups, SAMPLE_PER_CELL * k), replace=False))
    x = _rows32(vectors, rep_rows[sample])
    centroids = x[rng.choice(x.shape[0], k, replace=False)].copy()
    for _ in range(ROUNDS):
        if cancel is not None:
            cancel.raise_if_cancelled()
        home = np.concatenate([np.argmax(x[s : s + ROW_BLOCK] @ centroids.T, axis=1)
                               for s in range(0, x.shape[0], ROW_BLOCK)])
        sums = np.zeros_like(centroids)
        np.add.at(sums, home, x)
        empty = np.flatnonzero(np.bincount(home, minlength=k) == 0)
        sums[empty] = x[rng.choice(x.shape[0], empty.size, replace=False)]   # an empty cell starts again
        centroids = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return centroids.astype(np.float32, copy=False)


def place(vectors: np.ndarray, rep_rows: np.ndarray, centroids: np.ndarray, asked: np.ndarray, probes: int,
          cancel: CancelToken | None = None, progress: Progress | None = None,
          steps: tuple[int, int] = (0, 0)) -> tuple[np.ndarray, np.ndarray]:
    """(each group's cell [groups], each asked group's ``probes`` nearest cells [asked, probes])."""
    groups = rep_rows.size
    home = np.empty(groups, np.int64)
    nearest = np.empty((asked.size, probes), np.int64)
    is_asked = np.zeros(groups, bool)
    is_asked[asked] = True
    for s in range(0, groups, ROW_BLOCK):
        if cancel is not None:
            cancel.raise_if_cancelled()
        block = np.arange(s, min(groups, s + ROW_BLOCK))
        sims = _rows32(vectors, rep_rows[block]) @ centroids.T
        home[block] = np.argmax(sims, axis=1)
        chosen = is_asked[block]
        if chosen.any():
            where = np.searchsorted(asked, block[chosen])
            nearest[where] = np.argpartition(-sims[chosen], probes - 1, axis=1)[:, :probes]
        if progress:
            progress(steps[0] + s // ROW_BLOCK + 1, steps[1])
    return home, nearest


def cell_pairs(
    vectors: np.ndarray, rep_rows: np.ndarray, asked: np.ndarray, threshold: float,
    cancel: CancelToken | None = None, progress: Progress | None = None, seed: int = 0,
) -> Iterator[Hits]:
    """Pairs (g in ``asked``, h != g) at or above the threshold among the paragraphs of
    the cells nearest to g. ``asked`` is sorted and without repeats; the same seed gives
    the same cells, so the same library mined twice gives the same pairs."""
    groups = rep_rows.size
    k = cell_count(groups)
    probes = min(PROBES, k)
    place_steps = -(-groups // ROW_BLOCK)
    total = place_steps + k
    if progress:
        progress(0, total)
    centroids = train_cells(vectors, rep_rows, k, np.random.default_rng(seed), cancel)
    home, nearest = place(vectors, rep_rows, centroids, asked, probes, cancel, progress, (0, total))
    member_order, member_at = _by_cell(home, k)
    owner = np.repeat(asked, probes)
    asking_order, asking_at = _by_cell(nearest.reshape(-1), k)
    del home, nearest
    for c in range(k):
        if cancel is not None:
            cancel.raise_if_cancelled()
        members = member_order[member_at[c] : member_at[c + 1]]
        askers = owner[asking_order[asking_at[c] : asking_at[c + 1]]]
        for m in range(0, members.size, ROW_BLOCK):
            part = members[m : m + ROW_BLOCK]
            part_vecs = _rows32(vectors, rep_rows[part])
            for a in range(0, askers.size, ASK_BLOCK):
                some = askers[a : a + ASK_BLOCK]
                yield _compare(some, _rows32(vectors, rep_rows[some]), part, part_vecs, threshold)
        if progress:
            progress(place_steps + c + 1, total)
