"""SentenceEncoder: a sequence of modules (Transformer -> Pooling [-> Normalize]) that
turns texts into sentence embeddings, loaded from and saved to the sentence-transformers
folder format."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np
import torch
from torch import Tensor, nn

from core import __version__
from core.cancel import CancelToken, check
from core.encoder.device import COMPUTE, choose_device
from core.encoder.folder_format import read_json, write_json
from core.encoder.normalize import Normalize
from core.encoder.pooling import Pooling
from core.encoder.texts import check_texts
from core.encoder.transformer import Transformer
from core.errors import ModelError

MODULES_JSON = "modules.json"
ST_CONFIG = "config_sentence_transformers.json"
# sentence-transformers resolves these legacy class paths in every version since 2.0.
MODULE_TYPES: dict[str, type[nn.Module]] = {"Transformer": Transformer, "Pooling": Pooling, "Normalize": Normalize}
ST_TYPE = "sentence_transformers.models.{}"
GENERIC_FOLDER_NAMES = {"model", "models", "snapshot", "snapshots", "latest", "current"}
# Very long texts are cut (at whitespace) before tokenizing once this many characters
# per allowed token are exceeded; the cut never changes the kept tokens (checked).
CHARS_PER_TOKEN_CUT = 40

Progress = Callable[[int, int], Any]


class _Saves(Protocol):
    """What every module of the encoder (Transformer, Pooling, Normalize, ...) has."""

    def save(self, folder: Path) -> None: ...


class SentenceEncoder(nn.Module):
    """Texts -> float32 vectors. ``enc(features)`` is the differentiable forward pass."""

    def __init__(
        self,
        modules: Sequence[nn.Module],
        name: str = "",
        path: Path | None = None,
        device: torch.device | str | None = None,
        similarity_fn_name: str = "cosine",
    ) -> None:
        super().__init__()
        if not modules or not isinstance(modules[0], Transformer):
            raise ModelError("a sentence encoder starts with a Transformer module")
        if not any(isinstance(m, Pooling) for m in modules):
            raise ModelError("a sentence encoder needs a Pooling module")
        for idx, module in enumerate(modules):
            self.add_module(str(idx), module)
        self.name = name or "model"
        self.path = path
        self.similarity_fn_name = similarity_fn_name
        if device is not None:
            self.to(torch.device(device))

    # -- construction -------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | str, device: str | torch.device | None = "auto") -> SentenceEncoder:
        """Load a sentence-transformers folder, or a plain BERT-family folder (mean pooling)."""
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise ModelError(f"model folder not found: {folder}")
        choice = choose_device(device)
        if (folder / MODULES_JSON).is_file():
            modules = _load_st_modules(folder, choice.dtype)
        else:
            transformer = Transformer.load(folder, choice.dtype)
            modules = [transformer, Pooling(transformer.dim, "mean")]
        st_config = read_json(folder / ST_CONFIG, {}) or {}
        similarity = st_config.get("similarity_fn_name") or "cosine"
        enc = cls(modules, name=_model_name(folder), path=folder, similarity_fn_name=similarity)
        enc.to(choice.device)
        enc.eval()
        return enc

    @classmethod
    def from_transformer(
        cls, folder: Path | str, pooling: str | Sequence[str] = "mean", normalize: bool = False,
        device: str | torch.device | None = "auto",
    ) -> SentenceEncoder:
        """Wrap a plain transformer folder with the given pooling (e.g. to start training)."""
        choice = choose_device(device)
        transformer = Transformer.load(Path(folder), choice.dtype)
        modes = (pooling,) if isinstance(pooling, str) else tuple(pooling)
        modules: list[nn.Module] = [transformer, Pooling(transformer.dim, modes)]
        if normalize:
            modules.append(Normalize())
        enc = cls(modules, name=_model_name(Path(folder)), path=Path(folder))
        enc.to(choice.device)
        enc.eval()
        return enc

    def save(self, path: Path | str) -> Path:
        """Write the model in the sentence-transformers folder format."""
        import transformers

        folder = Path(path).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for idx, module in enumerate(self.children()):
            kind = type(module).__name__
            sub = "" if idx == 0 and isinstance(module, Transformer) else f"{idx}_{kind}"
            cast(_Saves, module).save(folder / sub if sub else folder)
            entries.append({"idx": idx, "name": str(idx), "path": sub, "type": ST_TYPE.format(kind)})
        write_json(folder / MODULES_JSON, entries)
        write_json(folder / ST_CONFIG, {
            "__version__": {"likewise": __version__, "transformers": transformers.__version__,
                            "pytorch": torch.__version__},
            "model_type": "SentenceTransformer",
            "prompts": {},
            "default_prompt_name": None,
            "similarity_fn_name": self.similarity_fn_name,
        })
        readme = folder / "README.md"
        if not readme.exists():
            readme.write_text(
                f"# {self.name}\n\nA Sentence-BERT model saved by Likewise {__version__} in the "
                "sentence-transformers folder format.\n", encoding="utf-8")
        return folder

    # -- properties -----------------------------------------------------------------------
    @property
    def transformer(self) -> Transformer:
        return self._modules["0"]  # type: ignore[return-value]

    @property
    def tokenizer(self) -> Any:
        return self.transformer.tokenizer

    @property
    def max_seq_length(self) -> int:
        return self.transformer.max_seq_length

    @max_seq_length.setter
    def max_seq_length(self, value: int) -> None:
        self.transformer.max_seq_length = int(value)

    @property
    def dim(self) -> int:
        dim = self.transformer.dim
        for module in self.children():
            if isinstance(module, Pooling):
                dim = module.dim
        return dim

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @property
    def precision(self) -> str:
        """What made this encoder's vectors: fp32 (fp16 on a CUDA GPU)."""
        dtype = next(self.parameters()).dtype
        return {torch.float16: "fp16", torch.bfloat16: "bf16"}.get(dtype, "fp32")

    @property
    def normalizes(self) -> bool:
        return any(isinstance(m, Normalize) for m in self.children())

    # -- tokens -------------------------------------------------------------------------
    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text, special tokens included, before truncation."""
        texts = check_texts(texts)
        return self.transformer.count_tokens(texts) if texts else []

    def tokenize(self, texts: Sequence[str]) -> dict[str, Tensor]:
        """A padded, truncated batch on this encoder's device (for training)."""
        texts = check_texts(texts)
        if not texts:
            raise ValueError("tokenize needs at least one text")
        device = self.device
        return {k: v.to(device) for k, v in self.transformer.tokenize(texts).items()}

    # -- forward --------------------------------------------------------------------------
    def forward(self, features: dict[str, Tensor], normalize: bool | None = None) -> dict[str, Tensor]:
        """token ids -> ``token_embeddings`` and ``sentence_embedding`` (differentiable)."""
        features = dict(features)
        for module in self.children():
            if isinstance(module, Normalize) and normalize is False:
                continue
            features = module(features)
        if normalize and not self.normalizes:
            features["sentence_embedding"] = torch.nn.functional.normalize(
                features["sentence_embedding"], p=2, dim=1)
        return features

    # -- encode ---------------------------------------------------------------------------
    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
        normalize: bool | None = None,
    ) -> np.ndarray:
        """float32 vectors [len(texts), dim], in input order. Batches are sorted by token
        length (longest first); ``cancel`` is checked before each batch."""
        texts = check_texts(texts)
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        total = len(texts)
        out = np.zeros((total, self.dim), dtype=np.float32)
        if total == 0:
            if progress:
                progress(0, 0)
            return out
        check(cancel)
        ids = self.transformer.tokenize_unpadded([self._cut(t) for t in texts])
        order = sorted(range(total), key=lambda i: -len(ids[i]))
        device = self.device
        was_training = self.training
        if was_training:     # walking the modules costs ~1 ms, a query's encoding ~15
            self.eval()
        try:
            with torch.inference_mode():
                for start in range(0, total, batch_size):
                    check(cancel)
                    rows = order[start:start + batch_size]
                    features = self.transformer.pad([ids[i] for i in rows], device)
                    with COMPUTE:   # one computation at a time (core/encoder/device.py)
                        emb = self.forward(features, normalize=normalize)["sentence_embedding"]
                        out[rows] = emb.float().cpu().numpy()
                    if progress:
                        progress(min(start + batch_size, total), total)
        finally:
            if was_training:
                self.train(True)
        return out

    def _cut(self, text: str) -> str:
        """Cut a huge text at whitespace well past max_seq_length tokens (tokenizing
        megabytes only to keep the first few hundred tokens is slow). The cut is kept
        only when the prefix alone already has more tokens than are kept."""
        limit = self.max_seq_length * CHARS_PER_TOKEN_CUT
        if len(text) <= limit:
            return text
        end = limit
        while end > limit // 2 and not text[end - 1].isspace():
            end -= 1
        if end <= limit // 2:
            return text   # no whitespace to cut at
        prefix = text[:end].rstrip()
        if self.transformer.count_tokens([prefix])[0] > self.max_seq_length + 1:
            return prefix
        return text

    def __repr__(self) -> str:
        parts = ", ".join(type(m).__name__ for m in self.children())
        return f"SentenceEncoder({self.name!r}: {parts}; dim={self.dim}, max_seq_length={self.max_seq_length})"


def _load_st_modules(folder: Path, dtype: torch.dtype) -> list[nn.Module]:
    entries = read_json(folder / "modules.json")
    if not isinstance(entries, list) or not entries:
        raise ModelError(f"{folder / 'modules.json'} lists no modules")
    modules: list[nn.Module] = []
    for entry in sorted(entries, key=lambda e: int(e.get("idx", 0))):
        kind = str(entry.get("type", "")).rsplit(".", 1)[-1]
        cls = MODULE_TYPES.get(kind)
        if cls is None:
            raise ModelError(
                f"module {entry.get('type')!r} in {folder / 'modules.json'} is not supported "
                f"(supported: {', '.join(MODULE_TYPES)})")
        sub = str(entry.get("path", ""))
        sub_path = (folder / sub).resolve()
        if folder.resolve() not in (sub_path, *sub_path.parents):
            raise ModelError(f"module path {sub!r} leaves the model folder")
        if cls is Transformer:
            modules.append(Transformer.load(sub_path, dtype))
        else:
            modules.append(cls.load(sub_path))  # type: ignore[attr-defined]
    return modules


def _model_name(folder: Path) -> str:
    """The folder's name, or the model card's title when the folder name says nothing."""
    name = folder.resolve().name
    if name.lower() not in GENERIC_FOLDER_NAMES:
        return name
    readme = folder / "README.md"
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("# ") and len(line) < 80:
                return line[2:].strip()
    return folder.resolve().parent.name or name
