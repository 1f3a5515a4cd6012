"""Metrics of the evaluation before and after training (numpy only)."""

from __future__ import annotations

import numpy as np


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks starting at 1, ties get their average rank."""
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=np.float64)
    xs = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and xs[j + 1] == xs[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    y = np.asarray(y, dtype=np.float64) - np.mean(y)
    denom = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / denom) if denom > 0 else 0.0


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    return pearson(_ranks(np.asarray(x, dtype=np.float64)), _ranks(np.asarray(y, dtype=np.float64)))


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
