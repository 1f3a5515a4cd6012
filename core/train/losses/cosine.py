"""Cosine-similarity regression: mean squared error between cos(u, v) and the gold
score scaled to 0-1 (Sentence-BERT's STS objective). Binary labels count as 0 and 1."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from core.train.losses.base import PairLoss, cos_pairs
from core.train.types import PAIR_BINARY, PAIR_SCORE


class CosineSimilarityLoss(PairLoss):
    name = "cosine"
    kinds = (PAIR_SCORE, PAIR_BINARY)

    def forward(self, reps: list[torch.Tensor], labels: torch.Tensor | None) -> torch.Tensor:
        assert labels is not None
        return F.mse_loss(cos_pairs(reps[0], reps[1]), labels.float())
