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


_PAGE_NUMBER = re.compile(r"^(?:[-–—]\s*)?(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?(?:\s*[-–—])?$", re.I)


def join_across_pages(blocks: list) -> list:
    """A paragraph cut by a page break is one block again: the last paragraph of a page
    that does not end a sentence, followed by a first paragraph of the next page that
    starts in lower case, are joined (page = the first page, page_end = the last). A page
    number printed between them (a lone "12", "Page 3 of 9") does not stop the join; it
    stays as its own block after the joined paragraph."""
    out: list = []
    for block in blocks:
        prev_i = _last_paragraph(out, block)
        if prev_i is not None:
            prev = out[prev_i]
            if not _SENTENCE_END.search(prev.text) and block.text[:1].islower():
                prev.text = _join(prev.text, block.text)
                prev.page_end = block.page_end or block.page
                continue
        out.append(block)
    return out


def _last_paragraph(out: list, block) -> int | None:
    """Index in ``out`` of the paragraph ``block`` (the first on its page) may continue."""
    if block.page is None or not out or out[-1].page == block.page:
        return None
    i = len(out) - 1
    while i >= 0 and _PAGE_NUMBER.match(out[i].text.strip()):
        i -= 1
    if i < 0:
        return None
    prev = out[i]
    if (prev.page_end or prev.page) != block.page - 1 or prev.ocr != block.ocr or prev.kind != block.kind:
        return None
    return i
