"""What every loss shares: it takes the sentence embeddings of a batch's columns (one
tensor per column, from the one shared encoder) and the batch's labels."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class PairLoss(nn.Module):
    """Base of the losses. ``kinds`` lists the label kinds the loss can train on."""

    name: str = ""
    kinds: tuple[str, ...] = ()

    def forward(self, reps: list[torch.Tensor], labels: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    def settings(self) -> dict:
        """The loss's own settings, for the training report."""
        return {}


def cos_pairs(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of row i of u with row i of v (float32)."""
    return F.cosine_similarity(u.float(), v.float(), dim=-1)


def cos_matrix(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every row of a with every row of b (float32)."""
    return F.normalize(a.float(), dim=-1) @ F.normalize(b.float(), dim=-1).T
