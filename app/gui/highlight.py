"""Passage text to display HTML: the best sentence on a tinted background, matching
words in bold, trimmed to a window around the best sentence. Pure functions (no Qt)."""

from __future__ import annotations

import html
import re

_BREAKS = re.compile(r"[ \t]*\n\s*")
SENTENCE_BG = "#fff1a8"
SENTENCE_BG_DARK = "#5c4d00"


def _merge(spans: list[tuple[int, int]], n: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted((max(0, a), min(n, b)) for a, b in spans if b > a):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def window(text: str, best: tuple[int, int] | None, limit: int) -> tuple[int, int]:
    """A [start, end) range of at most ~``limit`` characters that shows the best
    sentence (or the start of the text), cut at spaces."""
    n = len(text)
    if limit <= 0 or n <= limit:
        return 0, n
    if best is None:
        start, end = 0, limit
    else:
        a, b = best
        room = max(limit - (b - a), 0)
        # little before the sentence: the card shows four lines, the sentence must be in them
        start = max(0, a - min(room // 3, 90))
        end = min(n, max(b, start + limit))
        if end - start > limit and b - a < limit:
            end = start + limit
        # (a sentence at the end gives a shorter window: pulling its start back would push
        # the sentence out of the card's four lines)
    if start > 0:
        space = text.find(" ", start, min(start + 30, n))
        start = space + 1 if space != -1 else start
    if end < n:
        space = text.rfind(" ", max(end - 30, start), end)
        end = space if space > start else end
    return start, end


def passage_html(
    text: str,
    best: tuple[int, int] | None = None,
    words: list[tuple[int, int]] | None = None,
    limit: int = 0,
    sentence_bg: str = SENTENCE_BG,
) -> str:
    """HTML for ``text`` with the ``best`` span highlighted and ``words`` in bold,
    limited to a window of ``limit`` characters (0 = all) with ellipses."""
    n = len(text)
    if best is not None:
        best = (max(0, min(best[0], n)), max(0, min(best[1], n)))
        if best[1] <= best[0]:
            best = None
    start, end = window(text, best, limit)
    bold = _merge(list(words or []), n)
    # Boundaries where formatting changes, inside the window.
    cuts = {start, end}
    for a, b in bold + ([best] if best else []):
        for x in (a, b):
            if start < x < end:
                cuts.add(x)
    points = sorted(cuts)
    parts: list[str] = ["\u2026 " if start > 0 else ""]
    for a, b in zip(points, points[1:], strict=False):
        if limit > 0:     # a card: line breaks would eat its four lines, the sentence fell out of view
            piece = html.escape(_BREAKS.sub(" ", text[a:b]))
        else:
            piece = html.escape(text[a:b]).replace("\n", "<br>")
        in_bold = any(x <= a and b <= y for x, y in bold)
        in_best = best is not None and best[0] <= a and b <= best[1]
        if in_bold:
            piece = f"<b>{piece}</b>"
        if in_best:
            piece = f'<span style="background-color:{sentence_bg}">{piece}</span>'
        parts.append(piece)
    if end < n:
        parts.append(" \u2026")
    return "".join(parts)


def page_label(page_start: int | None, page_end: int | None) -> str:
    if page_start is None:
        return ""
    if page_end is None or page_end == page_start:
        return f"p. {page_start}"
    return f"pp. {page_start}\u2013{page_end}"
