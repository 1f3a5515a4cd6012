"""A document's title: its real title where the file has one, never a
fragment of its first page that only looks like one ("ibm.com/redbooks Redpaper Front
cover", "This section of the FEDERAL REGISTER contains notices ...").

Order: the file's own title (PDF /Title, docx core properties) when it is meaningful,
then the first heading, then a title-like line among the first blocks of the first page,
then the file name. A metadata title is meaningful when it is not empty, not a program's
placeholder ("Untitled", "Document1", "Slide 1", "PowerPoint Presentation", "Microsoft
Word - x.doc"), not a file name (the document's own or any "name.ext"), and has letters.
A line is title-like when it is short (2 to 15 words, at most 150 characters), holds no
web address or e-mail, does not end as a sentence does, and does not start in lower case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from core.types import Block

_PLACEHOLDER = re.compile(
    r"^(untitled( document)?|document ?\d*|slide ?\d*|title|powerpoint presentation|presentation ?\d*|"
    r"book ?\d*|doc ?\d*|new document|draft|none|unknown|template)$", re.IGNORECASE)
_FILE_NAME = re.compile(r"\.(docx?|pdf|tex|dvi|ps|odt|rtf|pptx?|xlsx?|txt|md|html?|indd|qxd|qxp)$", re.IGNORECASE)
_PROGRAM = re.compile(r"^(microsoft (word|powerpoint|excel)|adobe \w+|acrobat \w+)\s*-\s*", re.IGNORECASE)
_ADDRESS = re.compile(r"(https?://|www\.|\w\.(com|org|net|gov|edu)\b|\S+@\S+\.\w+)", re.IGNORECASE)
FIRST_BLOCKS = 6        # blocks of the first page looked at for a title-like line


def meaningful(title: str | None, path: Path) -> str | None:
    """The metadata title cleaned, or None when it says nothing about the document."""
    text = " ".join((title or "").split())
    if _PROGRAM.match(text):
        return None             # "Microsoft Word - report.doc": the program named a file
    if not 3 <= len(text) <= 200 or _PLACEHOLDER.match(text) or _FILE_NAME.search(text):
        return None
    if sum(c.isalpha() for c in text) < 3:
        return None
    if _norm(text) in (_norm(path.stem), _norm(path.name)):
        return None
    return text


def title_like(line: str) -> bool:
    words = line.split()
    if not 2 <= len(words) <= 15 or len(line) > 150 or _ADDRESS.search(line):
        return False
    if line.rstrip().endswith((".", ",", ";", ":")) or line[0].islower():
        return False
    return sum(c.isalpha() for c in line) >= 0.5 * len(line.replace(" ", ""))


def choose_title(metadata: str | None, blocks: Sequence[Block], path: Path) -> str:
    found = meaningful(metadata, path)
    if found:
        return found
    for block in blocks:
        if block.kind == "heading" and title_like(block.text.split("\n")[0]):
            return " ".join(block.text.split("\n")[0].split())
    for block in blocks[:FIRST_BLOCKS]:
        if block.page not in (None, 1):
            break
        first = block.text.split("\n")[0]
        if title_like(first):
            return " ".join(first.split())
    return path.stem


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())
