"""The Sentence-BERT bi-encoder: our own code on torch + transformers, reading and
writing the sentence-transformers folder format.

Names are imported lazily, so that the torch-free fast path (core.encoder.onnx_backend) can be
imported without loading torch."""

from __future__ import annotations

from typing import Any

_LAZY = {
    "DeviceChoice": "core.encoder.device",
    "choose_device": "core.encoder.device",
    "SentenceEncoder": "core.encoder.model",
    "Normalize": "core.encoder.normalize",
    "Pooling": "core.encoder.pooling",
    "Transformer": "core.encoder.transformer",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'core.encoder' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
