"""Web pages (.html, .htm) and the XHTML chapters of e-books: visible text only.

- Parsed by lxml's HTML parser (libxml2), which repairs broken markup, never fetches
  anything (no_network) and does not expand entities declared in a document type (an
  HTML parser knows only the character references of HTML).
- Never text: <script>, <style>, <template>, <noscript>, <head> (its <title> is the
  document's title), <svg>, <math>, form controls' hidden values, comments, and any
  element that is hidden: the ``hidden`` attribute, aria-hidden="true", or an inline
  style with display:none or visibility:hidden. What such an element holds is skipped,
  what follows it is read.
- <h1>..<h6> become heading blocks and the heading of what follows; paragraphs, list
  items, block quotes, <pre> and other block elements are blocks; a table is one block
  (a line per row, cells joined by " | "); <br> is a line break inside a block.
- The encoding: a byte-order mark, else <meta charset>, else UTF-8 when the bytes decode
  as UTF-8, else Windows-1252.
"""

from __future__ import annotations

import re
from pathlib import Path

from core.extract.clean import clean_block, clean_line
from core.types import INDEXED, NO_TEXT, Block, ExtractResult

MAX_HTML_BYTES = 64 * 1024 * 1024

_SKIP = {"script", "style", "template", "noscript", "head", "svg", "math", "object", "iframe",
         "canvas", "select", "datalist", "button", "input", "audio", "video", "map"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {"p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "li",
           "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "figure", "figcaption", "address",
           "form", "fieldset", "legend", "details", "summary", "hr", "body", "html", "center",
           "caption", "textarea", "label"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SPACE = re.compile(r"[ \t\n\r\f]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)
_BR = "\u2028"          # a line break inside a block (clean_block turns it into a newline)


def extract_html(path: Path) -> ExtractResult:
    data = path.read_bytes()[: MAX_HTML_BYTES + 1]
    if len(data) > MAX_HTML_BYTES:
        return ExtractResult(status=NO_TEXT, error="web page larger than 64 MB: not read")
    title, blocks = html_blocks(data)
    if not blocks:
        return ExtractResult(status=NO_TEXT, title=title or path.stem, error="the page has no visible text")
    first_heading = next((b.text for b in blocks if b.kind == "heading"), "")
    return ExtractResult(status=INDEXED, blocks=blocks, title=title or first_heading[:150] or path.stem)


def html_blocks(data: bytes, heading: str | None = None) -> tuple[str, list[Block]]:
    """(title, blocks) of an HTML or XHTML document's visible text. ``heading`` is the
    heading in force before the document (a chapter's predecessor in an e-book)."""
    from lxml import html as lxml_html

    # A document type with an internal subset (entity declarations) means nothing to
    # HTML: it is dropped whole, so its declarations are neither expanded nor shown.
    data = _DOCTYPE_SUBSET.sub(b"", data[:65536], count=1) + data[65536:]
    parser = lxml_html.HTMLParser(encoding=_encoding(data), no_network=True, remove_comments=True,
                                  remove_pis=True, huge_tree=False)
    root = lxml_html.document_fromstring(data, parser=parser) if data.strip() else None
    if root is None:
        return "", []
    title_el = root.find(".//title")
    title = clean_line(title_el.text_content()) if title_el is not None else ""
    walker = _Walker(heading)
    body = root.find("body")
    walker.walk(body if body is not None else root)
    walker.flush()
    return title, walker.blocks


def _encoding(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    found = _META_CHARSET.search(data[:4096])
    if found:
        name = found.group(1).decode("ascii", "replace").lower()
        try:
            import codecs

            return codecs.lookup(name).name
        except LookupError:
            pass
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _hidden(el) -> bool:
    attrib = el.attrib
    if "hidden" in attrib or attrib.get("aria-hidden", "").strip().lower() == "true":
        return True
    if attrib.get("type", "").lower() == "hidden":
        return True
    style = attrib.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


class _Walker:
    """Collects inline text into the current block; block elements end it."""

    def __init__(self, heading: str | None) -> None:
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.heading = heading
        self.pre = 0

    def add(self, text: str | None) -> None:
        if text:
            self.parts.append(text.replace("\n", _BR) if self.pre else text)

    def flush(self, kind: str = "paragraph") -> None:
        raw = "".join(self.parts)
        self.parts = []
        text = clean_block(_SPACE.sub(" ", raw).replace(_BR, "\n")) if raw.strip() else ""
        if not text:
            return
        if kind == "heading":
            text = " ".join(text.split("\n"))
            self.heading = text
        self.blocks.append(Block(text=text, heading=self.heading, kind=kind))

    def walk(self, el) -> None:
        tag = el.tag.rsplit("}", 1)[-1].lower() if isinstance(el.tag, str) else ""
        if not tag or tag in _SKIP or _hidden(el):
            return                       # the caller reads el.tail
        if tag == "br":
            self.parts.append(_BR)
            return
        if tag == "table":
            self.flush()
            self._table(el)
            return
        is_block = tag in _BLOCKS or tag in _HEADINGS or tag in ("tr", "td", "th")
        if is_block:
            self.flush()
        if tag == "pre":
            self.pre += 1
        self.add(el.text)
        for child in el:
            self.walk(child)
            self.add(child.tail)
        if tag == "pre":
            self.pre -= 1
        if is_block:
            self.flush("heading" if tag in _HEADINGS else "paragraph")

    def _table(self, table) -> None:
        rows = []
        for row in table.iter("tr", "{http://www.w3.org/1999/xhtml}tr"):
            cells = []
            for cell in row:
                cell_tag = cell.tag.rsplit("}", 1)[-1].lower() if isinstance(cell.tag, str) else ""
                if cell_tag in ("td", "th") and not _hidden(cell):
                    inner = _Walker(None)
                    inner.walk(cell)
                    inner.flush()
                    cells.append(" ".join(b.text.replace("\n", " ") for b in inner.blocks))
            if any(cells):
                rows.append(" | ".join(cells))
        if rows:
            self.blocks.append(Block(text="\n".join(rows), heading=self.heading, kind="table"))
