"""A PDF's text layer, page by page: PDFium for speed, pypdf for structure and as the fallback.

Both parsers see every file:

- pypdf opens it first. Its messages name the statuses (malformed, encrypted, AES
  without `cryptography`), its metadata gives the title, and its stream decoders, which
  stop at pypdf's output limits, check each page's content streams (and the forms and
  Unicode maps they use) before anything else reads them: a page whose streams inflate
  past those limits (a "flate bomb") is refused with pypdf's reason and never reaches
  PDFium, which would inflate it in full.
- PDFium (pypdfium2) then reads the text of the other pages. It is a C++ parser, about
  15x faster than pypdf's Python text extraction on the shared corpus (1.7 s against
  25.6 s for 148 PDFs), which made text extraction the second largest cost of indexing.
- A file PDFium cannot open, or a page it fails on, is read by pypdf as before.

PDFium's text is normalised to what the rest of the reader expects (one printed line
per line): its line-end hyphen mark (U+FFFE, put where it joined "exam-" and "ple")
becomes "-" and a line break again, so core.extract.lines joins the word back exactly
as it does for pypdf's text.

Fonts without a Unicode map: pypdf writes glyph names ("/g40/g68"), PDFium writes the
raw character codes, which are mostly control characters. A line made mostly of such
codes is dropped here and its page is reported in ``garbage`` (an OCR candidate); pypdf's
glyph names are recognised later, paragraph by paragraph (pdf_reader.unreadable).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.extract.clean import clean_line

logging.getLogger("pypdf").setLevel(logging.ERROR)

HYPHEN_MARK = "\ufffe"
CODES_SHARE_MAX = 0.5       # a line with more raw character codes than this is not text
MAX_FORM_DEPTH = 8          # nesting of form XObjects followed by the stream check


@dataclass
class PageTexts:
    """The readable pages' lines (cleaned), in page order."""
    numbers: list[int] = field(default_factory=list)
    lines: list[list[str]] = field(default_factory=list)
    garbage: dict[int, int] = field(default_factory=dict)   # page -> raw glyph codes dropped
    first_error: Exception | None = None
    reader: str = "pdfium"                               # which parser read the text


def read_pages(reader, path, password: str | None) -> PageTexts:
    """Every page of an opened pypdf ``reader``; ``password`` is what opened it (None when
    the file is not encrypted)."""
    count = len(reader.pages)
    out = PageTexts()
    pdf = _open_pdfium(path, password)
    if pdf is None:
        out.reader = "pypdf"
    try:
        for number in range(1, count + 1):
            try:
                page = reader.pages[number - 1]
                _check_streams(page)
                raw = _pdfium_text(pdf, number) if pdf is not None else None
                if raw is None:
                    raw = page.extract_text() or ""
                else:
                    raw = _drop_codes(raw, number, out.garbage)
            except MemoryError:
                raise
            except Exception as exc:  # noqa: BLE001 - one bad page costs that page
                out.first_error = out.first_error or exc
                continue
            out.numbers.append(number)
            out.lines.append([clean_line(line) for line in raw.split("\n")])
    finally:
        if pdf is not None:
            pdf.close()
    return out


def _open_pdfium(path, password: str | None):
    try:
        import pypdfium2 as pdfium

        return pdfium.PdfDocument(str(path), password=password)
    except Exception:  # noqa: BLE001 - pypdf reads what PDFium cannot open
        return None


def _pdfium_text(pdf, number: int) -> str | None:
    """The page's text with one printed line per line, or None when PDFium fails on it."""
    if number > len(pdf):
        return None
    try:
        page = pdf[number - 1]
        try:
            textpage = page.get_textpage()
            try:
                raw = textpage.get_text_range()
            finally:
                textpage.close()
        finally:
            page.close()
    except Exception:  # noqa: BLE001 - pypdf gets the page
        return None
    return raw.replace("\r\n", "\n").replace("\r", "\n").replace(HYPHEN_MARK, "-\n")


def _drop_codes(raw: str, number: int, garbage: dict[int, int]) -> str:
    """The text without lines made mostly of raw character codes (unmapped fonts)."""
    kept = []
    for line in raw.split("\n"):
        visible = [c for c in line if not c.isspace()]
        codes = sum(1 for c in visible if _is_code(c))
        if visible and codes > CODES_SHARE_MAX * len(visible):
            garbage[number] = garbage.get(number, 0) + len(visible)
            continue
        kept.append(line)
    return "\n".join(kept)


def _is_code(c: str) -> bool:
    o = ord(c)
    return o < 0x20 or 0x7F <= o < 0xA0 or 0xE000 <= o <= 0xF8FF or c == "\ufffd"


def _check_streams(page) -> None:
    """Decode the page's content streams, the form XObjects they draw and its fonts'
    Unicode maps with pypdf, whose decoders raise past their output limits."""
    contents = page.get_contents()
    if contents is not None:
        contents.get_data()
    _check_resources(page.get("/Resources"), 0, set())


def _check_resources(resources, depth: int, seen: set[int]) -> None:
    resources = _resolve(resources)
    if not hasattr(resources, "get") or depth > MAX_FORM_DEPTH:
        return
    for font in _values(resources.get("/Font")):
        to_unicode = font.get("/ToUnicode") if hasattr(font, "get") else None
        stream = _resolve(to_unicode)
        if stream is not None and hasattr(stream, "get_data") and _first_visit(to_unicode, seen):
            stream.get_data()
    for ref in _dict_items(resources.get("/XObject")):
        xobject = _resolve(ref)
        if (hasattr(xobject, "get") and xobject.get("/Subtype") == "/Form"
                and hasattr(xobject, "get_data") and _first_visit(ref, seen)):
            xobject.get_data()
            _check_resources(xobject.get("/Resources"), depth + 1, seen)


def _first_visit(ref, seen: set[int]) -> bool:
    key = getattr(ref, "idnum", None)
    key = id(ref) if key is None else key
    if key in seen:
        return False
    seen.add(key)
    return True


def _resolve(obj):
    return obj.get_object() if hasattr(obj, "get_object") else obj


def _dict_items(obj) -> list:
    obj = _resolve(obj)
    if not hasattr(obj, "values"):
        return []
    return [obj.raw_get(k) if hasattr(obj, "raw_get") else obj[k] for k in obj]


def _values(obj) -> list:
    return [_resolve(v) for v in _dict_items(obj)]
