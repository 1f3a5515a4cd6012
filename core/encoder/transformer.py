"""Transformer: text -> token embeddings (a Hugging Face BERT-like model and its
tokenizer), saved in and loaded from its sentence-transformers folder."""

from __future__ import annotations

import inspect
import threading
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

import core.offline  # noqa: F401  (before transformers is imported)
from core.encoder.folder_format import (
    SBERT_CONFIG,
    check_safe_weights,
    read_json,
    write_json,
)
from core.errors import ModelError

# A Hugging Face fast tokenizer sets its truncation and padding on the shared Rust tokenizer
# before each call: a count (no truncation) beside an encoding (truncated at the model's
# length) in another thread could be counted truncated, and a paragraph too long for the
# model was then kept whole. Its calls take turns (a lock per process: the module stays
# deep-copyable).
_TOKENIZER_TURN = threading.Lock()


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
        with _TOKENIZER_TURN:
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
        with _TOKENIZER_TURN:
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
        with _TOKENIZER_TURN:
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
