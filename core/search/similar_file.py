"""Find similar for any file: a document of the library, or a file from anywhere else.

A file outside the library is read the way indexing reads one (the isolated extraction
worker, with the same time, memory and size limits; the same chunker), its passages are
encoded with the active model version, and the library is searched with those vectors.
Nothing of it is written to the library: the person is offered to add its folder instead.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.catalog import Catalog
from core.changes import reads
from core.errors import InvalidInputError, NotFoundError
from core.model_versions import ModelVersions
from core.search.searcher import Searcher
from core.types import INDEXED, DocumentInfo, SearchResult, SimilarDocument


@dataclass
class FilePassage:
    """One passage of a file outside the library (its place in the file, not a chunk id)."""

    ord: int
    text: str
    page_start: int | None = None
    page_end: int | None = None


@dataclass
class SimilarToFile:
    """What is like a file. ``documents[i].pairs`` name a source passage by its chunk id
    when the file is in the library, by its index in ``passages`` when it is not."""

    path: str
    document: DocumentInfo | None                  # the library's document, when it is one
    documents: list[SimilarDocument]
    similar_passages: list[SearchResult]
    passages: list[FilePassage] = field(default_factory=list)   # the outside file's own
    folder_to_add: str | None = None               # outside every library folder: its folder

    @property
    def in_library(self) -> bool:
        return self.document is not None

    def source_text(self, source: int, chunk_text: Callable[[int], str]) -> str:
        """The text of a pair's source passage (see ``documents``)."""
        return chunk_text(source) if self.in_library else self.passages[source].text


class SimilarFile:
    """``lib.similar_file.similar_to_file``: composed of the catalog, the model versions, the
    searcher and the indexer's way of reading and cutting a file."""

    def __init__(self, catalog: Catalog, versions: ModelVersions, searcher: Searcher,
                 new_extractor: Callable[[], Any], options: Callable[[], Any],
                 chunk: Callable[[Any], list]) -> None:
        self.catalog = catalog
        self.versions = versions
        self.searcher = searcher
        self._new_extractor = new_extractor
        self._options = options
        self._chunk = chunk

    @reads
    def similar_to_file(self, path: str | os.PathLike, k: int = 10) -> SimilarToFile:
        shown = os.fspath(path)
        try:
            doc = self.catalog.document(shown)
        except NotFoundError:
            doc = None
        if doc is not None and doc.status == INDEXED:
            documents = self.searcher.similar_documents(doc.id, k=k)
            ids = self.catalog.chunk_ids_of(doc.id)
            passages = self.searcher.similar_to_vectors(self._stored_vectors(ids), k=k, own=set(ids))[1]
            return SimilarToFile(doc.path, doc, documents, passages)
        own = self._read(Path(shown).expanduser().absolute())
        vectors = np.asarray(self.versions.encoder().encode([p.text for p in own]), dtype=np.float32)
        documents, passages = self.searcher.similar_to_vectors(vectors, k=k)
        return SimilarToFile(str(Path(shown).absolute()), None, documents, passages, own,
                             self._folder_to_add(Path(shown).absolute()))

    def _stored_vectors(self, chunk_ids: list[int]) -> np.ndarray:
        found = self.searcher.accelerator().vectors(chunk_ids)
        rows = [found[c] for c in chunk_ids if c in found]
        return np.stack(rows) if rows else np.zeros((0, 0), np.float32)

    def _read(self, path: Path) -> list[FilePassage]:
        """The file's passages, read in a worker of its own (an indexing run keeps its own)."""
        try:
            st = path.stat()
        except OSError as exc:
            raise NotFoundError(f"cannot read {path}: {exc.strerror or exc}") from exc
        if not stat.S_ISREG(st.st_mode):
            raise InvalidInputError(f"{path} is not a regular file (a FIFO, socket or device is never read)")
        extractor = self._new_extractor()
        try:
            result = extractor.extract(str(path), self._options())
        finally:
            extractor.close()
        if result.status != INDEXED:
            raise InvalidInputError(f"{path.name} could not be read: {result.error or result.status}")
        chunks = self._chunk(result)
        if not chunks:
            raise InvalidInputError(f"{path.name} has no text to compare (no extractable text)")
        return [FilePassage(i, c.text, c.page_start, c.page_end) for i, c in enumerate(chunks)]

    def _folder_to_add(self, path: Path) -> str | None:
        """The file's folder, unless a folder of the library holds it already (then the
        file is simply not indexed yet, or left out by an exclusion)."""
        resolved = path.resolve()
        for row in self.catalog.folder_rows():
            if resolved.is_relative_to(Path(row.root).resolve()):
                return None
        return str(path.parent)
