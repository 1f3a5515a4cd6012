"""Online contrastive loss on cosine distance (1 - cos), using only the hard cases of
each batch: positive pairs farther apart than the closest negative pair, and negative
pairs closer than the farthest positive pair. Positives are pulled together
(distance squared), negatives pushed beyond ``margin`` (max(margin - d, 0) squared)."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from core.train.losses.base import PairLoss, cos_pairs
from core.train.types import PAIR_BINARY


class OnlineContrastiveLoss(PairLoss):
    name = "contrastive"
    kinds = (PAIR_BINARY,)

    def __init__(self, margin: float = 0.5) -> None:
        super().__init__()
        self.margin = margin

    def forward(self, reps: list[torch.Tensor], labels: torch.Tensor | None) -> torch.Tensor:
        assert labels is not None
        dist = 1.0 - cos_pairs(reps[0], reps[1])
        positive = labels.float() > 0.5
        pos, neg = dist[positive], dist[~positive]
        if len(pos) and len(neg):
            hard_pos = pos[pos > (neg.min() if len(neg) > 1 else pos.mean())]
            hard_neg = neg[neg < (pos.max() if len(pos) > 1 else neg.mean())]
        else:
            hard_pos, hard_neg = pos, neg
        loss = hard_pos.pow(2).sum() + F.relu(self.margin - hard_neg).pow(2).sum()
        return loss + 0.0 * dist.sum()   # keeps the graph when the batch has no hard case

    def settings(self) -> dict:
        return {"margin": self.margin, "distance": "cosine"}
