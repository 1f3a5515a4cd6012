"""Plain text and Markdown.

Decoding never fails: a UTF-32/UTF-16/UTF-8 byte-order mark decides when there is one;
otherwise strict UTF-8, then cp1252 (Windows "ANSI", the usual source of non-UTF-8 text),
then latin-1, which accepts every byte. NUL bytes are stripped afterwards (a UTF-16 file
without a BOM read as latin-1 still yields its ASCII letters).

Paragraphs are separated by blank lines; single line breaks inside a paragraph are kept
(lists, addresses and poems stay readable). In Markdown, ATX headings (``# Title``) and
setext headings (a line underlined with ``===`` or ``---``) become heading blocks, shown
without their markers; lines inside fenced code blocks are never taken for headings.
Front matter and code are kept as ordinary text.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from core.extract.clean import clean_block
from core.types import ERROR, INDEXED, NO_TEXT, Block, ExtractResult

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def decode_bytes(data: bytes) -> str:
    """Bytes to text; never raises."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def extract_text_file(path: Path) -> ExtractResult:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return ExtractResult(status=ERROR, error=f"cannot read the file ({exc.strerror or exc})")
    text = decode_bytes(data).replace("\x00", "")
    markdown = path.suffix.lower() in (".md", ".markdown")
    blocks = markdown_blocks(text) if markdown else text_blocks(text)
    if not blocks:
        return ExtractResult(status=NO_TEXT, error="the file is empty (no text)", title=path.stem)
    return ExtractResult(status=INDEXED, blocks=blocks, title=_title(blocks, path))


def text_blocks(text: str) -> list[Block]:
    blocks = []
    for para in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        cleaned = clean_block(para)
        if cleaned:
            blocks.append(Block(text=cleaned))
    return blocks


def markdown_blocks(text: str) -> list[Block]:
    """Markdown cut into paragraphs and headings (a small line scanner, not a full
    CommonMark parser: it needs only paragraph and heading boundaries)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[Block] = []
    para: list[str] = []
    heading: str | None = None
    fence: str | None = None

    def flush() -> None:
        cleaned = clean_block("\n".join(para))
        para.clear()
        if cleaned:
            blocks.append(Block(text=cleaned, heading=heading))

    def add_heading(title: str) -> None:
        nonlocal heading
        cleaned = clean_block(title, keep_newlines=False)
        if cleaned:
            heading = cleaned
            blocks.append(Block(text=cleaned, heading=cleaned, kind="heading"))

    for line in lines:
        if fence is not None:
            para.append(line)
            if line.strip().startswith(fence):
                fence = None
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = opening.group(1)[0] * 3
            para.append(line)
            continue
        if not line.strip():
            flush()
            continue
        atx = _ATX.match(line)
        if atx:
            flush()
            add_heading(atx.group(2) or "")
            continue
        setext = _SETEXT.match(line)
        if setext and len(para) == 1 and not (para[0].startswith("---") and not blocks):
            title = para.pop()
            add_heading(title)
            continue
        para.append(line)
    flush()
    return blocks


def _title(blocks: list[Block], path: Path) -> str:
    for block in blocks[:5]:
        if block.kind == "heading" and len(block.text) <= 200:
            return block.text
    return path.stem
