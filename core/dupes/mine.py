"""Blocked exact nearest-neighbour mining over normalized vectors (pure numpy).

Similarities are computed as matrix products of a block of rows against all columns,
so memory stays at ``block_bytes`` whatever the library's size; every entry at or above
the threshold is kept (at most ``max_per_row`` per row and block, strongest first). This
is exact: no approximate index, so recall against all-pairs is 1 up to the cap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from core.cancel import CancelToken

BLOCK_BYTES = 192 * 1024 * 1024   # one block of similarities, float32
MAX_PER_ROW = 64                  # neighbours kept per passage and block

Hits = tuple[np.ndarray, np.ndarray, np.ndarray]   # rows, cols, similarities


def _block_rows(columns: int, block_bytes: int) -> int:
    return int(max(16, min(8192, block_bytes // max(1, 4 * columns))))


def _cap_rows(rows: np.ndarray, cols: np.ndarray, sims: np.ndarray, cap: int) -> Hits:
    """Keep at most ``cap`` hits per row, the strongest."""
    if rows.size == 0:
        return rows, cols, sims
    counts = np.bincount(rows)
    if counts.max() <= cap:
        return rows, cols, sims
    order = np.lexsort((-sims, rows))
    rows, cols, sims = rows[order], cols[order], sims[order]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.arange(rows.size) - starts[rows]
    keep = rank < cap
    return rows[keep], cols[keep], sims[keep]


def all_pairs(
    vectors: np.ndarray,
    threshold: float,
    block_bytes: int = BLOCK_BYTES,
    max_per_row: int = MAX_PER_ROW,
    cancel: CancelToken | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[Hits]:
    """Every pair (i < j) with similarity >= threshold, one block of rows at a time.

    Only the upper triangle is computed: block [s, e) is compared with columns >= s."""
    n = vectors.shape[0]
    start = 0
    while start < n:
        if cancel is not None:
            cancel.raise_if_cancelled()
        step = _block_rows(n - start, block_bytes)
        end = min(n, start + step)
        sims = vectors[start:end] @ vectors[start:].T
        width = end - start
        lower = np.tril_indices(width)
        sims[:, :width][lower] = -2.0          # j <= i inside the diagonal block
        rows, cols = np.nonzero(sims >= threshold)
        vals = sims[rows, cols]
        del sims
        rows, cols, vals = _cap_rows(rows, cols, vals, max_per_row)
        yield rows + start, cols + start, vals
        start = end
        if progress:
            progress(start, n)


def query_pairs(
    vectors: np.ndarray,
    query: np.ndarray,
    threshold: float,
    block_bytes: int = BLOCK_BYTES,
    max_per_row: int = MAX_PER_ROW,
    cancel: CancelToken | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[Hits]:
    """Pairs (query row q, any row j != q) with similarity >= threshold.

    ``query`` holds row indices into ``vectors``; the rows returned are those indices."""
    n = vectors.shape[0]
    step = _block_rows(n, block_bytes)
    for s in range(0, query.size, step):
        if cancel is not None:
            cancel.raise_if_cancelled()
        q = query[s : s + step]
        sims = vectors[q] @ vectors.T
        sims[np.arange(q.size), q] = -2.0       # never a passage with itself
        rows, cols = np.nonzero(sims >= threshold)
        vals = sims[rows, cols]
        del sims
        rows, cols, vals = _cap_rows(rows, cols, vals, max_per_row)
        yield q[rows], cols, vals
        if progress:
            progress(min(s + step, query.size), query.size)
