"""Words for people: counts with the right noun (one helper for the window and the CLI)."""

from __future__ import annotations

_IRREGULAR = {"copy": "copies", "entry": "entries", "match": "matches", "this": "these"}


def plural_noun(noun: str, n: int) -> str:
    """``noun`` as it reads after the number ``n`` (1 group, 2 groups, 0 groups)."""
    if n == 1:
        return noun
    return _IRREGULAR.get(noun, noun + "s")


def count(n: int, noun: str) -> str:
    """"1 group", "2 groups", "1,204 passages"."""
    return f"{n:,} {plural_noun(noun, n)}"
