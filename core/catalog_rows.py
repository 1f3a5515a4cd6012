"""The catalog's plain values: the rows the indexer compares files with, and the key a
passage's text is stored under (core/catalog.py owns the tables they come from)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


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
