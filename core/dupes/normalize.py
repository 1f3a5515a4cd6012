"""Normalized text for exact-duplicate detection: casefold, collapse whitespace, strip
punctuation at both ends; then a hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from core.text import is_fragment

_SPACE = re.compile(r"\s+")


def _strip_punct(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _is_edge_junk(text[start]):
        start += 1
    while end > start and _is_edge_junk(text[end - 1]):
        end -= 1
    return text[start:end]


def _is_edge_junk(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch)[0] in ("P", "S")


def normalize_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return _strip_punct(_SPACE.sub(" ", text).strip())


def norm_hash(text: str) -> str:
    return hashlib.blake2b(normalize_text(text).encode("utf-8"), digest_size=16).hexdigest()


# Paragraphs too slight to be a copy worth showing (a page number, "Test", a heading on
# its own): they get this hash and are left out of mining altogether.
TRIVIAL = ""


def is_trivial(text: str, heading: str | None = None) -> bool:
    """True for a paragraph that must not form pairs or clusters: a fragment (fewer than
    4 words of two letters or more, or fewer than 20 letters: core.text.is_fragment) or
    only its heading."""
    if is_fragment(text):
        return True
    return heading is not None and normalize_text(text) == normalize_text(heading)


def mining_hash(text: str, heading: str | None = None) -> str:
    """The normalized-text hash mining keys exact copies by, or TRIVIAL."""
    return TRIVIAL if is_trivial(text, heading) else norm_hash(text)
