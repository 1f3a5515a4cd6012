"""Printed lines -> paragraphs, for a PDF page's text layer and for OCR'd lines alike.

A line ends a paragraph when it is followed by a blank line, when it ends a sentence and
is clearly shorter than the page's usual line, when it is a short line (a title, a
heading, a label) followed by a capital or a digit, or when the next line starts a list
item. Other lines are wrapped text: they are joined with a space, and a word hyphenated
at the line end ("exam-" + "ple") is joined back when the next line starts with a
lower-case letter.
"""

from __future__ import annotations

import re

from core.extract.clean import clean_line

_SENTENCE_END = re.compile(r"[.!?:;…][\"'”’»)\]]*$")
_LIST_START = re.compile(r"^(?:[•◦▪‣∙·\-–—*]\s|\(?\d{1,3}[.)]\s|\(?[a-zA-Z][.)]\s)")


def page_paragraphs(raw: str) -> list[str]:
    """One page's text (one printed line per line) cut into paragraphs."""
    lines = [clean_line(line) for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lengths = sorted(len(line) for line in lines if line)
    if not lengths:
        return []
    typical = lengths[int(0.75 * (len(lengths) - 1))]
    paragraphs: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        if not line:
            if current:
                paragraphs.append(current)
                current = ""
            continue
        current = _join(current, line)
        following = next((x for x in lines[i + 1:i + 2] if x), "")
        if not following or _ends_paragraph(line, following, typical):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def _join(current: str, line: str) -> str:
    if not current:
        return line
    if (current.endswith("-") and len(current) > 1 and current[-2].isalpha()
            and line[:1].islower()):
        return current[:-1] + line
    return current + " " + line


def _ends_paragraph(line: str, following: str, typical: int) -> bool:
    if _LIST_START.match(following):
        return True
    starts_upper = following[:1].isupper() or following[:1].isdigit()
    if _SENTENCE_END.search(line) and len(line) < 0.8 * typical:
        return True
    return starts_upper and len(line) < 0.5 * typical and not line.endswith((",", "-"))
