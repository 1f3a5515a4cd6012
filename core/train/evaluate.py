"""Evaluation of an encoder on labelled examples: Spearman for scores; average
precision, best-threshold F1 and accuracy for binary pairs; triplet accuracy; for
positive pairs, how often the positive is the nearest of all held-out positives.
Also the forgetting check on general pairs (the STS Benchmark dev set by default)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from core.cancel import CancelToken
from core.errors import InvalidInputError
from core.evaluation.stats import average_precision, best_accuracy, best_f1, pearson, spearman
from core.train.labels import parse_label_file
from core.train.types import PAIR_BINARY, PAIR_SCORE, POSITIVE_PAIR, TRIPLET, Example, RowError

FORGETTING_LIMIT = 1.0      # Spearman points (x100) the new model may lose
RESOURCES = Path(__file__).resolve().parents[2] / "resources"
STS_DEV = RESOURCES / "sts-dev.tsv"

# The headline metric of each kind (what before/after tables lead with).
MAIN_METRIC = {PAIR_SCORE: "spearman", PAIR_BINARY: "ap", TRIPLET: "accuracy", POSITIVE_PAIR: "top1"}


def _normalize(mat: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    return mat / np.maximum(norms, 1e-12)


def encode_unique(encoder: Any, texts: list[str], batch_size: int, cancel: CancelToken | None,
                  progress: Any = None) -> dict[str, np.ndarray]:
    unique = sorted(set(texts))
    if not unique:
        return {}
    vectors = (encoder.encode(unique, batch_size=batch_size, cancel=cancel, progress=progress) if progress
               else encoder.encode(unique, batch_size=batch_size, cancel=cancel))
    mat = _normalize(np.asarray(vectors, dtype=np.float32))
    return {t: mat[i] for i, t in enumerate(unique)}


def _cos(vecs: dict[str, np.ndarray], a: list[str], b: list[str]) -> np.ndarray:
    return np.array([float(vecs[x] @ vecs[y]) for x, y in zip(a, b, strict=True)])


def _defined(correlation: Any, x: np.ndarray, y: np.ndarray) -> float:
    """A correlation the report can show: 0 where it is undefined (fewer than two pairs,
    or a side that never varies)."""
    if len(x) < 2:
        return 0.0
    value = correlation(x, y)
    return 0.0 if np.isnan(value) else float(value)


def metrics_for(kind: str, examples: list[Example], vecs: dict[str, np.ndarray]) -> dict[str, float]:
    a = [e.texts[0] for e in examples]
    b = [e.texts[1] for e in examples]
    out: dict[str, float] = {"n": float(len(examples))}
    if kind == PAIR_SCORE:
        sims, gold = _cos(vecs, a, b), np.array([e.label for e in examples], dtype=np.float64)
        out["spearman"] = 100.0 * _defined(spearman, sims, gold)
        out["pearson"] = 100.0 * _defined(pearson, sims, gold)
    elif kind == PAIR_BINARY:
        sims, gold = _cos(vecs, a, b), np.array([e.label for e in examples], dtype=np.float64)
        f1, f1_t = best_f1(sims, gold)
        acc, acc_t = best_accuracy(sims, gold)
        out.update(ap=100.0 * average_precision(sims, gold), f1=100.0 * f1, f1_threshold=f1_t,
                   accuracy=100.0 * acc, accuracy_threshold=acc_t)
    elif kind == TRIPLET:
        pos, neg = _cos(vecs, a, b), _cos(vecs, a, [e.texts[2] for e in examples])
        out["accuracy"] = 100.0 * float(np.mean(pos > neg))
    elif kind == POSITIVE_PAIR:
        anchors = np.stack([vecs[t] for t in a])
        cands = np.stack([vecs[t] for t in b])
        best = np.argmax(anchors @ cands.T, axis=1)
        out["top1"] = 100.0 * float(np.mean(best == np.arange(len(a))))
    return out


def unique_texts(examples: list[Example]) -> int:
    """How many texts evaluating ``examples`` encodes (its cost, for progress)."""
    return len({t for ex in examples for t in ex.texts})


def evaluate_examples(
    encoder: Any, examples: list[Example], batch_size: int = 32, cancel: CancelToken | None = None,
    progress: Any = None,
) -> dict[str, dict[str, float]]:
    """Metrics per label kind for ``examples`` under ``encoder`` (``progress(done, total)``
    after each batch of texts encoded)."""
    by_kind: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        by_kind[ex.kind].append(ex)
    vecs = encode_unique(encoder, [t for ex in examples for t in ex.texts], batch_size, cancel, progress)
    return {kind: metrics_for(kind, exs, vecs) for kind, exs in sorted(by_kind.items()) if len(exs) >= 2}


def read_examples(path: Path | str, strict: bool = True) -> list[Example]:
    """Examples from a label file (any kind the import reads). ``strict``: any bad row
    is an error; otherwise bad rows are left out (see read_examples_and_errors)."""
    examples, errors = read_examples_and_errors(path)
    if errors and strict:
        first = errors[0]
        raise InvalidInputError(
            f"{Path(path).name}: {len(errors)} bad rows (first: line {first.line}: {first.reason})"
        )
    return examples


def read_examples_and_errors(path: Path | str) -> tuple[list[Example], list[RowError]]:
    parsed = parse_label_file(path)
    if not parsed.rows:
        reason = f" (line {parsed.errors[0].line}: {parsed.errors[0].reason})" if parsed.errors else ""
        raise InvalidInputError(f"{Path(path).name}: no pairs to evaluate{reason}")
    return [Example(None, kind, texts, label) for _, kind, texts, label in parsed.rows], parsed.errors


def general_score(metrics: dict[str, dict[str, float]]) -> tuple[str, float]:
    """The forgetting check's figure: Spearman on scored pairs, else AP on binary."""
    for kind in (PAIR_SCORE, PAIR_BINARY, TRIPLET, POSITIVE_PAIR):
        if kind in metrics:
            name = MAIN_METRIC[kind]
            return name, metrics[kind][name]
    raise InvalidInputError("the general pairs gave nothing to measure")


def forgetting_check(before: float, after: float, metric: str, data: str) -> dict[str, Any]:
    drop = before - after
    warning = drop > FORGETTING_LIMIT
    if warning:
        message = (f"the new model lost {drop:.2f} points of {metric} on general pairs "
                   f"({before:.2f} -> {after:.2f}): it may have forgotten general language")
    else:
        message = f"general pairs {metric}: {before:.2f} -> {after:.2f} (change {after - before:+.2f})"
    return {"data": data, "metric": metric, "before": before, "after": after, "drop": drop,
            "limit": FORGETTING_LIMIT, "warning": warning, "message": message}
