"""A model's identity by content: one hash of the files that decide its vectors.

The fast path caches an exported model under this hash, so a model folder that moves
(an upgrade, an AppImage mount) keeps its export, and a fine-tuned version gets its own.
One small function, meant to be replaced by the library's own model identity."""

from __future__ import annotations

import hashlib
from pathlib import Path

# Files that change what a model computes: weights, configuration, tokenizer, modules.
_SUFFIXES = (".safetensors", ".json", ".txt", ".model")
_SKIP = {"README.md"}


def model_content_hash(folder: Path | str) -> str:
    """blake2b over the relative names and bytes of the model's weight, configuration
    and tokenizer files (sub-folders such as 1_Pooling included), in name order."""
    root = Path(folder)
    h = hashlib.blake2b(digest_size=16)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in _SUFFIXES and p.name not in _SKIP)
    for path in files:
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        h.update(b"\0")
    return h.hexdigest()
