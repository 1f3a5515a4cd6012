"""Find similar documents from what the documents say.

Only body passages take part, on both sides: a passage marked noise (``chunks.noise``:
a fragment such as a lone heading "INTRODUCTION" or "3 Implementation", a page number,
furniture repeated on most pages) is neither compared nor matched. Headings stay only as
the first line of the paragraph they open, so two papers sharing their section names
share nothing here.

The score of a target document T for the source S (0..1, the number shown and the one
that ranks) is the mean, over S's body passages (up to DOC_SOURCE_PASSAGES, evenly
spread), of the *strength* of that passage's best match in T (core/search/scores.py: 0
at or below the calibrated floor, 1 at a near copy):

    score(T) = (1 / |S|) * sum over s in S of strength(max cosine(s, t) for t in T)

which is the share of S's passages that find a match in T above the floor, times the
mean strength of those matches. So the score grows with *how much* of S is echoed in T
and with *how closely*: one shared boilerplate paragraph adds at most 1/|S|, and
passages that only loosely resemble anything in T (under the floor) add nothing, where
a mean of raw cosines gave every pair of documents 0.2 to 0.4 for nothing. When T has
no passage among a source passage's DOC_NEIGHBOURS nearest, the last neighbour's cosine
stands in (an upper bound on T's best match there).

The words ("near copy", "same topic", "loosely related", "not alike") are bands of this
same score (core.search.scores.band), so they follow the ranking by construction.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from core.search.calibration import RELATED
from core.search.filters import SearchFilters, allowed_chunk_ids
from core.search.knn import knn_excluding
from core.search.scores import band, strength
from core.types import SimilarDocument

DOC_SOURCE_PASSAGES = 64        # body passages of a document compared
DOC_NEIGHBOURS = 50             # nearest body passages fetched per source passage
DOC_PAIRS = 3                   # passage pairs reported per similar document


def similar_documents(searcher: Any, doc_id: int, k: int, filters: SearchFilters | None) -> list[SimilarDocument]:
    catalog = searcher.catalog
    doc = catalog.document(doc_id)
    holder = doc.copy_of or doc.id          # a copy's passages are its holder's (core/copies.py)
    src_ids = catalog.chunk_ids_of(holder, body_only=True)
    if not src_ids:
        return []
    if len(src_ids) > DOC_SOURCE_PASSAGES:
        picks = np.linspace(0, len(src_ids) - 1, DOC_SOURCE_PASSAGES).round().astype(int)
        src_ids = [src_ids[i] for i in sorted(set(picks.tolist()))]
    acc = searcher.accelerator()
    vecs = acc.vectors(src_ids)
    own = set(catalog.chunk_ids_of(holder))
    noise = catalog.noise_ids()
    allowed = allowed_chunk_ids(searcher.store.reader(), filters)
    if allowed is not None:
        allowed = allowed[~np.isin(allowed, np.fromiter(noise, np.int64, len(noise)))]
    excluded = own | noise
    per_source = []
    for sid in src_ids:
        if sid in vecs:
            hits = knn_excluding(acc, vecs[sid], DOC_NEIGHBOURS, excluded, allowed,
                                  first=2 * DOC_NEIGHBOURS + len(own))
            per_source.append((sid, hits))
    return aggregate_documents(catalog, per_source, k, doc.title or doc.path)


def aggregate_documents(catalog: Any, per_source: list[tuple[int, list[tuple[int, float]]]], k: int,
               source_name: str) -> list[SimilarDocument]:
    docs = catalog.document_of_chunks(list({c for _, hits in per_source for c, _ in hits}))
    best: dict[int, dict[int, tuple[int, float]]] = defaultdict(dict)   # doc -> src -> (tgt, cos)
    stand_in = {}
    for sid, hits in per_source:
        stand_in[sid] = hits[-1][1] if hits else 0.0
        for cid, cos in hits:
            d = docs.get(cid)
            if d is not None and (sid not in best[d] or cos > best[d][sid][1]):
                best[d][sid] = (cid, cos)
    n = len(per_source)
    if not n:
        return []
    scored = []
    for d, matches in best.items():
        cosines = [matches[s][1] if s in matches else stand_in[s] for s, _ in per_source]
        score = float(np.mean([strength(c) for c in cosines]))
        found = [c for _, c in matches.values()]
        above = sum(1 for c in found if strength(c) > 0)
        related_n = sum(1 for c in found if c >= RELATED)
        pairs = sorted(((s, t, c) for s, (t, c) in matches.items()), key=lambda p: -p[2])
        scored.append((score, related_n, d, above, pairs[:DOC_PAIRS], float(np.mean(found))))
    scored.sort(key=lambda t: (-t[0], -t[1], -t[5], t[2]))   # equal strength: the closer matches first
    out = []
    for score, related_n, d, above, pairs, mean_found in scored[:k]:
        word = band(score)
        why = (f"{word} · score {score:.2f}: the mean strength of the best match here for {n} body "
               f"passages of {source_name} ({above} of {n} have one above the floor, {related_n} at "
               f"cosine {RELATED:.2f} or more; mean best cosine {mean_found:.2f}). Headings, "
               "fragments and page furniture are left out.")
        out.append(SimilarDocument(catalog.document(d), score, above, n,
                                   [(int(s), int(t), float(c)) for s, t, c in pairs], word, why))
    return out


def similar_vectors_hits(searcher: Any, vectors: np.ndarray, own: set[int], filters: SearchFilters | None,
                         ) -> tuple[list[tuple[int, list[tuple[int, float]]]], dict[int, float]]:
    """For passages given by their vectors (a file outside the library): each compared
    row's nearest body passages, and every passage met with its best cosine."""
    if len(vectors) == 0:
        return [], {}
    acc = searcher.accelerator()
    noise = searcher.catalog.noise_ids()
    allowed = allowed_chunk_ids(searcher.store.reader(), filters)
    if allowed is not None:
        allowed = allowed[~np.isin(allowed, np.fromiter(noise, np.int64, len(noise)))]
    excluded = own | noise
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    rows: list[int] = list(range(len(unit)))
    if len(unit) > DOC_SOURCE_PASSAGES:
        rows = sorted(set(np.linspace(0, len(unit) - 1, DOC_SOURCE_PASSAGES).round().astype(int).tolist()))
    per_source = [(i, knn_excluding(acc, unit[i], DOC_NEIGHBOURS, excluded, allowed,
                                    first=2 * DOC_NEIGHBOURS + len(own))) for i in rows]
    best: dict[int, float] = {}
    for _, hits in per_source:
        for cid, cos in hits:
            best[cid] = max(cos, best.get(cid, cos))
    return per_source, best
