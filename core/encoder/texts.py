"""The input check both encoders share (torch's and the int8 one, which never imports torch)."""

from __future__ import annotations

from typing import Any


def check_texts(texts: Any) -> list[str]:
    """``texts`` as a list of str, or a TypeError that says what was given instead."""
    if isinstance(texts, str | bytes):
        raise TypeError("texts must be a list of strings, not a single " + type(texts).__name__)
    try:
        items = list(texts)
    except TypeError:
        raise TypeError(f"texts must be a list of strings, not {type(texts).__name__}") from None
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] is {type(t).__name__}, not str")
    return items
