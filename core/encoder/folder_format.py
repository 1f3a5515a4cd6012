"""The sentence-transformers folder format: file names, JSON reading and writing, and
the refusal of pickle weights (only safetensors are loaded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.errors import ModelError, UnsafeWeightsError

SBERT_CONFIG = "sentence_bert_config.json"
MODULE_CONFIG = "config.json"

SAFE_WEIGHTS = ("model.safetensors", "model.safetensors.index.json")
PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json")
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")

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
