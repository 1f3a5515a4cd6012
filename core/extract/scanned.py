"""Scanned PDF pages and image files -> OCR blocks (core.extract.ocr).

Which PDF pages are read by OCR: a page whose text layer gives fewer than
pdf_reader.SCANNED_MAX_CHARS letters or digits of readable text, and that either shows an image
covering at least IMAGE_MIN_SHARE of the page or had its text layer dropped as glyph
garbage (core.extract.pdf_reader.unreadable). A blank page (no image, no text) is never
rendered. At most MAX_OCR_PAGES pages of one document are read by OCR.

Pages are rendered by pypdfium2 (PDFium) so that their long side is ocr.MAX_SIDE pixels,
with the page's own /Rotate applied; every block keeps its page number and is marked
``ocr=True``. ``progress(n, total)`` is called before the n-th scanned page is read, so
the worker can tell the window "reading scanned page n/total".

Images (.png .jpg .jpeg .tif .tiff) are decoded by Pillow; every frame of a multi-page
TIFF is a page. Images over MAX_IMAGE_PIXELS are refused without being decoded.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.extract.furniture import strip_furniture
from core.types import Block

IMAGE_MIN_SHARE = 0.2
MAX_OCR_PAGES = 1000
MAX_IMAGE_PIXELS = 60_000_000
MAX_IMAGE_FRAMES = 200

Progress = Callable[[int, int], None]


class ImageTooLarge(Exception):
    """An image whose pixel count would not fit the worker's memory."""


def scanned_pages(path: Path, candidates: list[int], garbage: set[int]) -> list[int]:
    """The candidate pages (1-based, few readable characters) that OCR should read."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        return [n for n in candidates if n in garbage or _image_share(pdf[n - 1]) >= IMAGE_MIN_SHARE
                ][:MAX_OCR_PAGES]
    finally:
        pdf.close()


def _image_share(page) -> float:
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    area = max(width * height, 1.0)
    best = 0.0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=4):
        left, bottom, right, top = obj.get_bounds()
        best = max(best, abs(right - left) * abs(top - bottom) / area)
    return min(best, 1.0)


def ocr_pdf_pages(path: Path, pages: list[int], progress: Progress | None = None) -> list[Block]:
    """OCR blocks of these 1-based pages, in page order. A page that cannot be rendered
    costs that page; if none could be, the first error is raised."""
    import pypdfium2 as pdfium

    from core.extract.ocr import MAX_SIDE, engine

    reader = engine()
    read: list[tuple[int, list[str]]] = []
    failures: list[Exception] = []
    pdf = pdfium.PdfDocument(str(path))
    try:
        for i, number in enumerate(pages, start=1):
            if progress is not None:
                progress(i, len(pages))
            try:
                image = _render(pdf, number, MAX_SIDE)
            except pdfium.PdfiumError as exc:
                failures.append(exc)
                continue
            read.append((number, reader.read(image)))
    finally:
        pdf.close()
    if failures and len(failures) == len(pages):
        raise failures[0]
    # headers, footers and page numbers that OCR read on many pages are left out too
    kept = strip_furniture([paragraphs for _, paragraphs in read])
    return [Block(text=text, page=number, ocr=True)
            for (number, _), paragraphs in zip(read, kept, strict=True) for text in paragraphs]


def _render(pdf, number: int, max_side: int):
    page = pdf[number - 1]
    try:
        width, height = page.get_size()
        bitmap = page.render(scale=min(max_side / max(width, height, 1.0), 300 / 72))
        image = bitmap.to_numpy().copy()
        bitmap.close()
        return image
    finally:
        page.close()


def ocr_image_file(path: Path, progress: Progress | None = None) -> tuple[list[Block], int]:
    """OCR blocks of an image file (one page per frame) and its number of frames."""
    import numpy as np
    from PIL import Image, ImageSequence

    from core.extract.ocr import engine

    Image.MAX_IMAGE_PIXELS = None      # checked here, per frame, with a clear reason
    with Image.open(path) as image:
        frames = min(getattr(image, "n_frames", 1), MAX_IMAGE_FRAMES)
        reader = engine()
        blocks: list[Block] = []
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            if number > frames:
                break
            if progress is not None:
                progress(number, frames)
            if frame.width * frame.height > MAX_IMAGE_PIXELS:
                raise ImageTooLarge(f"image of {frame.width} x {frame.height} pixels refused "
                                    f"(the limit is {MAX_IMAGE_PIXELS // 1_000_000} megapixels)")
            rgb = np.asarray(frame.convert("RGB"))
            bgr = np.ascontiguousarray(rgb[:, :, ::-1])
            blocks += [Block(text=t, page=number, ocr=True) for t in reader.read(bgr)]
    return blocks, frames
