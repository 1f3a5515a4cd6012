"""The catalog's plain values: the columns its rows are read from, the rows the indexer
compares files with, and the key a passage's text is stored under (core/catalog.py owns
the tables they come from)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from core.types import DocumentInfo

# The columns a DocumentInfo and a ChunkInfo are read from (d: documents, c: chunks).
DOC_COLS = (
    "d.id, d.path, d.title, d.ext, d.size, d.mtime, d.status, d.error, d.pages, "
    "(SELECT COUNT(*) FROM chunks c WHERE c.document_id = IFNULL(d.copy_of, d.id)), d.indexed_at, "
    "d.available, d.folder_id, d.copy_of, d.container_id, d.sender, d.recipients, d.sent_at"
)
CHUNK_COLS = (
    "c.id, c.document_id, c.ord, c.text, c.page_start, c.page_end, c.heading, "
    "c.char_start, c.char_end, d.path, d.title"
)


def document_info(row: tuple) -> DocumentInfo:
    """A DocumentInfo from a row of ``DOC_COLS``."""
    (doc_id, path, title, ext, size, mtime, status, error, pages, chunks, indexed_at,
     available, folder_id, copy_of, container_id, sender, recipients, sent_at) = row
    return DocumentInfo(doc_id, path, title, ext, size, mtime, status, error, pages, chunks,
                        indexed_at, available=bool(available), folder_id=folder_id, copy_of=copy_of,
                        container_id=container_id, sender=sender, recipients=recipients, sent_at=sent_at)


def text_hash(text: str) -> str:
    """The key under which a passage's text is stored (vectors are reused by it)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True)
class FolderRow:
    """A chosen folder as the indexer needs it."""

    id: int
    root: str          # OS path
    paused: bool
    follow_links: bool


@dataclass(frozen=True)
class KnownDocument:
    """What the indexer compares a file with: its document row, if any."""

    id: int
    size: int
    mtime: float
    content_hash: str | None
    status: str


@dataclass(frozen=True)
class FileFacts:
    """A file as looked at: stored path, folder, size, mtime, content hash."""

    path: str
    folder_id: int | None
    size: int
    mtime: float
    content_hash: str | None
