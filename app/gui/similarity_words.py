"""Similarity a person can read: a cosine becomes "near copy", "same topic", "loosely
related" or "not alike", from the near/related thresholds the library measured for its
similar paragraphs (core/dupes: ``Library.duplicate_thresholds``). The score bar of a
find-similar result is drawn on that scale, not relative to the best result, so a list
where nothing is alike shows short bars. Pure functions (no Qt)."""

from __future__ import annotations

from typing import Any

NEAR_COPY = "near copy"
SAME_TOPIC = "same topic"
LOOSE = "loosely related"
NOT_ALIKE = "not alike"
LOOSE_BELOW = 0.15        # "loosely related" reaches this far below the related threshold
WORD_COLOURS = {NEAR_COPY: "#15803d", SAME_TOPIC: "#2563eb", LOOSE: "#a16207", NOT_ALIKE: "#6b7280"}


def alike_word(cosine: float, near: float, related: float) -> str:
    if cosine >= near:
        return NEAR_COPY
    if cosine >= related:
        return SAME_TOPIC
    if cosine >= related - LOOSE_BELOW:
        return LOOSE
    return NOT_ALIKE


def bar_fraction(cosine: float, near: float, related: float) -> float:
    """0 at the bottom of "loosely related", 1 at the near-copy threshold."""
    floor = related - LOOSE_BELOW
    return max(0.0, min(1.0, (cosine - floor) / max(near - floor, 1e-6)))


def calibrate_passages(results: list[Any], near: float, related: float) -> None:
    """Label each find-similar result (its score is the cosine to the source passage)."""
    for r in results:
        cos = float(r.score or 0.0)
        r.alike = alike_word(cos, near, related)
        r.bar = bar_fraction(cos, near, related)


def document_words(sim: Any, near: float, related: float) -> tuple[str, str, float]:
    """(label, note, bar) for a similar document from its passage pairs' cosines: how many
    of the source's passages have a match in it above the related and near thresholds."""
    best: dict[int, float] = {}
    for src, _tgt, cos in sim.pairs:
        best[src] = max(best.get(src, -1.0), float(cos))
    n = max(sim.source_passages, len(best), 1)
    near_n = sum(1 for c in best.values() if c >= near)
    related_n = sum(1 for c in best.values() if c >= related)
    top = max(best.values(), default=0.0)
    if near_n * 2 >= n:
        label = NEAR_COPY
    elif related_n:
        label = SAME_TOPIC
    else:
        label = LOOSE if top >= related - LOOSE_BELOW else NOT_ALIKE
    note = f"{related_n} of {n} passages alike"
    if near_n:
        note += f" ({near_n} near cop{'ies' if near_n != 1 else 'y'})"
    bar = max(related_n / n, bar_fraction(top, near, related) * 0.25 if related_n == 0 else 0.0)
    return label, note, bar
