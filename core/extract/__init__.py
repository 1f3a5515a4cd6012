"""Extraction: a file -> blocks of text with page and heading (core.types.ExtractResult).

`extract(path)` picks the reader by extension (.pdf, .docx, .txt, .md, .markdown) and
never raises for a bad file: the result's status is indexed (text found), encrypted,
no_text or error, with a reason a person can read in `error`. It runs in the calling
process; the indexer runs it in a worker process with time and memory limits instead
(core.extract.isolated.IsolatedExtractor).

Every block's text is cleaned (core.extract.clean): no control characters, collapsed
spaces, no empty lines, never empty. This module imports only the standard library at
import time; pypdf and python-docx are imported by the reader that needs them, so the
worker process starts quickly and never imports torch.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.extract.clean import short_reason
from core.types import ERROR, SUPPORTED_EXTENSIONS, ExtractResult

__all__ = ["extract", "SUPPORTED_EXTENSIONS"]


def extract(path: str | os.PathLike) -> ExtractResult:
    """Read one file into blocks. MemoryError propagates (the isolated worker reports it)."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        return ExtractResult(status=ERROR, error=f"unsupported file type '{ext or p.name}'")
    if not p.is_file():
        reason = "file not found" if not p.exists() else "not a regular file"
        if p.exists() and not p.is_dir():
            reason = ""  # a FIFO or device: let the reader try (and the isolated worker time out)
        if reason:
            return ExtractResult(status=ERROR, error=reason)
    try:
        result = _reader(ext)(p)
    except MemoryError:
        raise
    except RecursionError:
        return ExtractResult(status=ERROR, error="the file is nested too deeply to read (RecursionError)")
    except Exception as exc:  # noqa: BLE001 - a bug in a parser costs one file, never the run
        return ExtractResult(status=ERROR, error=f"could not read the file ({short_reason(exc)})")
    result.blocks = [b for b in result.blocks if b.text and b.text.strip()]
    return result


def _reader(ext: str):
    if ext == ".pdf":
        from core.extract.pdf_reader import extract_pdf

        return extract_pdf
    if ext == ".docx":
        from core.extract.docx_reader import extract_docx

        return extract_docx
    from core.extract.text_reader import extract_text_file

    return extract_text_file
