"""The rows of "Find similar" for a file (``likewise-gui --similar FILE``, the desktop's
"Find similar with Likewise"): the file first, then the documents like it, then, for a
file outside the library, the passages most like its passages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.gui.results import DOCUMENT, RESULT, SOURCE, Row
from app.gui.similarity_words import calibrate_passages
from core.types import SearchResult


def similar_file_rows(lib: Any, found: Any, document_as_result: Any) -> tuple[list[Row], str]:
    """(rows, header) for a ``SimilarToFile``; reads the library (call it off the UI thread)."""
    thresholds = lib.duplicate_thresholds()
    docs = [document_as_result(sim, lib.chunk(sim.pairs[0][1]) if sim.pairs else None, thresholds)
            for sim in found.documents]
    n_docs = f"{len(docs)} similar document{'s' if len(docs) != 1 else ''}"
    if found.in_library:
        d = found.document
        source = SearchResult(-1, d.id, d.path, d.title, None, None, None,
                              f"{d.chunks} passages \u00b7 {d.pages or '?'} pages", 1.0)
        return [Row(SOURCE, source)] + [Row(DOCUMENT, r) for r in docs], n_docs
    calibrate_passages(found.similar_passages, *thresholds)
    source = SearchResult(-1, -1, found.path, Path(found.path).name, None, None, None,
                          f"Not in your library: read just now, {len(found.passages)} passages, nothing saved", 1.0)
    rows = [Row(SOURCE, source)] + [Row(DOCUMENT, r) for r in docs]
    rows += [Row(RESULT, r) for r in found.similar_passages]
    n = len(found.similar_passages)
    return rows, f"{n_docs} \u00b7 {n} similar passage{'s' if n != 1 else ''}"
