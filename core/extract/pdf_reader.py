"""PDF, page by page: the text layer from PDFium, checked and backed by pypdf (core.extract.pdf_text).

- Pages are numbered from 1. A page whose text cannot be extracted is skipped (the rest
  of the document is still indexed); if no page yields text and some raised, the first
  error is the reason.
- pypdf's plain text has one line per printed line and rarely a blank line between
  paragraphs, so paragraphs are rebuilt with a simple rule per page: a line ends a
  paragraph when it is followed by a blank line, when it ends a sentence and is
  clearly shorter than the page's usual line, when it is a short line (a title, a
  heading, a label) followed by a capital or a digit, or when the next line starts a
  list item. Other lines are wrapped text: they are joined with a space, and a word
  hyphenated at the line end ("exam-" + "ple") is joined back when the next line
  starts with a lower-case letter. The result is readable and searchable; exact
  reading order in multi-column or table layouts is whatever pypdf gives.
- Page furniture (running headers and footers, page numbers, print slugs, margin line
  numbers) is recognised across the document's pages and left out before paragraphs
  are rebuilt (core.extract.furniture).
- Encrypted files are opened with the empty password when that works (many PDFs are
  encrypted only to set permissions); otherwise the status is "encrypted". AES needs
  the `cryptography` package; its absence is reported as such.
- Scanned pages: a page with (almost) no readable text layer that shows an image, or
  whose text layer is mostly glyph garbage, is read by OCR (core.extract.scanned; the blocks
  keep their page and are marked ocr=True) unless options.ocr is False. OCR text
  replaces what little the text layer of that page had.
- Fewer than MIN_TEXT_CHARS letters or digits in the whole document (after OCR) means a
  scanned, blank or image-only file: status "no_text". The threshold is
  deliberately tiny: the shared corpus has real one-line PDFs ("Hello, World!",
  "Issue 7665") that must be found, while its scanned and image-only files yield no
  characters at all; a few stray marks from a scan stay under it.
- The title is the metadata /Title when it is meaningful, else the first heading or a
  title-like line of the first page, else the file name (core/extract/titles.py).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from core.extract.clean import clean_line, short_reason
from core.extract.furniture import strip_furniture
from core.extract.lines import join_across_pages, page_paragraphs
from core.extract.options import ExtractOptions, PageProgress
from core.extract.pdf_text import read_pages
from core.extract.titles import choose_title
from core.types import ENCRYPTED, ERROR, INDEXED, NO_TEXT, Block, ExtractResult

MIN_TEXT_CHARS = 4
SCANNED_MAX_CHARS = 20      # a page with fewer readable letters/digits may be a scan
NO_TEXT_REASON = "no extractable text (scanned or image-only; OCR is turned off)"
NO_TEXT_WITH_OCR = "no extractable text (almost no letters on its pages, and no scanned image to read)"
OCR_FOUND_NOTHING = "no text found: the pages are images and OCR read no text on them"


logging.getLogger("pypdf").setLevel(logging.ERROR)

# Glyph names that pypdf emits for fonts without a Unicode map ("/g40/g68/g85", "/uni0041",
# "(cid:12)"): not text a person wrote, so a paragraph made mostly of them is dropped
# (in the shared test PDFs, 1,100 such paragraphs otherwise formed one large "duplicate"
# cluster of garbage).
_GLYPH_NAMES = re.compile(r"/[A-Za-z]{1,3}\d{1,5}|/uni[0-9A-Fa-f]{4,6}|\(cid:\d+\)")
GLYPH_SHARE_MAX = 0.5
UNMAPPED_REASON = "its fonts have no Unicode map: the text layer holds glyph codes, not text"


def unreadable(paragraph: str) -> bool:
    """Mostly glyph names (see _GLYPH_NAMES), by share of non-space characters."""
    if "/" not in paragraph and "(cid:" not in paragraph:
        return False
    glyphs = sum(len(m) for m in _GLYPH_NAMES.findall(paragraph))
    visible = sum(1 for c in paragraph if not c.isspace())
    return glyphs > GLYPH_SHARE_MAX * visible


def extract_pdf(path: Path, options: ExtractOptions | None = None,
                progress: PageProgress | None = None) -> ExtractResult:
    from pypdf import PdfReader

    options = options or ExtractOptions()
    try:
        reader = PdfReader(str(path), strict=False)
    except Exception as exc:  # noqa: BLE001 - any parser failure is this file's error
        return ExtractResult(status=ERROR, error=_open_error(path, exc))
    if reader.is_encrypted:
        failure = _decrypt_empty(reader)
        if failure is not None:
            return failure
    try:
        count = len(reader.pages)
    except Exception as exc:  # noqa: BLE001
        return ExtractResult(status=ERROR, error=f"malformed PDF ({short_reason(exc)})")

    try:
        text = read_pages(reader, path, "" if reader.is_encrypted else None)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001
        return ExtractResult(status=ERROR, error=f"malformed PDF ({short_reason(exc)})")
    blocks: list[Block] = []
    first_error = text.first_error
    hidden = dict(text.garbage)   # page -> characters of glyph garbage left out
    few: list[int] = []           # pages with (almost) no readable text: OCR candidates
    for number, lines in zip(text.numbers, strip_furniture(text.lines), strict=True):
        readable = 0
        for paragraph in page_paragraphs("\n".join(lines)):
            if unreadable(paragraph):
                hidden[number] = hidden.get(number, 0) + len(paragraph)
            else:
                blocks.append(Block(text=paragraph, page=number))
                readable += _alnum(paragraph)
        # a scan, or a page whose body is glyph garbage under a readable heading
        if readable < SCANNED_MAX_CHARS or hidden.get(number, 0) > readable:
            few.append(number)
    garbage = set(hidden)

    ocr_read, ocr_error = False, None
    if options.ocr and few:
        try:
            blocks, ocr_read = _with_ocr(path, blocks, few, garbage, progress)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - OCR failing keeps the text layer
            ocr_error = exc
    blocks = join_across_pages(blocks)
    chars = sum(_alnum(b.text) for b in blocks)
    if chars < MIN_TEXT_CHARS:
        if first_error is not None:
            return ExtractResult(status=ERROR, pages=count, error=f"malformed PDF ({short_reason(first_error)})")
        if ocr_error is not None:
            return ExtractResult(status=NO_TEXT, pages=count, title=path.stem,
                                 error=f"no extractable text, and OCR could not read the scanned pages "
                                       f"({short_reason(ocr_error)})")
        if ocr_read:
            return ExtractResult(status=NO_TEXT, pages=count, title=path.stem, error=OCR_FOUND_NOTHING)
        if garbage:
            return ExtractResult(status=NO_TEXT, pages=count, title=path.stem, error=UNMAPPED_REASON)
        reason = NO_TEXT_REASON if not options.ocr else NO_TEXT_WITH_OCR
        return ExtractResult(status=NO_TEXT, pages=count, title=path.stem,
                             error=reason if count else "the PDF has no pages")
    return ExtractResult(status=INDEXED, blocks=blocks, pages=count, title=_title(reader, blocks, path))


def _alnum(text: str) -> int:
    return sum(1 for c in text if c.isalnum())


def _with_ocr(path: Path, blocks: list[Block], few: list[int], garbage: set[int],
              progress: PageProgress | None) -> tuple[list[Block], bool]:
    """The blocks with the scanned pages read by OCR, and whether any page was read by
    OCR. On each page the reading with more letters and digits wins: OCR's, or the
    little that the text layer had."""
    from core.extract.scanned import ocr_pdf_pages, scanned_pages

    pages = scanned_pages(path, few, garbage)
    if not pages:
        return blocks, False
    found = ocr_pdf_pages(path, pages, progress)
    by_ocr: dict[int, int] = {}
    by_layer: dict[int, int] = {}
    for b in found:
        by_ocr[b.page or 0] = by_ocr.get(b.page or 0, 0) + _alnum(b.text)
    for b in blocks:
        by_layer[b.page or 0] = by_layer.get(b.page or 0, 0) + _alnum(b.text)
    replaced = {page for page, chars in by_ocr.items() if chars > by_layer.get(page, 0)}
    merged = [b for b in blocks if b.page not in replaced] + [b for b in found if b.page in replaced]
    merged.sort(key=lambda b: b.page or 0)     # stable: each page keeps its order
    return merged, True


def _open_error(path: Path, exc: Exception) -> str:
    try:
        size = path.stat().st_size
    except OSError as err:
        return f"cannot read the file ({err.strerror or err})"
    if size == 0:
        return "empty file (0 bytes), not a PDF"
    if isinstance(exc, OSError):
        return f"cannot read the file ({exc.strerror or exc})"
    return f"not a readable PDF ({short_reason(exc)})"


def _decrypt_empty(reader) -> ExtractResult | None:
    """Try the empty password. None when the reader can now be read."""
    try:
        ok = reader.decrypt("")
    except Exception as exc:  # noqa: BLE001
        name = type(exc).__name__
        if name == "DependencyError" or "cryptography" in str(exc):
            return ExtractResult(
                status=ENCRYPTED,
                error="encrypted with AES; reading it needs the 'cryptography' package",
            )
        if name == "NotImplementedError" or isinstance(exc, NotImplementedError):
            return ExtractResult(status=ENCRYPTED, error=f"unsupported encryption ({short_reason(exc)})")
        return ExtractResult(status=ERROR, error=f"malformed encryption ({short_reason(exc)})")
    if not ok:
        return ExtractResult(status=ENCRYPTED, error="password-protected (needs a password)")
    return None


def _title(reader, blocks: list[Block], path: Path) -> str:
    try:
        meta = reader.metadata
        title = clean_line(str(meta.title)) if meta is not None and meta.title else ""
    except Exception:  # noqa: BLE001 - unreadable metadata is no reason to fail
        title = ""
    return choose_title(title, blocks, path)
