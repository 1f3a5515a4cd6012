"""Word-level difference between two passages, with character spans for highlighting."""

from __future__ import annotations

import difflib
import re

from core.dupes.types import DiffOp

_WORD = re.compile(r"\S+")


def _tokens(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    words, spans = [], []
    for m in _WORD.finditer(text):
        words.append(m.group())
        spans.append(m.span())
    return words, spans


def _span(spans: list[tuple[int, int]], i: int, j: int, text_len: int) -> tuple[int, int]:
    if i < j:
        return spans[i][0], spans[j - 1][1]
    pos = spans[i][0] if i < len(spans) else text_len
    return pos, pos


def word_diff(a: str, b: str) -> list[DiffOp]:
    """Steps (equal / insert / delete / replace) turning ``a`` into ``b``, word by word.

    Words are compared casefolded, so a change of case alone counts as equal."""
    wa, sa = _tokens(a)
    wb, sb = _tokens(b)
    matcher = difflib.SequenceMatcher(
        None, [w.casefold() for w in wa], [w.casefold() for w in wb], autojunk=False
    )
    ops = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        span_a = _span(sa, i1, i2, len(a))
        span_b = _span(sb, j1, j2, len(b))
        ops.append(DiffOp(tag, a[span_a[0]:span_a[1]], b[span_b[0]:span_b[1]], span_a, span_b))
    return ops
