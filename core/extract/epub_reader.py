"""E-books (.epub): chapters in spine order, headings kept.

- The archive is checked first (core.extract.archive: zip bombs, member counts, sizes).
- META-INF/container.xml names the package document (.opf); its spine gives the reading
  order of the content documents, which are read as web pages (core.extract.html_reader:
  visible text only, headings kept; a chapter's heading carries on into the next until a
  new heading). container.xml and the .opf are XML parsed without entities
  (archive.parse_xml); a chapter is parsed by the HTML parser, which expands none.
- A chapter listed in META-INF/encryption.xml (DRM) cannot be read: if every chapter is
  encrypted the book is "encrypted"; fonts obfuscated by the same file are no obstacle.
- The title is the package's dc:title.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import unquote

from core.extract.archive import Refused, open_zip, parse_xml, read_member
from core.extract.clean import clean_line
from core.types import ENCRYPTED, INDEXED, NO_TEXT, Block, ExtractResult

_CONTAINER = "META-INF/container.xml"
_HTML_TYPES = {"application/xhtml+xml", "text/html", "application/x-dtbook+xml"}


def extract_epub(path: Path) -> ExtractResult:
    from core.extract.html_reader import html_blocks

    with open_zip(path, ".epub") as archive:
        names = set(archive.namelist())
        opf_path = _package_path(archive, names)
        opf = parse_xml(read_member(archive, opf_path), opf_path)
        chapters = _spine(opf, posixpath.dirname(opf_path))
        encrypted = _encrypted(archive, names)
        blocks: list[Block] = []
        heading: str | None = None
        locked = 0
        read = 0
        for name in chapters:
            if name in encrypted:
                locked += 1
                continue
            if name not in names:
                continue
            _, found = html_blocks(read_member(archive, name), heading)
            read += 1
            blocks += found
            if found:
                heading = found[-1].heading
    title = _title(opf) or path.stem
    if not blocks:
        if locked and not read:
            return ExtractResult(status=ENCRYPTED, title=title, error="the e-book is protected by DRM")
        return ExtractResult(status=NO_TEXT, title=title, error="the e-book has no readable text")
    return ExtractResult(status=INDEXED, blocks=blocks, title=title)


def _package_path(archive, names: set[str]) -> str:
    if _CONTAINER not in names:
        raise Refused("not an e-book: META-INF/container.xml is missing")
    container = parse_xml(read_member(archive, _CONTAINER), _CONTAINER)
    for el in container.iter("{*}rootfile"):
        full = el.get("full-path")
        if full and full in names:
            return full
    raise Refused("not an e-book: its container names no package document that exists")


def _spine(opf, base: str) -> list[str]:
    manifest = {}
    for item in opf.iter("{*}item"):
        if item.get("id") and item.get("href") and item.get("media-type", "") in _HTML_TYPES:
            href = unquote(item.get("href").split("#", 1)[0])
            manifest[item.get("id")] = posixpath.normpath(posixpath.join(base, href))
    order = [manifest[ref.get("idref")] for ref in opf.iter("{*}itemref") if ref.get("idref") in manifest]
    return list(dict.fromkeys(order))


def _encrypted(archive, names: set[str]) -> set[str]:
    name = "META-INF/encryption.xml"
    if name not in names:
        return set()
    root = parse_xml(read_member(archive, name), name)
    return {unquote(ref.get("URI", "")) for ref in root.iter("{*}CipherReference")}


def _title(opf) -> str:
    for el in opf.iter("{http://purl.org/dc/elements/1.1/}title"):
        text = clean_line("".join(el.itertext()))
        if text:
            return text[:200]
    return ""
