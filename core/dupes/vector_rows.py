"""Mining's copy of a model's vectors, with room to grow at its end (core/dupes/mining.py).

A new document's vectors are written into spare rows: appending with np.concatenate had
copied every vector (0.77 GB at a million half-precision passages, ~2 s of a new
document's mining). Rows that leave move the later ones down in place, a block at a
time, never into a second copy. The spare room is a thirty-second of the rows, made when
they are read from the store and again each time it runs out.
"""

from __future__ import annotations

import numpy as np

SPARE_FRACTION = 32   # spare rows: this fraction of the rows held (24 MB at 1M x 384 float16)
MIN_SPARE = 1024
BLOCK = 65_536        # rows moved at a time when some leave


def spare_rows(n: int) -> int:
    return max(MIN_SPARE, n // SPARE_FRACTION)


def compact(ids: np.ndarray, vecs: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``ids[keep]`` and ``vecs[keep]`` written over the arrays' own first rows, a block at a
    time (never a second copy of every vector); returned as views of them."""
    dst = 0
    for s in range(0, keep.size, BLOCK):
        k = keep[s : s + BLOCK]
        n = int(k.sum())
        ids[dst : dst + n] = ids[s : s + BLOCK][k]
        vecs[dst : dst + n] = vecs[s : s + BLOCK][k]
        dst += n
    return ids[:dst], vecs[:dst]


class VectorRows:
    """The first ``n`` rows of two buffers: chunk ids (int64) and their vectors."""

    def __init__(self, ids: np.ndarray, vecs: np.ndarray, n: int | None = None) -> None:
        self._ids, self._vecs = ids, vecs
        self.n = int(ids.shape[0] if n is None else n)

    @property
    def ids(self) -> np.ndarray:
        return self._ids[: self.n]

    @property
    def vecs(self) -> np.ndarray:
        return self._vecs[: self.n] if self._vecs.ndim == 2 and self._vecs.shape[0] >= self.n else self._vecs

    @property
    def capacity(self) -> int:
        return int(self._ids.shape[0])

    def keep(self, mask: np.ndarray) -> None:
        """Only the rows where ``mask`` is true stay, in their order."""
        if self._vecs.ndim == 2 and self._vecs.shape[0] >= self.n:
            ids, _ = compact(self._ids[: self.n], self._vecs[: self.n], mask)
        else:   # no vectors held (an empty model)
            ids = self._ids[: self.n][mask]
            self._ids[: ids.size] = ids
        self.n = int(ids.size)

    def append(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        """Add rows at the end: into the spare room, or into new buffers with room again."""
        k = int(len(ids))
        if k == 0:
            return
        fits = self._vecs.ndim == 2 and self._vecs.shape[0] == self.capacity and self._vecs.shape[1] == vecs.shape[1]
        if not fits or self.n + k > self.capacity:
            self._grow(self.n + k, vecs.shape[1], self._vecs.dtype if fits else np.dtype(np.float32))
        self._ids[self.n : self.n + k] = ids
        self._vecs[self.n : self.n + k] = vecs
        self.n += k

    def _grow(self, need: int, dim: int, dtype: np.dtype) -> None:
        capacity = need + spare_rows(need)
        ids = np.empty(capacity, np.int64)
        ids[: self.n] = self._ids[: self.n]
        if self._vecs.ndim == 2 and self._vecs.shape[1] == dim and self._vecs.shape[0] >= self.n:
            vecs = np.empty((capacity, dim), dtype)
            vecs[: self.n] = self._vecs[: self.n]
        else:       # the rows held had no vectors of this width
            vecs = np.zeros((capacity, dim), dtype)
        self._ids, self._vecs = ids, vecs
