"""OpenDocument text (.odt): headings, paragraphs, lists and tables in document order.

- The archive is checked first and content.xml (and meta.xml for the title) is parsed
  without entities (core.extract.archive).
- <text:h> is a heading block and the heading of what follows; <text:p> a paragraph;
  lists and sections are read through; a table is one block (a line per row, cells
  joined by " | "). Spaces (<text:s text:c="n"/>), tabs and line breaks are kept as
  text; deleted tracked changes, annotations and note citations are not read; the
  bodies of footnotes and endnotes are blocks after the paragraph that cites them.
"""

from __future__ import annotations

from pathlib import Path

from core.extract.archive import Refused, open_zip, parse_xml, read_member
from core.extract.clean import clean_block, clean_line
from core.types import INDEXED, NO_TEXT, Block, ExtractResult

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_DC = "http://purl.org/dc/elements/1.1/"
_H, _P, _S, _TAB, _BR = (f"{{{_TEXT}}}{n}" for n in ("h", "p", "s", "tab", "line-break"))
_NOTE, _NOTE_BODY, _SKIP_TEXT = f"{{{_TEXT}}}note", f"{{{_TEXT}}}note-body", {
    f"{{{_TEXT}}}tracked-changes", f"{{{_TEXT}}}note-citation", f"{{{_OFFICE}}}annotation",
    f"{{{_TEXT}}}bookmark-ref", f"{{{_TEXT}}}sequence-decls", f"{{{_OFFICE}}}forms"}
_TABLE_EL, _ROW, _CELL = f"{{{_TABLE}}}table", f"{{{_TABLE}}}table-row", f"{{{_TABLE}}}table-cell"


def extract_odt(path: Path) -> ExtractResult:
    with open_zip(path, ".odt") as archive:
        names = set(archive.namelist())
        if "content.xml" not in names:
            raise Refused("not an OpenDocument text: content.xml is missing")
        content = parse_xml(read_member(archive, "content.xml"), "content.xml")
        meta = parse_xml(read_member(archive, "meta.xml"), "meta.xml") if "meta.xml" in names else None
    body = content.find(f"{{{_OFFICE}}}body/{{{_OFFICE}}}text")
    reader = _Reader()
    if body is not None:
        reader.container(body)
    if not reader.blocks:
        return ExtractResult(status=NO_TEXT, title=path.stem, error="the document has no text")
    return ExtractResult(status=INDEXED, blocks=reader.blocks, title=_title(meta, reader.blocks, path))


class _Reader:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.heading: str | None = None

    def container(self, el) -> None:
        """Lists, sections, list items, frames: read their children in order."""
        for child in el:
            if child.tag == _H:
                self.paragraph(child, "heading")
            elif child.tag == _P:
                self.paragraph(child, "paragraph")
            elif child.tag == _TABLE_EL:
                self.table(child)
            elif child.tag not in _SKIP_TEXT and isinstance(child.tag, str):
                self.container(child)

    def paragraph(self, el, kind: str) -> None:
        notes: list = []
        text = clean_block(_inline(el, notes))
        if text:
            if kind == "heading":
                text = " ".join(text.split("\n"))
                self.heading = text
            self.blocks.append(Block(text=text, heading=self.heading, kind=kind))
        for note in notes:
            self.container(note)

    def table(self, el) -> None:
        rows = []
        for row in el.iter(_ROW):
            cells = [clean_line(" ".join(_inline(p, []) for p in cell.iter(_P, _H))) for cell in row.iter(_CELL)]
            if any(cells):
                rows.append(" | ".join(cells))
        if rows:
            self.blocks.append(Block(text="\n".join(rows), heading=self.heading, kind="table"))


def _inline(el, notes: list) -> str:
    """The text of a paragraph; note bodies are set aside in ``notes``."""
    parts = [el.text or ""]
    for child in el:
        tag = child.tag
        if tag == _S:
            parts.append(" " * min(int(child.get(f"{{{_TEXT}}}c", "1") or 1), 100))
        elif tag == _TAB:
            parts.append("\t")
        elif tag == _BR:
            parts.append("\n")
        elif tag == _NOTE:
            body = child.find(_NOTE_BODY)
            if body is not None:
                notes.append(body)
        elif tag not in _SKIP_TEXT and isinstance(tag, str):
            parts.append(_inline(child, notes))
        parts.append(child.tail or "")
    return "".join(parts)


def _title(meta, blocks: list[Block], path: Path) -> str:
    if meta is not None:
        for el in meta.iter(f"{{{_DC}}}title"):
            text = clean_line("".join(el.itertext()))
            if 3 <= len(text) <= 200:
                return text
    first = next((b.text for b in blocks if b.kind == "heading"), "")
    return first if 3 <= len(first) <= 150 else path.stem
