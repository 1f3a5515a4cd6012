"""Words for indexing progress, shared by the command line and the window (no Qt here):
the two stages, words (files read and written) and meaning (passages encoded), each
with its rate and ETA, and how much of the library can be searched by meaning."""

from __future__ import annotations

from typing import Any


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return "estimating\u2026"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


def words_text(p: Any) -> str:
    """The first stage: "words 120/500 files, 3.2/s, ETA 2 min 05 s"."""
    text = f"words {p.files_done:,}/{p.files_total:,} files"
    if p.files_total > p.files_done:
        if p.files_done:
            text += f", {p.files_per_s:.1f}/s"
            text += ", ETA " + eta_text(p.words_eta_s)
    return text


def meaning_text(p: Any) -> str:
    """The second stage: "meaning 1,200 of ~5,000 passages, 40.0/s, ETA 4 min 10 s"."""
    total = p.chunks_total
    text = f"meaning {p.chunks_done:,} of ~{total:,} passages" if total else f"meaning {p.chunks_done:,} passages"
    if p.chunks_per_s:
        text += f", {p.chunks_per_s:.1f}/s"
    if p.chunks_done and (not total or total > p.chunks_done):
        text += ", ETA " + eta_text(p.meaning_eta_s)
    return text


def by_meaning_text(counts: dict[str, int]) -> str | None:
    """ "by meaning: 42 % of passages" while some passages wait for the encoder."""
    chunks, ready = counts.get("chunks", 0), counts.get("by_meaning")
    if ready is None or not chunks or ready >= chunks:
        return None
    return f"by meaning: {int(100 * ready / chunks)} % of passages"
