"""Pooling: token embeddings -> one sentence embedding (mean, max, cls, ...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from core.encoder.folder_format import MODULE_CONFIG, read_json, write_json
from core.errors import ModelError

LEGACY_POOLING_KEYS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}
POOLING_MODES = tuple(LEGACY_POOLING_KEYS.values())
POOLING_ALIASES = {"mean_sqrt_len": "mean_sqrt_len_tokens", "mean-sqrt-len": "mean_sqrt_len_tokens"}


class Pooling(nn.Module):
    """Token embeddings -> one sentence embedding (several modes are concatenated)."""

    def __init__(self, dim: int, modes: tuple[str, ...] | list[str] | str = "mean",
                 include_prompt: bool = True) -> None:
        super().__init__()
        if isinstance(modes, str):
            modes = (modes,)
        modes = tuple(POOLING_ALIASES.get(m, m) for m in modes)
        unknown = [m for m in modes if m not in POOLING_MODES]
        if unknown or not modes:
            raise ModelError(f"unknown pooling mode {unknown or modes}; known: {', '.join(POOLING_MODES)}")
        self.word_dim = int(dim)
        self.modes = modes
        self.include_prompt = bool(include_prompt)

    @property
    def dim(self) -> int:
        return self.word_dim * len(self.modes)

    @classmethod
    def load(cls, folder: Path) -> Pooling:
        cfg = read_json(folder / MODULE_CONFIG)
        if not isinstance(cfg, dict):
            raise ModelError(f"no pooling configuration in {folder}")
        dim = cfg.get("embedding_dimension", cfg.get("word_embedding_dimension"))
        if dim is None:
            raise ModelError(f"{folder / MODULE_CONFIG} does not give the embedding dimension")
        modes = cfg.get("pooling_mode")
        if modes is None:
            modes = tuple(mode for key, mode in LEGACY_POOLING_KEYS.items() if cfg.get(key, False)) or ("mean",)
        return cls(int(dim), modes, bool(cfg.get("include_prompt", True)))

    def save(self, folder: Path) -> None:
        cfg: dict[str, Any] = {"word_embedding_dimension": self.word_dim}
        legacy_order = [m for m in POOLING_MODES if m in self.modes]
        if legacy_order == list(self.modes):
            cfg.update({key: mode in self.modes for key, mode in LEGACY_POOLING_KEYS.items()})
        else:   # an order the boolean keys cannot express
            cfg["pooling_mode"] = list(self.modes)
        cfg["include_prompt"] = self.include_prompt
        write_json(folder / MODULE_CONFIG, cfg)

    def forward(self, features: dict[str, Tensor]) -> dict[str, Tensor]:
        tokens = features["token_embeddings"]
        mask = features["attention_mask"]
        pooled = [_pool(mode, tokens, mask) for mode in self.modes]
        features["sentence_embedding"] = pooled[0] if len(pooled) == 1 else torch.cat(pooled, dim=1)
        return features


def _pool(mode: str, tokens: Tensor, mask: Tensor) -> Tensor:
    acc = torch.float32 if tokens.dtype in (torch.float16, torch.bfloat16) else tokens.dtype
    if mode == "cls":
        first = mask.to(torch.int).argmax(dim=1)
        index = first.view(-1, 1, 1).expand(-1, 1, tokens.shape[-1])
        return torch.gather(tokens, 1, index).squeeze(1)
    if mode == "max":
        keep = mask.unsqueeze(-1).expand_as(tokens)
        return tokens.masked_fill(keep == 0, float("-inf")).max(dim=1).values
    if mode in ("mean", "mean_sqrt_len_tokens"):
        m = mask.unsqueeze(-1).to(tokens.dtype)
        summed = (tokens * m).sum(dim=1, dtype=acc)
        count = torch.clamp(m.sum(dim=1, dtype=acc), min=1e-9)
        denom = count if mode == "mean" else torch.sqrt(count)
        return (summed / denom).to(tokens.dtype)
    if mode == "weightedmean":
        m = mask.unsqueeze(-1).to(acc)
        weights = torch.arange(1, tokens.shape[1] + 1, device=tokens.device, dtype=acc).view(1, -1, 1)
        weights = weights - mask.to(torch.int32).argmax(dim=1).view(-1, 1, 1)   # left padding
        wm = m * weights
        return ((tokens * wm).sum(dim=1) / torch.clamp(wm.sum(dim=1), min=1e-9)).to(tokens.dtype)
    # lasttoken: the last position the mask keeps
    seq_len = tokens.shape[1]
    values, from_end = mask.flip(1).max(1)
    from_end = torch.where(values == 0, seq_len - 1, from_end)
    index = (seq_len - from_end - 1).view(-1, 1, 1).expand(-1, 1, tokens.shape[-1])
    kept = tokens * mask.unsqueeze(-1).to(tokens.dtype)
    return torch.gather(kept, 1, index).squeeze(1)
