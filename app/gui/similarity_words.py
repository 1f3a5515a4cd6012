"""Similarity a person can read: the engine's words and numbers on the window's cards.

One definition, the engine's (core/search/scores.py): a cosine becomes a strength in
0..1 on the calibrated scale (0 at the floor under which a passage is rarely related, 1
at a near copy), and the words "near copy", "same topic", "loosely related", "not
alike" are bands of that same strength, their edges at the near/related thresholds the
library measured for its similar paragraphs (``Discovery.duplicate_thresholds``). A find
similar documents result carries its own score and words (Searcher.similar_documents),
which ranked it. So a bar is absolute, the words follow the ranking by construction, and
a list where nothing is alike shows short bars. Pure functions (no Qt)."""

from __future__ import annotations

from typing import Any

from core.search.scores import LOOSE, NEAR_COPY, NOT_ALIKE, SAME_TOPIC, band, strength
from core.types import SearchResult
from core.words import count

WORD_COLOURS = {NEAR_COPY: "#15803d", SAME_TOPIC: "#2563eb", LOOSE: "#a16207", NOT_ALIKE: "#6b7280"}


def alike_word(cosine: float, near: float, related: float) -> str:
    return band(strength(cosine), near, related)


def bar_fraction(cosine: float, near: float, related: float) -> float:
    """The bar of a passage: its strength (0 at the calibrated floor, 1 at a near copy)."""
    return strength(cosine)


def calibrate_passages(results: list[Any], near: float, related: float) -> None:
    """Label each find-similar result (its score is the cosine to the source passage)."""
    for r in results:
        cos = float(r.score or 0.0)
        r.alike = alike_word(cos, near, related)
        r.bar = bar_fraction(cos, near, related)


def alike_summary(found: list[Any], noun: str, where: str = "") -> str:
    """The header of a find-similar list that counts only what is alike: "3 similar
    passages in other documents, then 22 not alike", or, when nothing reaches "loosely
    related", "No similar passage in other documents; the 25 closest, not alike, are
    listed" (the list had said "25 similar passages" over 25 cards saying "not alike")."""
    alike = sum(1 for r in found if getattr(r, "alike", None) != NOT_ALIKE)
    rest = len(found) - alike
    if not found:
        return f"No similar {noun}{where}"
    if alike == 0:
        return f"No similar {noun}{where}; the {len(found):,} closest, not alike, {'is' if rest == 1 else 'are'} listed"
    return f"{count(alike, 'similar ' + noun)}{where}" + (f", then {rest:,} not alike" if rest else "")


def document_words(sim: Any, near: float = 0.0, related: float = 0.0) -> tuple[str, str, float]:
    """(label, note, bar) for a similar document: the engine's word and score (the one
    that ranked it), and how many of the source's body passages found a match in it."""
    label = sim.alike or band(sim.score)
    note = f"{sim.matched_passages} of {sim.source_passages} passages match"
    return label, note, max(0.0, min(1.0, float(sim.score)))


def chunk_as_result(c: Any, score: float | None = None) -> SearchResult:
    """A ChunkInfo shown like a search result (the source of a find-similar)."""
    return SearchResult(c.id, c.document_id, c.path, c.title, c.page_start, c.page_end,
                        c.heading, c.text, score if score is not None else 1.0)


def document_as_result(sim: Any, best: Any, thresholds: tuple[float, float] = (0.85, 0.70)) -> SearchResult:
    """A SimilarDocument shown like a result: its best-matching passage, its score, and
    how alike it is in words (app/gui/similarity_words.py)."""
    d = sim.document
    if best is None:
        return SearchResult(-1, d.id, d.path, d.title, None, None, None,
                            f"{d.chunks} passages", sim.score)
    r = SearchResult(best.id, d.id, d.path, d.title, best.page_start, best.page_end,
                     best.heading, best.text, sim.score)
    r.alike, r.note, r.bar = document_words(sim, *thresholds)  # type: ignore[attr-defined]
    r.strength, r.explanation = sim.score, sim.explanation
    return r
