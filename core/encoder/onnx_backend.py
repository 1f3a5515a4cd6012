"""The fast CPU encoder: an exported (int8) model run by ONNX Runtime or OpenVINO, without torch.

A folder made by core.encoder.export holds ``model.onnx`` (the transformer, fused and
quantized for ONNX Runtime), often ``model.xml``/``.bin`` (static int8 for OpenVINO; the
runtime is chosen by core.encoder.runtimes), ``tokenizer.json`` (the fast `tokenizers` tokenizer, lower-casing included
when the model asks for it) and ``fast.json`` (pooling, normalization, length, gates).
Pooling and normalization follow the model's modules.json, done here in numpy.
It offers the part of SentenceEncoder's surface that indexing and search use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import core.offline  # noqa: F401  (ONNX Runtime's telemetry off, before it is imported)
from core.addon import torch_available
from core.cancel import CancelToken, check
from core.encoder.runtimes import ONNXRUNTIME, OPENVINO, OpenVinoRunner, OrtRunner, choose_runtime
from core.encoder.texts import check_texts
from core.errors import ModelError

MANIFEST = "fast.json"
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
FORMAT = 2   # 2: a model per runtime, listed in the manifest's "runtimes"
POOLING_SUPPORTED = ("mean", "cls", "max", "mean_sqrt_len_tokens")
CHARS_PER_TOKEN_CUT = 40   # as SentenceEncoder: huge texts are cut before tokenizing
MAX_BATCH_GROWTH = 8   # a batch of short texts holds up to 8x batch_size rows
# Tokens (rows x longest row) per batch and ONNX Runtime thread: larger batches spill
# the attention and feed-forward activations out of the caches. Measured on the shared
# corpus's 11,171 passages, length-sorted, 2 threads: a budget of
# 2,048 tokens encoded 190 passages/s, 8,192 (batch_size 32 x 256) 164/s.
TOKENS_PER_THREAD = 1024

Progress = Callable[[int, int], Any]


@dataclass(frozen=True)
class CpuDevice:
    """Stands in for torch.device('cpu') where callers ask ``encoder.device.type``."""

    type: str = "cpu"

    def __str__(self) -> str:
        return "cpu"


def cpu_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class OnnxEncoder:
    """Texts -> float32 vectors with an exported model on ONNX Runtime or OpenVINO (CPU);
    ``runtime`` None: the one core.encoder.runtimes chooses for this CPU."""

    def __init__(self, folder: Path | str, name: str = "", path: Path | None = None,
                 threads: int | None = None, runtime: str | None = None,
                 compile_cache: Path | None = None) -> None:
        from tokenizers import Tokenizer

        self.folder = Path(folder)
        self.manifest = read_manifest(self.folder)
        if self.manifest.get("format") != FORMAT:
            raise ModelError(f"{self.folder} holds an export of another format")
        self.name = name or str(self.manifest.get("name") or "model")
        self.path = path
        self.precision = str(self.manifest.get("precision", "int8"))
        self.max_seq_length = int(self.manifest["max_seq_length"])
        self.normalizes = bool(self.manifest["normalize"])
        self.pooling: tuple[str, ...] = tuple(self.manifest["pooling"])
        self.word_dim = int(self.manifest["word_dim"])
        self.device = CpuDevice()
        self._tok = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))     # truncating
        self._tok.no_padding()
        self._tok.enable_truncation(self.max_seq_length)
        self._counter = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))  # counting
        self._counter.no_padding()
        self._counter.no_truncation()
        self._pad_id = int(self.manifest["pad_token_id"])
        threads = threads or cpu_cores()
        self._runner = _open_runner(self.folder, self.manifest, runtime, threads, compile_cache)
        self.runtime = self._runner.name
        self._inputs = self._runner.inputs
        self._token_budget = TOKENS_PER_THREAD * threads
        self._fallback: Any = None             # the fp32 encoder, once the runtime failed
        self.fallback_reason: str | None = None

    @property
    def vector_kind(self) -> str:
        """What the library records its vectors as: the two int8 runtimes quantize
        differently (static for OpenVINO, dynamic for ONNX Runtime), so their vectors of
        one model version are told apart ("int8-openvino", "int8-onnxruntime")."""
        return "fp32" if self._fallback is not None else f"{self.precision}-{self.runtime}"

    # -- shape ---------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.word_dim * len(self.pooling)

    # -- tokens --------------------------------------------------------------------------
    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text, special tokens included, before truncation."""
        texts = check_texts(texts)
        return [len(e.ids) for e in self._counter.encode_batch(texts)] if texts else []

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, truncated at max_seq_length (special tokens included)."""
        return [e.ids for e in self._tok.encode_batch([self._cut(t) for t in texts])]

    # -- encode --------------------------------------------------------------------------
    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
        normalize: bool | None = None,
    ) -> np.ndarray:
        """float32 vectors [len(texts), dim], in input order. Texts are sorted by length
        (longest first); a batch holds ``batch_size`` texts, or more short ones up to the
        tokens of ``batch_size`` full-length texts, and no batch more tokens than fit the
        caches (TOKENS_PER_THREAD per thread). ``cancel`` is checked per batch."""
        if self._fallback is not None:
            return self._fallback.encode(texts, batch_size, progress, cancel, normalize)
        try:
            return self._encode(texts, batch_size, progress, cancel, normalize)
        except (RuntimeError, MemoryError) as exc:
            # The runtime failed on this CPU mid-way (say std::bad_alloc): the texts are not
            # at fault. Their vectors, and all later ones, come from the fp32 encoder.
            if self.path is None or not torch_available():
                raise   # no fp32 encoder to fall back on (the base download has no torch)
            fp32 = self._fall_back(exc, self.path)
            return fp32.encode(texts, batch_size, progress, cancel, normalize)

    def _fall_back(self, exc: BaseException, model_dir: Path) -> Any:
        import logging

        from core.encoder.model import SentenceEncoder

        self.fallback_reason = f"{type(exc).__name__}: {exc}"
        logging.getLogger("likewise.encoder").warning(
            "The fast (int8) encoder failed while encoding (%s); encoding in fp32 from now on.",
            self.fallback_reason)
        self._fallback = SentenceEncoder.load(model_dir, device="cpu")
        self.precision = "fp32"
        return self._fallback

    def _encode(self, texts: Sequence[str], batch_size: int, progress: Progress | None,
                cancel: CancelToken | None, normalize: bool | None) -> np.ndarray:
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
        ids = self.token_ids(texts)
        order = sorted(range(total), key=lambda i: -len(ids[i]))
        budget = min(max(batch_size, 1) * self.max_seq_length, self._token_budget)
        rows_min = max(1, min(batch_size, budget // self.max_seq_length))
        done = 0
        for rows in _batches(order, ids, rows_min, budget):
            check(cancel)
            out[rows] = self._run([ids[i] for i in rows], normalize)
            done += len(rows)
            if progress:
                progress(done, total)
        return out

    def _run(self, seqs: list[list[int]], normalize: bool | None) -> np.ndarray:
        width = max(len(s) for s in seqs)
        input_ids = np.full((len(seqs), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(seqs), width), dtype=np.int64)
        for row, seq in enumerate(seqs):
            input_ids[row, :len(seq)] = seq
            mask[row, :len(seq)] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask,
                "token_type_ids": np.zeros_like(input_ids)}
        tokens = self._runner.run({k: feed[k] for k in self._inputs})
        vectors = pool(tokens, mask, self.pooling)
        if normalize or (normalize is None and self.normalizes):
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors

    def _cut(self, text: str) -> str:
        """Cut a huge text at whitespace well past max_seq_length tokens; kept only when
        the prefix alone already has more tokens than are kept (as SentenceEncoder)."""
        limit = self.max_seq_length * CHARS_PER_TOKEN_CUT
        if len(text) <= limit:
            return text
        end = limit
        while end > limit // 2 and not text[end - 1].isspace():
            end -= 1
        if end <= limit // 2:
            return text
        prefix = text[:end].rstrip()
        if self.count_tokens([prefix])[0] > self.max_seq_length + 1:
            return prefix
        return text

    def __repr__(self) -> str:
        return (f"OnnxEncoder({self.name!r}: {self.precision} on {self.runtime}, pooling={'+'.join(self.pooling)}, "
                f"dim={self.dim}, max_seq_length={self.max_seq_length})")


def pool(tokens: np.ndarray, mask: np.ndarray, modes: Sequence[str]) -> np.ndarray:
    """Token embeddings [batch, seq, dim] -> sentence embeddings, modes concatenated."""
    tokens = tokens.astype(np.float32, copy=False)
    m = mask[..., None].astype(np.float32)
    parts = []
    for mode in modes:
        if mode in ("mean", "mean_sqrt_len_tokens"):
            count = np.maximum(m.sum(axis=1), 1e-9)
            summed = (tokens * m).sum(axis=1)
            parts.append(summed / (count if mode == "mean" else np.sqrt(count)))
        elif mode == "cls":
            parts.append(tokens[:, 0, :].copy())
        elif mode == "max":
            parts.append(np.where(m > 0, tokens, -np.inf).max(axis=1))
        else:
            raise ModelError(f"pooling mode {mode!r} is not supported by the fast path")
    return (parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)).astype(np.float32)


def _batches(order: list[int], ids: list[list[int]], batch_size: int, budget: int):
    """Rows in ``order`` (longest first) grouped so that rows x longest <= budget tokens,
    and at least ``batch_size`` rows per batch unless the texts run out."""
    start = 0
    while start < len(order):
        width = max(len(ids[order[start]]), 1)
        size = min(max(batch_size, budget // width), batch_size * MAX_BATCH_GROWTH)
        yield order[start:start + size]
        start += size


def runtimes_of(manifest: dict) -> dict[str, str]:
    """Runtime -> model file of an export (those that passed its gate)."""
    return dict(manifest.get("runtimes") or {ONNXRUNTIME: ONNX_FILE})


def _open_runner(folder: Path, manifest: dict, runtime: str | None, threads: int,
                 compile_cache: Path | None) -> Any:
    files = runtimes_of(manifest)
    name = runtime or choose_runtime(list(files))
    if name not in files:
        raise ModelError(f"{folder} holds no {name} model")
    if name == OPENVINO:
        try:
            return OpenVinoRunner(folder / files[name], threads, compile_cache)
        except (ImportError, ModelError):
            if runtime is not None or ONNXRUNTIME not in files:
                raise
            # e.g. OpenVINO missing or unable to run here: the ONNX Runtime model serves
    return OrtRunner(folder / files[ONNXRUNTIME], threads)


def read_manifest(folder: Path) -> dict:
    try:
        return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"no usable export in {folder}: {exc}") from exc
