"""CoSENT: a ranking loss on the cosine similarities of a batch's pairs. For every two
pairs (i, j) whose gold label says i is more similar than j, it penalizes
cos_j > cos_i: log(1 + sum exp(scale * (cos_j - cos_i))). Works with scores and with
binary labels, and only the order of the labels matters."""

from __future__ import annotations

import torch

from core.train.losses.base import PairLoss, cos_pairs
from core.train.types import PAIR_BINARY, PAIR_SCORE


class CoSENTLoss(PairLoss):
    name = "cosent"
    kinds = (PAIR_SCORE, PAIR_BINARY)

    def __init__(self, scale: float = 20.0) -> None:
        super().__init__()
        self.scale = scale

    def forward(self, reps: list[torch.Tensor], labels: torch.Tensor | None) -> torch.Tensor:
        assert labels is not None
        sims = cos_pairs(reps[0], reps[1]) * self.scale
        # diff[i, j] = sims[j] - sims[i], kept where label i > label j.
        diff = sims[None, :] - sims[:, None]
        wanted = labels[:, None].float() > labels[None, :].float()
        diff = diff.masked_fill(~wanted, float("-inf"))
        zero = torch.zeros(1, device=diff.device, dtype=diff.dtype)
        return torch.logsumexp(torch.cat([zero, diff.flatten()]), dim=0)

    def settings(self) -> dict:
        return {"scale": self.scale}
