"""PowerPoint .pptx with python-pptx.

- Slides in presentation order; the slide number is the block's page (so a result says
  "slide 4" and can open there where a viewer allows it).
- A slide's title placeholder becomes a heading block and the heading of everything on
  the slide; a slide without a title has the heading "Slide N".
- Other shapes in reading order (top to bottom, then left to right), group shapes
  opened: each text frame is one block (its paragraphs one per line), each table one
  block (a line per row, cells joined by " | "). Speaker notes follow the slide's shapes
  as one more block of that slide.
- The archive is checked first (core.extract.archive: zip bombs, member counts) and
  python-pptx's XML parser must leave entities unresolved (as for .docx).
"""

from __future__ import annotations

from pathlib import Path

from core.extract.archive import Refused, check_package
from core.extract.clean import clean_block, clean_line, short_reason
from core.types import ERROR, INDEXED, NO_TEXT, Block, ExtractResult

_PROBE = b'<!DOCTYPE r [<!ENTITY e "expanded">]><r>&e;</r>'
_safe: bool | None = None


def ensure_safe_parser() -> None:
    """Refuse to read if python-pptx's XML parser expands entities (checked once, on a
    probe). The package is checked for entity declarations anyway (check_package)."""
    global _safe
    if _safe is None:
        from lxml import etree
        from pptx.oxml import parse_xml

        _safe = b"expanded" not in etree.tostring(parse_xml(_PROBE))
    if not _safe:
        raise Refused("python-pptx's XML parser resolves entities; refusing to read .pptx files")


def extract_pptx(path: Path) -> ExtractResult:
    from pptx import Presentation

    ensure_safe_parser()
    check_package(path, ".pptx")
    try:
        deck = Presentation(str(path))
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - anything python-pptx cannot open is this file's error
        return ExtractResult(status=ERROR, error=f"not a .pptx python-pptx can read ({short_reason(exc)})")
    blocks: list[Block] = []
    count = 0
    for number, slide in enumerate(deck.slides, start=1):
        count = number
        blocks += _slide_blocks(slide, number)
    if not blocks:
        return ExtractResult(status=NO_TEXT, pages=count, title=path.stem, error="the slides have no text")
    return ExtractResult(status=INDEXED, blocks=blocks, pages=count, title=_title(deck, blocks, path))


def _slide_blocks(slide, number: int) -> list[Block]:
    title_shape = slide.shapes.title
    title = clean_line(title_shape.text_frame.text) if title_shape is not None and title_shape.has_text_frame else ""
    heading = title or f"Slide {number}"
    blocks = [Block(text=title, page=number, heading=heading, kind="heading")] if title else []
    title_id = title_shape.shape_id if title_shape is not None else None
    for shape in _reading_order(slide.shapes):
        if shape.shape_id == title_id:
            continue
        block = _shape_block(shape, number, heading)
        if block is not None:
            blocks.append(block)
    if slide.has_notes_slide:
        frame = slide.notes_slide.notes_text_frame
        notes = clean_block(frame.text) if frame is not None else ""
        if notes:
            blocks.append(Block(text=notes, page=number, heading=heading))
    return blocks


def _reading_order(shapes) -> list:
    out = []
    from pptx.shapes.group import GroupShape

    for shape in shapes:
        if isinstance(shape, GroupShape):
            out += _reading_order(shape.shapes)        # a group: its members in order
        else:
            out.append(shape)
    return sorted(out, key=lambda s: ((s.top or 0) // 50_000, s.left or 0))


def _shape_block(shape, number: int, heading: str) -> Block | None:
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = [" | ".join(clean_line(cell.text) for cell in row.cells) for row in shape.table.rows]
        text = "\n".join(r for r in rows if r.replace("|", "").strip())
        return Block(text=text, page=number, heading=heading, kind="table") if text else None
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        text = clean_block("\n".join(p.text for p in shape.text_frame.paragraphs))
        return Block(text=text, page=number, heading=heading) if text else None
    return None


def _title(deck, blocks: list[Block], path: Path) -> str:
    try:
        title = clean_line(deck.core_properties.title or "")
    except Exception:  # noqa: BLE001 - unreadable properties are no reason to fail
        title = ""
    if 3 <= len(title) <= 200:
        return title
    first = next((b.text for b in blocks if b.kind == "heading"), "")
    return first if 3 <= len(first) <= 150 else path.stem
