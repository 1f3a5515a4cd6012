"""Normalize: scale each sentence embedding to unit length."""

from __future__ import annotations

from pathlib import Path

import torch.nn.functional as F
from torch import Tensor, nn

from core.encoder.folder_format import MODULE_CONFIG, write_json


class Normalize(nn.Module):
    """Scale each sentence embedding to unit length (cosine = dot product)."""

    @classmethod
    def load(cls, folder: Path) -> Normalize:
        return cls()

    def save(self, folder: Path) -> None:
        write_json(
            folder / MODULE_CONFIG,
            {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
        )

    def forward(self, features: dict[str, Tensor]) -> dict[str, Tensor]:
        features["sentence_embedding"] = F.normalize(features["sentence_embedding"], p=2, dim=1)
        return features
