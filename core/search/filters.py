"""Search filters: folder, file type, modification date range, passages read by OCR."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import InvalidInputError
from core.pathnames import from_db, to_db


@dataclass
class SearchFilters:
    folder: str | None = None                 # only documents under this folder
    file_types: list[str] | None = None       # extensions such as ".pdf" (or "pdf")
    modified_after: float | None = None       # file mtime, seconds since the epoch
    modified_before: float | None = None
    ocr: bool | None = None                   # True: only passages read by OCR; False: none of them
    sender: str | None = None                 # only mail whose sender holds this (case-insensitive)

    def is_empty(self) -> bool:
        return (self.folder is None and not self.file_types and self.modified_after is None
                and self.modified_before is None and self.ocr is None and not self.sender)

    def sql(self) -> tuple[str, tuple]:
        """A condition on ``d`` (documents) and ``c`` (chunks) and its parameters ("" when
        no filter)."""
        parts: list[str] = []
        params: list = []
        if self.folder is not None:
            p = Path(from_db(os.fspath(self.folder))).expanduser()
            root = to_db(str(p.resolve()) if p.exists() else str(p.absolute()))
            prefix = root.rstrip(os.sep) + os.sep
            # a document with a copy in the folder (core/copies.py) is in it too
            parts.append("(d.path = ? OR substr(d.path, 1, ?) = ? OR EXISTS (SELECT 1 FROM documents k "
                         "WHERE k.copy_of = d.id AND (k.path = ? OR substr(k.path, 1, ?) = ?)))")
            params += [root, len(prefix), prefix] * 2
        if self.file_types:
            exts = sorted({_ext(t) for t in self.file_types})
            parts.append(f"d.ext IN ({','.join('?' * len(exts))})")
            params += exts
        if self.modified_after is not None:
            parts.append("d.mtime >= ?")
            params.append(float(self.modified_after))
        if self.modified_before is not None:
            parts.append("d.mtime <= ?")
            params.append(float(self.modified_before))
        if self.ocr is not None:
            parts.append("c.ocr = ?")
            params.append(int(bool(self.ocr)))
        if self.sender:
            parts.append("instr(lower(coalesce(d.sender, '')), ?) > 0")
            params.append(self.sender.strip().lower())
        return " AND ".join(parts), tuple(params)


def _ext(value: str) -> str:
    v = str(value).strip().lower()
    if not v or not v.lstrip(".").isalnum():
        raise InvalidInputError(f"not a file type: {value!r} (use an extension such as .pdf)")
    return v if v.startswith(".") else "." + v


def allowed_chunk_ids(conn, filters: SearchFilters | None) -> np.ndarray | None:
    """Chunk ids the filters allow, or None when there is no filter."""
    if filters is None or filters.is_empty():
        return None
    where, params = filters.sql()
    rows = conn.execute(
        f"SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE {where}", params
    ).fetchall()
    return np.asarray([r[0] for r in rows], dtype=np.int64)
