"""Sentence boundaries, shared by the chunker (splitting long paragraphs) and search
(the best-matching sentence of a passage); and what counts as a fragment of text (a table
cell, a page number, a list of single words), shared by the chunker, mining, and search
(a fragment is never an answer by meaning alone: ``is_fragment`` is the one definition).

`split_sentences(text)` returns (start, end) spans into `text`, in order, each without
leading or trailing whitespace; together they cover every non-space character.

The rules, chosen to be predictable rather than clever (no model, no language data):

- a line break always ends a sentence (table rows, list items and headings stay apart);
- CJK full stops (。！？) end a sentence wherever they stand;
- ". ! ? …" (and runs of them, with closing quotes or brackets after) end a sentence
  only when followed by whitespace and then a capital letter, a digit, an opening quote
  or bracket, or a letter of a script without case (Arabic, Hebrew, Thai, ...). A
  lower-case continuation ("e.g. the", "etc. and") is never cut;
- no cut after a known abbreviation (titles, Fig., Eq., et al., vs., No., pp. ...), after
  a single capital initial ("J. Smith"), or after a number that opens a sentence
  ("1. Introduction", a numbered list run into one line);
- decimals and versions (3.14, v1.2) never split: a period must be followed by space.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset("""
mr mrs ms dr prof sr jr st mt rev hon gen col capt lt sgt messrs mme mlle
fig figs eq eqs ref refs no nos vol vols pp p ch chap sec sect art para tab tabs app
al vs cf approx ca e.g i.e etc viz resp dept univ inc corp ltd co est
jan feb apr aug sep sept oct nov dec
""".split())

_END = re.compile(r"[.!?…]+[\"'”’»)\]]*|[。！？]+[」』）]*")
_OPENERS = "\"'“‘«([¿¡"


def split_sentences(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    line_start = 0
    for line in text.split("\n"):
        _split_line(text, line_start, line_start + len(line), spans)
        line_start += len(line) + 1
    return spans


def _split_line(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    sentence_start = start
    for match in _END.finditer(text, start, end):
        cut = match.end()
        if _is_boundary(text, start, end, match, sentence_start):
            _add(text, sentence_start, cut, spans)
            sentence_start = cut
    _add(text, sentence_start, end, spans)


def _is_boundary(text: str, line_start: int, line_end: int, match: re.Match, sentence_start: int) -> bool:
    mark = match.group()
    cut = match.end()
    if mark[0] in "。！？":
        return True
    if cut >= line_end:
        return False  # the line's end cuts anyway
    if not text[cut].isspace():
        return False
    nxt = cut
    while nxt < line_end and text[nxt].isspace():
        nxt += 1
    if nxt >= line_end:
        return False
    follower = text[nxt]
    if not (follower.isupper() or follower.isdigit() or follower in _OPENERS
            or (follower.isalpha() and not follower.islower())):
        return False
    if mark[0] != ".":
        return True
    word_start = _word_start(text, max(line_start, sentence_start), match.start())
    token = text[word_start:match.start()]
    if not token:
        return True
    if token.lower().rstrip(".") in ABBREVIATIONS:
        return False
    if len(token) == 1 and token.isupper():
        return False  # an initial
    return not (token.isdigit() and text[sentence_start:word_start].strip() == "")


def _word_start(text: str, lower: int, end: int) -> int:
    """Start of the word that ends at `end` (opening quotes and brackets not included)."""
    i = end
    while i > lower and not text[i - 1].isspace() and text[i - 1] not in _OPENERS:
        i -= 1
    return i


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


# A paragraph too slight to stand alone: fewer than FRAGMENT_WORDS words of two letters
# or more, or fewer than FRAGMENT_LETTERS letters ("Capital", "273.879.750", "* now.").
FRAGMENT_WORDS = 4
FRAGMENT_LETTERS = 20
_WORD = re.compile(r"[^\W\d_]{2,}")


def is_fragment(text: str) -> bool:
    words = _WORD.findall(text)
    return len(words) < FRAGMENT_WORDS or sum(len(w) for w in words) < FRAGMENT_LETTERS
