"""Multiple-negatives ranking loss: for each anchor, its positive must score higher
than every other positive in the batch (and every hard negative, for triplets).
Cross-entropy over scale * cos(anchor, candidates), the right answer on the diagonal."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from core.train.losses.base import PairLoss, cos_matrix
from core.train.types import PAIR_BINARY, POSITIVE_PAIR, TRIPLET


class MultipleNegativesRankingLoss(PairLoss):
    name = "mnrl"
    kinds = (POSITIVE_PAIR, TRIPLET, PAIR_BINARY)   # binary: only pairs labelled similar

    def __init__(self, scale: float = 20.0) -> None:
        super().__init__()
        self.scale = scale

    def forward(self, reps: list[torch.Tensor], labels: torch.Tensor | None) -> torch.Tensor:
        anchors = reps[0]
        candidates = torch.cat(reps[1:], dim=0)
        scores = cos_matrix(anchors, candidates) * self.scale
        target = torch.arange(len(anchors), device=scores.device)
        return F.cross_entropy(scores, target)

    def settings(self) -> dict:
        return {"scale": self.scale, "similarity": "cosine", "negatives": "in-batch"}
