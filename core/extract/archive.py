"""Zip-based documents (.pptx, .epub, .odt) and their XML, opened defensively.

- The archive is checked before any member is parsed: at most MAX_MEMBERS members, no
  member declaring more than MAX_MEMBER_BYTES uncompressed, no more than MAX_TOTAL_BYTES
  in all, and no large member (over 1 MB uncompressed) compressed more than MAX_RATIO
  to 1 (ordinary XML compresses 5-30x; a zip bomb 1000x). A refused archive raises
  Refused with the reason a person reads.
- Members are read with read_member(), which stops at the declared size (zipfile also
  never inflates past it and checks the CRC), so a lying header cannot inflate more.
- XML is parsed by parse_xml(): a document that declares entities (<!ENTITY ...>) is
  refused outright (billion laughs, external entities); the parser itself never
  resolves entities, never loads a DTD and never reaches the network.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_RATIO = 200
_LARGE = 1024 * 1024
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)


class Refused(Exception):
    """A file that is not read, with a reason a person can read."""


def open_zip(path: Path, kind: str) -> zipfile.ZipFile:
    """The checked archive of a ``kind`` (".pptx") document."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise Refused(f"not a valid {kind} (not a zip archive: {exc})") from None
    try:
        check_members(archive.infolist(), kind)
    except Refused:
        archive.close()
        raise
    return archive


def check_members(infos: list[zipfile.ZipInfo], kind: str) -> None:
    if len(infos) > MAX_MEMBERS:
        raise Refused(f"{kind} archive with {len(infos):,} members (the limit is {MAX_MEMBERS:,})")
    total = 0
    for info in infos:
        size = info.file_size
        if size > MAX_MEMBER_BYTES:
            raise Refused(f"zip bomb refused: {info.filename!r} would inflate to {_mb(size)} "
                          f"(the limit is {_mb(MAX_MEMBER_BYTES)})")
        if size > _LARGE and size > MAX_RATIO * max(info.compress_size, 1):
            raise Refused(f"zip bomb refused: {info.filename!r} is compressed "
                          f"{size // max(info.compress_size, 1):,} to 1")
        total += size
    if total > MAX_TOTAL_BYTES:
        raise Refused(f"zip bomb refused: the archive would inflate to {_mb(total)} "
                      f"(the limit is {_mb(MAX_TOTAL_BYTES)})")


def read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """A member's bytes, never more than it declares (KeyError when absent)."""
    info = archive.getinfo(name)
    with archive.open(info) as fh:
        data = fh.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise Refused(f"{name!r} inflates past its declared size")
    return data


def check_package(path: Path, kind: str) -> None:
    """Check an Office package before a library parses it: the archive's sizes, and no
    XML part that declares entities."""
    with open_zip(path, kind) as archive:
        for info in archive.infolist():
            if info.filename.endswith((".xml", ".rels")):
                data = read_member(archive, info.filename)
                if _ENTITY_DECL.search(data):
                    raise Refused(f"{info.filename} declares XML entities "
                                  "(refused: entity expansion or external entities)")


def parse_xml(data: bytes, name: str = "XML"):
    """An lxml element tree root; entities are refused, never expanded or fetched."""
    from lxml import etree

    if _ENTITY_DECL.search(data):
        raise Refused(f"{name} declares XML entities (refused: entity expansion or external entities)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise Refused(f"{name} is not well-formed XML ({exc})") from None


def _mb(size: int) -> str:
    return f"{size / 1048576:,.0f} MB"
