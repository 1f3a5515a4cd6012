"""The statistics every evaluation uses (numpy only): correlations for STS and for the
before/after report of training, ranks, cosines, and the threshold sweeps of pair
classification."""

from __future__ import annotations

from typing import Any

import numpy as np


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
    """Pearson's correlation in [-1, 1]; NaN when either side is constant."""
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


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean of the precision at the rank of each positive, ranking by score (desc)."""
    labels = np.asarray(labels) > 0.5
    if not labels.any():
        return 0.0
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="mergesort")
    hits = labels[order]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision[hits].mean())


def _sweep(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each threshold between distinct scores (predict similar when score >= t):
    (thresholds, true positives, false positives, negatives predicted negative)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels) > 0.5
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]   # last index of each distinct score
    tp = np.cumsum(y)[last]
    fp = np.cumsum(~y)[last]
    nxt = np.r_[s[last[:-1] + 1], s[-1] - 1.0] if len(s) else np.zeros(0)
    thresholds = (s[last] + nxt) / 2.0
    tn = (~y).sum() - fp
    return thresholds, tp, fp, tn


def best_f1(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(best F1 over thresholds, the threshold)."""
    if len(scores) == 0:
        return 0.0, 0.0
    thresholds, tp, fp, _ = _sweep(scores, labels)
    positives = int((np.asarray(labels) > 0.5).sum())
    precision = tp / np.maximum(tp + fp, 1)
    recall = tp / max(positives, 1)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    i = int(np.argmax(f1))
    return float(f1[i]), float(thresholds[i])


def best_accuracy(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(best accuracy over thresholds, the threshold); predicting all negative counts too."""
    n = len(scores)
    if n == 0:
        return 0.0, 0.0
    thresholds, tp, _, tn = _sweep(scores, labels)
    acc = (tp + tn) / n
    all_negative = float((np.asarray(labels) <= 0.5).sum()) / n
    i = int(np.argmax(acc))
    if all_negative > acc[i]:
        return all_negative, float(np.max(scores)) + 1e-6
    return float(acc[i]), float(thresholds[i])
