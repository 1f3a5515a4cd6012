"""The rows of "Find similar" for a file (``likewise-gui --similar FILE``, the desktop's
"Find similar with Likewise"): the file first, then the documents like it, then, for a
file outside the library, the passages most like its passages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.gui.results import DOCUMENT, RESULT, SOURCE, Row
from app.gui.similarity_words import alike_summary, calibrate_passages, document_as_result
from core.types import SearchResult


def source_row(d: Any) -> Row:
    """The row a find-similar of a library document starts with: the document itself."""
    return Row(SOURCE, SearchResult(-1, d.id, d.path, d.title, None, None, None,
                                    f"{d.chunks} passages \u00b7 {d.pages or '?'} pages", 1.0))


def similar_file_rows(lib: Any, found: Any) -> tuple[list[Row], str]:
    """(rows, header) for a ``SimilarToFile``; reads the library (call it off the UI thread)."""
    thresholds = lib.discovery.duplicate_thresholds()
    docs = [document_as_result(sim, lib.catalog.chunk(sim.pairs[0][1]) if sim.pairs else None, thresholds)
            for sim in found.documents]
    n_docs = alike_summary(docs, "document")
    if found.in_library:
        return [source_row(found.document)] + [Row(DOCUMENT, r) for r in docs], n_docs
    calibrate_passages(found.similar_passages, *thresholds)
    source = SearchResult(-1, -1, found.path, Path(found.path).name, None, None, None,
                          f"Not in your library: read just now, {len(found.passages)} passages, nothing saved", 1.0)
    rows = [Row(SOURCE, source)] + [Row(DOCUMENT, r) for r in docs]
    rows += [Row(RESULT, r) for r in found.similar_passages]
    return rows, f"{n_docs} \u00b7 {alike_summary(found.similar_passages, 'passage')}"
