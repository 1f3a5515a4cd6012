"""Word .docx with python-docx.

- The body is read in document order by walking the body element's children: w:p
  (paragraphs), w:tbl (tables) and w:sdt (content controls, whose paragraphs and tables
  are read in turn).
- A paragraph styled "Title" or "Heading N" (or carrying an outline level in its own
  properties) becomes a heading block; it is also the `heading` of the blocks after it.
- A table becomes one block: one line per row, cells joined by " | ". A cell merged
  across columns is written once; empty rows are dropped; nested tables are read as the
  text of their cell.
- Headers and footers are read once for the whole document, not per page or section:
  every distinct header text becomes one "header" block at the start and every distinct
  footer text one "footer" block at the end.
- XML external entities are never resolved: python-docx parses every part with an lxml
  parser built with resolve_entities=False (docx.oxml.parser.oxml_parser), and lxml
  neither loads external DTDs nor reaches the network by default. ensure_safe_parser()
  checks this before every file and refuses to read if a python-docx upgrade changed it.
- Anything python-docx cannot open (not a zip, no main document part, Strict OOXML, ...)
  is an "error" with the reason.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from core.extract.clean import clean_block, clean_line, short_reason
from core.extract.titles import choose_title
from core.types import ERROR, INDEXED, NO_TEXT, Block, ExtractResult

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _T, _TAB, _TBL, _TR, _TC = (f"{_W}{n}" for n in ("p", "t", "tab", "tbl", "tr", "tc"))
_SDT, _SDT_CONTENT, _NB_HYPHEN = f"{_W}sdt", f"{_W}sdtContent", f"{_W}noBreakHyphen"
_BREAKS = {f"{_W}br", f"{_W}cr"}
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_SKIP = {f"{_W}del", f"{_W}moveFrom", f"{_W}delText", f"{_W}instrText", f"{_MC}Fallback",
         f"{_W}footnoteReference", f"{_W}endnoteReference"}
_HEADING_STYLE = re.compile(r"^(heading\s*\d|title)$", re.IGNORECASE)


def ensure_safe_parser() -> None:
    """Raise unless python-docx's XML parser leaves entities unresolved."""
    from docx.oxml.parser import oxml_parser

    if getattr(oxml_parser, "resolve_entities", False):
        raise RuntimeError("python-docx's XML parser resolves entities; refusing to read .docx files")


def extract_docx(path: Path) -> ExtractResult:
    import docx

    ensure_safe_parser()
    try:
        document = docx.Document(str(path))
        body = document.element.body
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to open is this file's error
        return ExtractResult(status=ERROR, error=_open_error(path, exc))

    heading_styles = _heading_style_ids(document)
    blocks: list[Block] = _header_footer_blocks(document, "header", heading_styles)
    heading: str | None = None
    for kind, text in _body_items(body, document, heading_styles):
        if kind == "heading":
            heading = text
        blocks.append(Block(text=text, heading=heading, kind=kind))
    blocks += _header_footer_blocks(document, "footer", heading_styles)
    if not blocks:
        return ExtractResult(status=NO_TEXT, error="the document has no text", title=path.stem)
    return ExtractResult(status=INDEXED, blocks=blocks, title=_title(document, blocks, path))


def _open_error(path: Path, exc: Exception) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, zipfile.BadZipFile):
        return f"cannot read the file ({exc.strerror or exc})"
    if isinstance(exc, zipfile.BadZipFile):
        return f"not a valid .docx (not a zip archive: {exc})"
    if isinstance(exc, KeyError):
        return f"not a .docx python-docx can read (missing part: {exc})"
    return f"not a .docx python-docx can read ({short_reason(exc)})"


def _heading_style_ids(document) -> set[str]:
    """Style ids whose name (or id) is Title or Heading N, read once from the styles
    part (python-docx's per-paragraph style lookup is slow on large style sheets)."""
    ids: set[str] = set()
    try:
        styles = document.part.styles.element
    except Exception:  # noqa: BLE001 - no styles part: no named headings
        return ids
    for style in styles.iterchildren(f"{_W}style"):
        style_id = style.get(f"{_W}styleId") or ""
        name_el = style.find(f"{_W}name")
        name = (name_el.get(f"{_W}val") if name_el is not None else "") or ""
        if _HEADING_STYLE.match(name.strip()) or _HEADING_STYLE.match(style_id.strip()):
            ids.add(style_id)
    return ids


def _body_items(container, document, heading_styles: set[str]):
    """(kind, text) for each paragraph and table in order."""
    for child in container.iterchildren():
        tag = child.tag
        if tag == _P:
            text = clean_block(element_text(child))
            if text:
                yield ("heading" if _is_heading(child, heading_styles) else "paragraph"), text
        elif tag == _TBL:
            text = _table_text(child)
            if text:
                yield "table", text
        elif tag == _SDT:
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _body_items(content, document, heading_styles)


def element_text(element) -> str:
    """The visible text under a WordprocessingML element, read straight from the XML
    (python-docx's object layer is slow on large documents): text runs, tabs and line
    breaks, inserted text, text boxes; deleted or moved-away text and the fallback copy
    of alternate content are skipped."""
    parts: list[str] = []
    _walk(element, parts)
    return "".join(parts)


def _walk(element, parts: list[str]) -> None:
    for child in element:
        tag = child.tag
        if tag == _T:
            parts.append(child.text or "")
            parts += [sub.tail or "" for sub in child]  # text after an unresolved entity
        elif tag == _TAB:
            parts.append("\t")
        elif tag in _BREAKS:
            parts.append("\n")
        elif tag == _NB_HYPHEN:
            parts.append("-")
        elif tag in _SKIP:
            continue
        elif tag == _P:
            _walk(child, parts)
            parts.append("\n")
        elif isinstance(tag, str):
            _walk(child, parts)


def _is_heading(p, heading_styles: set[str]) -> bool:
    ppr = p.find(f"{_W}pPr")
    if ppr is None:
        return False
    style = ppr.find(f"{_W}pStyle")
    if style is not None and style.get(f"{_W}val") in heading_styles:
        return True
    return ppr.find(f"{_W}outlineLvl") is not None


def _table_text(tbl) -> str:
    """One line per row, cells joined by " | "; a cell that continues a vertical merge
    is empty and is written as such; rows with no text are dropped."""
    rows = []
    for tr in tbl.iter(_TR):
        if tr.getparent() is not tbl and tr.getparent().tag != _SDT_CONTENT:
            continue  # a row of a nested table: part of its cell's text
        cells = [clean_block(element_text(tc), keep_newlines=False) for tc in tr.iter(_TC)
                 if _owning_row(tc) is tr]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _owning_row(tc):
    parent = tc.getparent()
    while parent is not None and parent.tag != _TR:
        parent = parent.getparent()
    return parent


def _header_footer_blocks(document, which: str, heading_styles: set[str]) -> list[Block]:
    seen: set[str] = set()
    blocks: list[Block] = []
    try:
        sections = list(document.sections)
    except Exception:  # noqa: BLE001
        return blocks
    for section in sections:
        for attr in (which, f"first_page_{which}", f"even_page_{which}"):
            try:
                part = getattr(section, attr)
                if part.is_linked_to_previous:
                    continue
                element = part._element
            except Exception:  # noqa: BLE001
                continue
            text = "\n".join(t for _, t in _body_items(element, part, heading_styles))
            if text and text not in seen:
                seen.add(text)
                blocks.append(Block(text=text, kind=which))
    return blocks


def _title(document, blocks: list[Block], path: Path) -> str:
    try:
        title = clean_line(document.core_properties.title or "")
    except Exception:  # noqa: BLE001
        title = ""
    return choose_title(title, blocks, path)
