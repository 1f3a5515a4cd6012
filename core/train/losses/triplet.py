"""Triplet loss with a margin: the anchor must be closer to the positive than to the
negative by at least ``margin``: mean(max(d(a, p) - d(a, n) + margin, 0)).

Euclidean distance with margin 5 is Sentence-BERT's setting; cosine distance
(1 - cos) with a small margin suits models whose vectors are normalized."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from core.errors import TrainingError
from core.train.losses.base import PairLoss, cos_pairs
from core.train.types import TRIPLET

DISTANCES = ("euclidean", "cosine")


class TripletLoss(PairLoss):
    name = "triplet"
    kinds = (TRIPLET,)

    def __init__(self, distance: str = "euclidean", margin: float | None = None) -> None:
        super().__init__()
        if distance not in DISTANCES:
            raise TrainingError(f"unknown triplet distance {distance!r} (use {' or '.join(DISTANCES)})")
        self.distance = distance
        self.margin = margin if margin is not None else (5.0 if distance == "euclidean" else 0.2)

    def _dist(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if self.distance == "euclidean":
            return F.pairwise_distance(a.float(), b.float(), p=2)
        return 1.0 - cos_pairs(a, b)

    def forward(self, reps: list[torch.Tensor], labels: torch.Tensor | None) -> torch.Tensor:
        anchor, positive, negative = reps[0], reps[1], reps[2]
        gap = self._dist(anchor, positive) - self._dist(anchor, negative) + self.margin
        return F.relu(gap).mean()

    def settings(self) -> dict:
        return {"distance": self.distance, "margin": self.margin}
