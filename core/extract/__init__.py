"""Extraction: a file -> blocks of text with page and heading (core.types.ExtractResult).

`extract(path, options, progress)` picks the reader by extension (.pdf, .docx, .pptx,
.epub, .odt, .rtf, .html/.htm, .txt/.md/.markdown, the spreadsheets .xlsx .xlsm .xls
.ods .csv .tsv, Word/PowerPoint 97-2003 .doc .ppt through an installed program, and the
images .png .jpg .jpeg .tif .tiff read by OCR). Containers (mail: .eml .msg mbox; archives:
.zip .tar .tar.gz) give their own text and, in ``result.members``, the documents inside them
(``extract_members`` streams those instead: core/extract/containers.py) and never raises
for a bad file: the result's status is indexed (text found), encrypted, no_text or error,
with a reason a person can read in `error`. It runs in the calling process; the indexer
runs it in a worker process with time and memory limits instead
(core.extract.isolated.IsolatedExtractor).

Every block's text is cleaned (core.extract.clean): no control characters, collapsed
spaces, no empty lines, never empty. This module imports only the standard library at
import time; pypdf and python-docx are imported by the reader that needs them, so the
worker process starts quickly and never imports torch. OCR (core.extract.ocr) runs for
scanned PDF pages and images unless ``options.ocr`` is False; ``progress(n, total)`` is
called before each scanned page.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from core.extract.archive import Refused
from core.extract.clean import short_reason
from core.extract.options import ExtractOptions, PageProgress
from core.types import (
    ERROR,
    IMAGE_EXTENSIONS,
    INDEXED,
    NO_TEXT,
    OLD_OFFICE_EXTENSIONS,
    SHEET_EXTENSIONS,
    SUPPORTED_EXTENSIONS,
    ExtractResult,
    Member,
)

# packages whose pictures are read by OCR too (core.extract.embedded_images)
EMBEDDING_EXTENSIONS = (".docx", ".pptx", ".odt", ".epub")

__all__ = ["extract", "extract_members", "ExtractOptions", "SUPPORTED_EXTENSIONS"]


def extract(path: str | os.PathLike, options: ExtractOptions | None = None,
            progress: PageProgress | None = None) -> ExtractResult:
    """Read one file into blocks. MemoryError propagates (the isolated worker reports it)."""
    from core.extract.containers import container_kind

    p = Path(path)

    if container_kind(p) is not None:
        members: list[Member] = []
        result = extract_members(p, members.append, options)
        result.members = members
        return result
    return _extract_file(p, options, progress)


def extract_members(path: str | os.PathLike, emit: Callable[[Member], None],
                    options: ExtractOptions | None = None, start: int = 0, first: int = 1) -> ExtractResult:
    """Read a container file (mail, archive: core/extract/containers.py), handing each
    document inside it to ``emit`` as it is read; never raises for a bad file."""
    from core.extract.containers import extract_container

    p = Path(path)
    if not p.is_file():
        return ExtractResult(status=ERROR, error="file not found" if not p.exists() else "not a regular file")
    try:
        result = extract_container(p, options or ExtractOptions(), emit,
                                   lambda f, o: _extract_file(f, o, None), start, first)
    except MemoryError:
        raise
    except Refused as exc:
        return ExtractResult(status=ERROR, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug in a parser costs one file, never the run
        return ExtractResult(status=ERROR, error=f"could not read the file ({short_reason(exc)})")
    result.blocks = [b for b in result.blocks if b.text and b.text.strip()]
    return result


def _extract_file(p: Path, options: ExtractOptions | None, progress: PageProgress | None) -> ExtractResult:
    ext = p.suffix.lower()
    if ext == ".gz":
        return ExtractResult(status=ERROR, error="unsupported file type '.gz' (only .tar.gz archives are read)")
    if ext not in SUPPORTED_EXTENSIONS:
        return ExtractResult(status=ERROR, error=f"unsupported file type '{ext or p.name}'")
    if not p.is_file():
        reason = "file not found" if not p.exists() else "not a regular file"
        if p.exists() and not p.is_dir():
            reason = ""  # a FIFO or device: let the reader try (and the isolated worker time out)
        if reason:
            return ExtractResult(status=ERROR, error=reason)
    elif p.stat().st_size == 0:
        # one reason in plain words for every format (python-docx said PackageNotFoundError)
        return ExtractResult(status=NO_TEXT, error="the file is empty", title=p.stem)
    options = options or ExtractOptions()
    try:
        result = _read(ext, p, options, progress)
    except MemoryError:
        raise
    except Refused as exc:
        return ExtractResult(status=ERROR, error=str(exc))
    except RecursionError:
        return ExtractResult(status=ERROR, error="the file is nested too deeply to read (RecursionError)")
    except Exception as exc:  # noqa: BLE001 - a bug in a parser costs one file, never the run
        return ExtractResult(status=ERROR, error=f"could not read the file ({short_reason(exc)})")
    result.blocks = [b for b in result.blocks if b.text and b.text.strip()]
    return result


def _read(ext: str, p: Path, options: ExtractOptions, progress: PageProgress | None) -> ExtractResult:
    if ext == ".pdf":
        from core.extract.pdf_reader import extract_pdf

        return extract_pdf(p, options, progress)
    if ext in IMAGE_EXTENSIONS:
        from core.extract.image_reader import extract_image

        return extract_image(p, options, progress)
    if ext in SHEET_EXTENSIONS or ext in OLD_OFFICE_EXTENSIONS:
        return _other_reader(ext)(p)
    result = _reader(ext)(p)
    if ext in EMBEDDING_EXTENSIONS and result.status in (INDEXED, NO_TEXT) and options.ocr:
        from core.extract.embedded_images import add_embedded_ocr

        try:
            add_embedded_ocr(result, p, ext, progress)
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 - pictures that cannot be read never cost the text read
            pass
    return result


def _other_reader(ext: str):
    if ext in (".xlsx", ".xlsm"):
        from core.extract.xlsx_reader import extract_xlsx

        return extract_xlsx
    if ext == ".xls":
        from core.extract.xls_reader import extract_xls

        return extract_xls
    if ext == ".ods":
        from core.extract.ods_reader import extract_ods

        return extract_ods
    if ext in (".csv", ".tsv"):
        from core.extract.csv_reader import extract_csv

        return extract_csv
    from core.extract.legacy_office import extract_legacy_office

    return extract_legacy_office


def _reader(ext: str):
    if ext == ".docx":
        from core.extract.docx_reader import extract_docx

        return extract_docx
    if ext == ".pptx":
        from core.extract.pptx_reader import extract_pptx

        return extract_pptx
    if ext == ".epub":
        from core.extract.epub_reader import extract_epub

        return extract_epub
    if ext == ".odt":
        from core.extract.odt_reader import extract_odt

        return extract_odt
    if ext == ".rtf":
        from core.extract.rtf_reader import extract_rtf

        return extract_rtf
    if ext in (".html", ".htm"):
        from core.extract.html_reader import extract_html

        return extract_html
    from core.extract.text_reader import extract_text_file

    return extract_text_file
