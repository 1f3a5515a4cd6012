"""Semantic textual similarity evaluation: Spearman's rank correlation between the
cosine of two sentence embeddings and gold similarity scores (STS Benchmark format)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import InvalidInputError
from core.evaluation.stats import cosine_rows, pearson, spearman

if TYPE_CHECKING:  # pragma: no cover
    from core.cancel import CancelToken
    from core.types import Encoder


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


def evaluate_sts(
    encoder: Encoder,
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
