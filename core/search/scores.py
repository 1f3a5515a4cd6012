"""Scores a person can read: one absolute 0..1 scale for every similarity the
engine shows, the floor under which a passage is no answer, and the words for the bands.

The numbers come from core/search/calibration.py (measured with the default model by
bench/calibrate_scores.py). A cosine becomes a *strength* in 0..1 by a straight line from
the floor (0) to the near-copy cosine (1), so a bar drawn from it means the same on
every list, filtered or not: full only for near copies, empty at and below the floor.

The words follow the same scale by construction: each band is a range of strength,
ordered, so a better-ranked item never gets a weaker word. Passages (search results,
find similar passages) and documents (find similar documents, whose score is itself a
mean of strengths: Searcher.similar_documents) share the bands.
"""

from __future__ import annotations

from core.search.calibration import FLOOR, NEAR, RELATED

NEAR_COPY = "near copy"
SAME_TOPIC = "same topic"
LOOSE = "loosely related"
NOT_ALIKE = "not alike"
LOOSE_BELOW = 0.15      # "loosely related" reaches this far (in cosine) below RELATED


def strength(cosine: float | None, floor: float = FLOOR, near: float = NEAR) -> float:
    """0 at (and below) the floor, 1 at (and above) the near-copy cosine, linear between."""
    if cosine is None:
        return 0.0
    return max(0.0, min(1.0, (float(cosine) - floor) / max(near - floor, 1e-6)))


def band_edges(near: float = NEAR, related: float = RELATED, floor: float = FLOOR) -> list[tuple[float, str]]:
    """(lowest strength, word) from the strongest band down; ``near``/``related`` are
    cosines (a library's measured mining thresholds, or the calibrated defaults)."""
    return [
        (strength(near, floor, near), NEAR_COPY),
        (strength(related, floor, near), SAME_TOPIC),
        (strength(related - LOOSE_BELOW, floor, near), LOOSE),
    ]


def band(score: float, near: float = NEAR, related: float = RELATED) -> str:
    """The word for a strength (not a cosine): the first band whose lower edge it reaches."""
    for edge, word in band_edges(near, related):
        if score >= edge - 1e-9 and edge > 0:
            return word
    return NOT_ALIKE


def explain_cosine(cosine: float, what: str = "your query") -> str:
    """A tooltip for a passage's number."""
    s = strength(cosine)
    return (f"{band(s)} · strength {s:.2f} (cosine {cosine:.3f} to {what}; "
            f"0 at {FLOOR:.2f}, below which a passage is rarely related, 1 at {NEAR:.2f}, a near copy)")


def nothing_matches(best: float | None) -> str:
    """The reason an empty meaning search gives."""
    if best is None:
        return "nothing matches: no passage has a vector to compare with yet"
    return (f"nothing matches: the closest passage is at cosine {best:.2f}, under the floor of "
            f"{FLOOR:.2f} below which a passage is rarely related to a query "
            "(measured on STSb and SciFact, core/search/calibration.py)")
