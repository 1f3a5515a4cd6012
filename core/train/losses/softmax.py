"""Classification over (u, v, |u - v|) with a softmax (Sentence-BERT's NLI objective).

A linear layer maps the concatenation of the two sentence vectors and their absolute
difference to ``num_labels`` classes; cross-entropy against the label. The classifier
is trained with the encoder and then thrown away: only the encoder is kept.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from core.train.losses.base import PairLoss
from core.train.types import PAIR_BINARY


class SoftmaxLoss(PairLoss):
    name = "softmax"
    kinds = (PAIR_BINARY,)

    def __init__(self, dim: int, num_labels: int = 2) -> None:
        super().__init__()
        self.num_labels = num_labels
        self.classifier = nn.Linear(3 * dim, num_labels)

    def forward(self, reps: list[torch.Tensor], labels: torch.Tensor | None) -> torch.Tensor:
        assert labels is not None
        u, v = reps[0].float(), reps[1].float()
        features = torch.cat([u, v, torch.abs(u - v)], dim=-1)
        logits = self.classifier(features)
        return F.cross_entropy(logits, labels.round().long())

    def settings(self) -> dict:
        return {"num_labels": self.num_labels, "features": "u, v, |u-v|"}
