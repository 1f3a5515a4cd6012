"""Pictures inside .docx, .pptx, .odt and .epub files, read by OCR like scans.

After a package's text is read (its own reader), the pictures it shows are read by
OCR (core.extract.ocr) and their text added as blocks marked ``ocr=True`` (so their
passages carry chunks.ocr):

- Which pictures: those the document's own text refers to, in the order it first does
  (.docx: word/document.xml's relationships; .pptx: each slide's, slides in presentation
  order; .odt: content.xml's Pictures/ links; .epub: every image member). Logos that
  only a slide layout, master or page header shows are not read.
- Bounded: raster formats only (PNG, JPEG, TIFF, BMP, GIF; vector pictures have no
  pixels to read); a picture under MIN_BYTES bytes, with a side under MIN_SIDE pixels or
  fewer than MIN_PIXELS pixels in all is an icon or a rule and is passed over; at most
  MAX_PICTURES pictures and MAX_TOTAL_PIXELS pixels per document; a picture over the
  scanned-image limit (core.extract.scanned.MAX_IMAGE_PIXELS) is passed over undecoded. A
  picture that cannot be decoded costs only itself.
- Where the text goes: on a .pptx, in the slide that shows the picture (its page, its
  heading); elsewhere after the document's text, each picture's text under the heading
  "Picture N".
- ``progress(n, total)`` is called before each picture, as for scanned pages, so the
  worker's clock allows each one OCR time.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path

from core.extract.archive import open_zip, parse_xml, read_member
from core.extract.options import PageProgress
from core.types import INDEXED, Block, ExtractResult

MIN_BYTES = 2048
MIN_SIDE = 48
MIN_PIXELS = 40_000
MAX_PICTURES = 40
MAX_TOTAL_PIXELS = 200_000_000
RASTER = (".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".bmp", ".gif")
_IMAGE_REL = "/relationships/image"
_PKG_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_P_SLIDE_ID = "{http://schemas.openxmlformats.org/presentationml/2006/main}sldId"
_REFS = re.compile(rb'r:(?:embed|link|id)="([^"]+)"')
_ODF_PICTURE = re.compile(rb'xlink:href="(Pictures/[^"]+)"')


def add_embedded_ocr(result: ExtractResult, path: Path, ext: str, progress: PageProgress | None) -> None:
    """Add the OCR blocks of ``path``'s pictures to ``result`` (in place)."""
    with open_zip(path, ext) as archive:
        names = set(archive.namelist())
        wanted = _pictures(archive, names, ext)
        if not wanted:
            return
        found = _read_pictures(archive, wanted, progress)
    if not found:
        return
    headings = {b.page: b.heading for b in result.blocks if b.page is not None and b.heading}
    added: list[Block] = []
    for number, (page, texts) in enumerate(found, start=1):
        heading = headings.get(page, f"Slide {page}") if page is not None else f"Picture {number}"
        added += [Block(text=t, page=page, heading=heading, ocr=True) for t in texts]
    if ext == ".pptx":      # keep the slides in order: each picture's text joins its slide
        result.blocks = sorted(result.blocks + added, key=lambda b: b.page or 0)
    else:
        result.blocks += added
    if result.status != INDEXED and result.blocks:
        result.status, result.error = INDEXED, None


def _pictures(archive: zipfile.ZipFile, names: set[str], ext: str) -> list[tuple[str, int | None]]:
    """(member, page) of each picture to read, in order, each once."""
    found: list[tuple[str, int | None]]
    if ext == ".docx":
        found = [(m, None) for m in _referenced(archive, names, "word/document.xml")]
    elif ext == ".pptx":
        found = [(m, number) for number, slide in enumerate(_slides(archive, names), start=1)
                 for m in _referenced(archive, names, slide)]
    elif ext == ".odt":
        content = read_member(archive, "content.xml") if "content.xml" in names else b""
        found = [(m.decode("utf-8", "replace"), None) for m in _ODF_PICTURE.findall(content)]
    else:
        found = [(m, None) for m in archive.namelist()]
    seen: set[str] = set()
    out: list[tuple[str, int | None]] = []
    for member, page in found:
        if member in names and member not in seen and member.lower().endswith(RASTER):
            seen.add(member)
            out.append((member, page))
    return out


def _referenced(archive: zipfile.ZipFile, names: set[str], part: str) -> list[str]:
    """The image members ``part`` refers to, in the order it first does."""
    rels_name = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    if part not in names or rels_name not in names:
        return []
    targets = {}
    for rel in parse_xml(read_member(archive, rels_name), rels_name).iter(_PKG_RELS):
        if rel.get("Type", "").endswith(_IMAGE_REL) and rel.get("TargetMode") != "External":
            target = posixpath.normpath(posixpath.join(posixpath.dirname(part), rel.get("Target", "")))
            targets[rel.get("Id")] = target.lstrip("/")
    order = [r.decode("utf-8", "replace") for r in _REFS.findall(read_member(archive, part))]
    return [targets[r] for r in dict.fromkeys(order) if r in targets]


def _slides(archive: zipfile.ZipFile, names: set[str]) -> list[str]:
    """The slide parts in presentation order."""
    main, rels_name = "ppt/presentation.xml", "ppt/_rels/presentation.xml.rels"
    if main not in names or rels_name not in names:
        return []
    targets = {rel.get("Id"): posixpath.normpath(posixpath.join("ppt", rel.get("Target", "")))
               for rel in parse_xml(read_member(archive, rels_name), rels_name).iter(_PKG_RELS)}
    order = [el.get(_R_ID) for el in parse_xml(read_member(archive, main), main).iter(_P_SLIDE_ID)]
    return [targets[r] for r in order if r in targets]


def _read_pictures(archive: zipfile.ZipFile, wanted: list[tuple[str, int | None]],
                   progress: PageProgress | None) -> list[tuple[int | None, list[str]]]:
    import numpy as np
    from PIL import Image

    from core.extract.ocr import engine
    from core.extract.scanned import MAX_IMAGE_PIXELS

    Image.MAX_IMAGE_PIXELS = None        # checked below, before decoding
    chosen: list[tuple[str, int | None, bytes]] = []
    total = 0
    for member, page in wanted:
        if len(chosen) >= MAX_PICTURES:
            break
        if archive.getinfo(member).file_size < MIN_BYTES:
            continue
        data = read_member(archive, member)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size
        except Exception:  # noqa: BLE001 - a picture Pillow cannot read costs only itself
            continue
        pixels = width * height
        if min(width, height) < MIN_SIDE or pixels < MIN_PIXELS or pixels > MAX_IMAGE_PIXELS:
            continue
        if total + pixels > MAX_TOTAL_PIXELS:
            break
        total += pixels
        chosen.append((member, page, data))
    found: list[tuple[int | None, list[str]]] = []
    for n, (_, page, data) in enumerate(chosen, start=1):
        if progress is not None:
            progress(n, len(chosen))
        try:
            with Image.open(io.BytesIO(data)) as image:
                rgb = np.asarray(image.convert("RGB"))
        except Exception:  # noqa: BLE001 - a damaged picture costs only itself
            continue
        texts = engine().read(np.ascontiguousarray(rgb[:, :, ::-1]))
        if texts:
            found.append((page, texts))
    return found
