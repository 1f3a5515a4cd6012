"""The absolute number on each search result: its strength in 0..1 and what
is behind it, filled after the ranking, which it never changes.

- By meaning (dense and hybrid search, find similar passages): the cosine between the
  passage and the query (or the chosen passage) on the calibrated scale of
  core/search/scores.py. In hybrid search a passage found by its words only still gets
  its cosine, so its bar says how close it is in meaning, not where it ranked.
- By words only (keyword search, which loads no model): the share of the query's words
  the passage holds (all of them: 1), with the BM25 score beside it.
"""

from __future__ import annotations

import numpy as np

from core.search.scores import explain_cosine, strength
from core.search.snippets import query_terms, tokens
from core.types import SearchResult


def fill_strength(
    results: list[SearchResult], query: str | None, qvec: np.ndarray | None,
    vectors: dict[int, np.ndarray], bm25: dict[int, float], what: str = "your query",
) -> None:
    terms = query_terms(query) if query else set()
    for r in results:
        r.bm25 = bm25.get(r.chunk_id)
        vec = vectors.get(r.chunk_id)
        if qvec is not None and vec is not None:
            r.cosine = float(np.dot(np.asarray(vec, dtype=np.float32), qvec))
            r.explanation = explain_cosine(r.cosine, what)
            r.strength = strength(r.cosine)
        else:
            r.strength = _word_share(r, terms)
            r.explanation = (f"strength {r.strength:.2f}: holds {round(r.strength * len(terms))} of the "
                             f"{len(terms)} words searched for")
        if r.bm25 is not None:
            r.explanation += f" · BM25 {r.bm25:.2f}"


def _word_share(r: SearchResult, terms: set[str]) -> float:
    """The share of the query's words (as FTS5 stems them) that the passage holds."""
    if not terms:
        return 0.0
    held = {t for _s, _e, t in tokens(r.text)}
    return len(terms & held) / len(terms)
