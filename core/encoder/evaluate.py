"""Semantic textual similarity evaluation: Spearman's rank correlation between the
cosine of two sentence embeddings and gold similarity scores (STS Benchmark format)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import InvalidInputError

if TYPE_CHECKING:  # pragma: no cover
    from core.cancel import CancelToken
    from core.encoder.model import SentenceEncoder


@dataclass
class StsData:
    sentences1: list[str]
    sentences2: list[str]
    scores: np.ndarray  # float64 gold scores, one per pair

    def __len__(self) -> int:
        return len(self.scores)


@dataclass
class StsResult:
    spearman: float   # x100
    pearson: float    # x100
    pairs: int


def read_sts(path: Path | str) -> StsData:
    """Read an STS Benchmark file: tab-separated ``genre file year id score s1 s2 [...]``.

    The sentences hold unbalanced double quotes, so the lines are split on tabs only
    (no CSV quoting); fields after the seventh (licence notes on some rows) are ignored.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read the STS file {path}: {exc}") from exc
    s1: list[str] = []
    s2: list[str] = []
    scores: list[float] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 7:
            raise InvalidInputError(
                f"{path}:{lineno}: expected at least 7 tab-separated fields "
                f"(genre, file, year, id, score, sentence1, sentence2), found {len(fields)}"
            )
        try:
            score = float(fields[4])
        except ValueError:
            raise InvalidInputError(f"{path}:{lineno}: the score {fields[4]!r} is not a number") from None
        scores.append(score)
        s1.append(fields[5])
        s2.append(fields[6])
    if len(scores) < 2:
        raise InvalidInputError(f"{path} holds {len(scores)} sentence pairs; at least 2 are needed")
    return StsData(s1, s2, np.asarray(scores, dtype=np.float64))


def rankdata(values: Any) -> np.ndarray:
    """Ranks 1..n, ties given the average of the ranks they span."""
    x = np.asarray(values, dtype=np.float64).ravel()
    n = x.size
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    bounds = np.r_[starts, n]
    average = (bounds[:-1] + bounds[1:] + 1) / 2.0   # mean of ranks start+1 .. end
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = np.repeat(average, np.diff(bounds))
    return ranks


def pearson(a: Any, b: Any) -> float:
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    if x.size != y.size:
        raise ValueError(f"lengths differ: {x.size} and {y.size}")
    if x.size < 2:
        raise ValueError("a correlation needs at least 2 values")
    x = x - x.mean()
    y = y - y.mean()
    denom = np.sqrt((x * x).sum() * (y * y).sum())
    if denom == 0:
        return float("nan")
    return float((x * y).sum() / denom)


def spearman(a: Any, b: Any) -> float:
    """Spearman's rank correlation (average ranks for ties), in [-1, 1]."""
    return pearson(rankdata(a), rankdata(b))


def cosine_rows(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Cosine of each row of ``u`` with the same row of ``v``."""
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    norms = np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1)
    return (u * v).sum(axis=1) / np.maximum(norms, 1e-12)


def evaluate_sts(
    encoder: SentenceEncoder,
    data: StsData,
    batch_size: int = 32,
    progress: Callable[[int, int], Any] | None = None,
    cancel: CancelToken | None = None,
) -> StsResult:
    """Encode every distinct sentence once; correlate pair cosines with the gold scores."""
    unique = list(dict.fromkeys(data.sentences1 + data.sentences2))
    where = {s: i for i, s in enumerate(unique)}
    vectors = encoder.encode(unique, batch_size=batch_size, progress=progress, cancel=cancel)
    u = vectors[[where[s] for s in data.sentences1]]
    v = vectors[[where[s] for s in data.sentences2]]
    cos = cosine_rows(u, v)
    return StsResult(100.0 * spearman(cos, data.scores), 100.0 * pearson(cos, data.scores), len(data))
