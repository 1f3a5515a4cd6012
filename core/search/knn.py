"""Nearest passages with some left out, shared by the searcher and find similar documents."""

from __future__ import annotations

import numpy as np

from core.search.accel import Accelerator, Hits


def knn_excluding(
    acc: Accelerator, vec: np.ndarray, k: int, excluded: set[int], allowed: np.ndarray | None,
    first: int | None = None,
) -> list[tuple[int, float]]:
    """k nearest (id, cosine) not in ``excluded``: asks for more until enough survive
    (``first``: how many to ask for at first, k + len(excluded) unless given)."""
    want = max(k, first) if first is not None else k + len(excluded)
    total = len(acc)
    while True:
        hits: Hits = acc.search(vec, min(want, max(total, 1)), allowed)
        keep = [(int(c), float(s)) for c, s in zip(hits.ids, hits.scores, strict=True) if int(c) not in excluded]
        if len(keep) >= k or len(hits.ids) < want or want >= total:
            return keep[:k]
        want *= 2
