"""The three modules of a Sentence-BERT model: Transformer -> Pooling -> Normalize.

Each module passes a dict of tensors on (``input_ids``, ``attention_mask``, ...,
``token_embeddings``, ``sentence_embedding``) and saves/loads itself in its own folder,
in the sentence-transformers folder format, so that either library can read the other's
models.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import core.offline  # noqa: F401  (before transformers is imported)
from core.errors import ModelError, UnsafeWeightsError

SBERT_CONFIG = "sentence_bert_config.json"
MODULE_CONFIG = "config.json"

SAFE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")
PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")

# sentence-transformers' legacy boolean keys, in the order it concatenates modes.
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


def read_json(path: Path, default: Any = None) -> Any:
    if not path.is_file():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def check_safe_weights(folder: Path) -> None:
    """Refuse folders whose only weights are pickles: unpickling can run any code."""
    if any((folder / name).is_file() for name in SAFE_WEIGHTS):
        return
    pickles = sorted(
        p.name for p in folder.iterdir() if p.is_file() and (p.name in PICKLE_WEIGHTS or p.suffix in PICKLE_SUFFIXES)
    )
    if pickles:
        raise UnsafeWeightsError(
            f"{folder} holds only pickle weights ({', '.join(pickles)}); Likewise loads only "
            "safetensors weights (model.safetensors), because loading a pickle can run arbitrary "
            "code. Convert the model to safetensors first."
        )
    raise ModelError(f"no model weights (model.safetensors) in {folder}")


class Transformer(nn.Module):
    """A Hugging Face encoder and its tokenizer: texts -> token embeddings."""

    def __init__(self, model: Any, tokenizer: Any, max_seq_length: int, do_lower_case: bool = False) -> None:
        super().__init__()
        self.auto_model = model
        self.tokenizer = tokenizer
        self.max_seq_length = int(max_seq_length)
        self.do_lower_case = bool(do_lower_case)
        params = inspect.signature(model.forward).parameters
        self._accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        self._forward_params = set(params)
        if tokenizer.pad_token_id is None:
            raise ModelError("the model's tokenizer has no padding token")
        if do_lower_case:
            _ensure_lowercase(tokenizer)

    # -- load / save ------------------------------------------------------------------
    @classmethod
    def load(cls, folder: Path, dtype: torch.dtype = torch.float32) -> Transformer:
        from transformers import AutoConfig, AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        if not (folder / "config.json").is_file():
            raise ModelError(f"{folder} has no config.json: not a transformer model folder")
        check_safe_weights(folder)
        sbert = read_json(folder / SBERT_CONFIG, {}) or {}
        max_seq_length = sbert.get("max_seq_length")
        tok_kwargs: dict[str, Any] = {"local_files_only": True}
        if max_seq_length is not None:
            tok_kwargs["model_max_length"] = int(max_seq_length)
        bar_was_on = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            config = AutoConfig.from_pretrained(folder, local_files_only=True)
            model = AutoModel.from_pretrained(
                folder, config=config, use_safetensors=True, local_files_only=True, dtype=dtype
            )
            tokenizer = AutoTokenizer.from_pretrained(folder, **tok_kwargs)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"cannot load the transformer in {folder}: {exc}") from exc
        finally:
            if bar_was_on:
                hf_logging.enable_progress_bar()
        if max_seq_length is None:
            max_seq_length = tokenizer.model_max_length
            positions = getattr(config, "max_position_embeddings", None)
            if isinstance(positions, int) and positions > 0:
                max_seq_length = min(max_seq_length, positions)
            tokenizer.model_max_length = max_seq_length
        return cls(model, tokenizer, max_seq_length, bool(sbert.get("do_lower_case", False)))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        dtype = next(self.auto_model.parameters()).dtype
        if dtype != torch.float32:   # half precision on a GPU: keep full precision on disk
            self.auto_model.to(torch.float32)
        try:
            self.auto_model.save_pretrained(folder)
        finally:
            if dtype != torch.float32:
                self.auto_model.to(dtype)
        self.tokenizer.model_max_length = self.max_seq_length
        self.tokenizer.save_pretrained(folder)
        write_json(folder / SBERT_CONFIG, {"max_seq_length": self.max_seq_length, "do_lower_case": self.do_lower_case})

    # -- shape ------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return int(self.auto_model.config.hidden_size)

    # -- texts -> ids -------------------------------------------------------------------
    def tokenize_unpadded(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text, with special tokens, truncated at max_seq_length."""
        enc = self.tokenizer(
            texts,
            add_special_tokens=True,
            truncation="longest_first",
            max_length=self.max_seq_length,
            padding=False,
            return_attention_mask=False,
            return_token_type_ids=False,
        )
        return enc["input_ids"]

    def pad(self, ids: list[list[int]], device: torch.device) -> dict[str, Tensor]:
        """A padded batch (as the tokenizer pads it) from unpadded token ids."""
        width = max((len(x) for x in ids), default=0)
        input_ids = torch.full((len(ids), width), int(self.tokenizer.pad_token_id), dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        left = getattr(self.tokenizer, "padding_side", "right") == "left"
        for row, seq in enumerate(ids):
            n = len(seq)
            if n == 0:
                continue
            cols = slice(width - n, width) if left else slice(0, n)
            input_ids[row, cols] = torch.tensor(seq, dtype=torch.long)
            mask[row, cols] = 1
        batch = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self.tokenizer.model_input_names:
            batch["token_type_ids"] = torch.zeros_like(input_ids)
        return {k: v.to(device) for k, v in batch.items()}

    def tokenize(self, texts: list[str]) -> dict[str, Tensor]:
        return dict(
            self.tokenizer(
                texts,
                padding=True,
                truncation="longest_first",
                max_length=self.max_seq_length,
                return_tensors="pt",
            )
        )

    def count_tokens(self, texts: list[str]) -> list[int]:
        enc = self.tokenizer(
            texts,
            add_special_tokens=True,
            truncation=False,
            padding=False,
            return_attention_mask=False,
            return_token_type_ids=False,
            verbose=False,
        )
        return [len(x) for x in enc["input_ids"]]

    # -- forward ------------------------------------------------------------------------
    def forward(self, features: dict[str, Tensor]) -> dict[str, Tensor]:
        inputs = {
            k: v for k, v in features.items()
            if k in ("input_ids", "attention_mask", "token_type_ids", "position_ids")
            and (self._accepts_any or k in self._forward_params)
        }
        out = self.auto_model(**inputs, return_dict=True)
        features["token_embeddings"] = out[0]
        return features


def _ensure_lowercase(tokenizer: Any) -> None:
    """Make a fast tokenizer lowercase its input (do_lower_case in sentence_bert_config)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ModelError("do_lower_case needs a fast (Rust) tokenizer")
    from tokenizers import normalizers

    current = backend.normalizer
    if current is not None and current.normalize_str("AbC") == "abc":
        return
    parts = [normalizers.Lowercase()]
    if current is not None:
        parts.append(current)
    backend.normalizer = normalizers.Sequence(parts)


class Pooling(nn.Module):
    """Token embeddings -> one sentence embedding (several modes are concatenated)."""

    def __init__(self, dim: int, modes: tuple[str, ...] | list[str] | str = "mean", include_prompt: bool = True) -> None:
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
