"""Text clean-up shared by every extractor.

Extracted text is stored and shown as it is, so it is cleaned once, here:

- NUL and other C0/C1 control characters are removed (tabs become spaces, line breaks
  are kept); lone UTF-16 surrogates (seen in broken PDF font maps) become U+FFFD so the
  text can always be encoded as UTF-8;
- zero-width characters and soft hyphens are removed; non-breaking and other Unicode
  spaces become plain spaces;
- typographic ligatures (U+FB00..U+FB06, common in PDFs set with TeX) become their
  letters, so that "difﬁcult" is found by "difficult". Full NFKC is deliberately not
  applied: it would also rewrite superscripts, full-width CJK forms and the like;
- runs of spaces collapse to one, lines are stripped, empty lines are dropped.

A block never contains an empty line: blocks are joined by a blank line to make the
document text (core.chunk.document_text), so a blank line always means a block boundary.
"""

from __future__ import annotations

import re

_LIGATURES = str.maketrans({
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\ufb05": "st", "\ufb06": "st",
})
# C0 controls except \t \n \r, DEL, C1 controls; zero-width chars, soft hyphen, BOM.
_DROP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85]")


def clean_line(text: str) -> str:
    """One line of text with controls removed and spaces collapsed."""
    text = _SURROGATE.sub("\ufffd", text)
    text = _DROP.sub("", text.translate(_LIGATURES))
    return _SPACES.sub(" ", text).strip()


def clean_block(text: str, keep_newlines: bool = True) -> str:
    """A block's text: every line cleaned, empty lines dropped. With keep_newlines the
    remaining lines are joined by a newline, otherwise by a space."""
    text = _NEWLINES.sub("\n", text)
    lines = [clean_line(line) for line in text.split("\n")]
    return ("\n" if keep_newlines else " ").join(line for line in lines if line)


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by one or more blank lines (lines of only spaces count)."""
    text = _NEWLINES.sub("\n", text)
    parts = re.split(r"\n[ \t\u00a0]*\n", text)
    return [p for p in parts if p.strip()]


def short_reason(exc: BaseException, limit: int = 200) -> str:
    """An exception as a short line a person can read: 'Class: message'."""
    message = " ".join(str(exc).split())
    reason = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"
