"""The upgrade of a library made before passages were paragraphs: passages that group several paragraphs
are cut into one passage per paragraph, from the stored text, without reading the file.

core/chunk.py joins a document's blocks with a blank line and a passage is a contiguous
span of that text, so a stored passage that groups blocks holds them separated by
``SEPARATOR``. Each piece becomes a passage with its own offsets (still spans of the same
document text), its words and its vector: reused by text hash where this model version
has encoded the same text (a passage that was one paragraph already keeps its vector),
encoded otherwise. A heading piece goes with the piece after it, as the chunker does.
What is not known any more: the page of each piece of a passage that ran over several
pages (each piece keeps the passage's page range).

Each document is one 'split' job, queued by migration 0009, done in one transaction
with its new passages: a crash leaves each document split or not, and the rest is done
by the next run.
"""

from __future__ import annotations

from core import faults
from core.cancel import CancelToken
from core.chunk import SEPARATOR
from core.dupes.normalize import normalize_text
from core.index.encode import encode_group
from core.index.progress import Tracker
from core.index.seams import IndexerParts
from core.types import Chunk, IndexReport

SPLIT = "split"


def split_passages(rows: list[tuple]) -> list[Chunk]:
    """A document's stored passages (text, char_start, char_end, page_start, page_end,
    heading, ocr, in order) -> one passage per paragraph."""
    out: list[Chunk] = []
    seen: set[tuple[int, int]] = set()
    for text, start, _end, page_start, page_end, heading, ocr in rows:
        pieces, pos = [], 0
        for part in text.split(SEPARATOR):
            if part.strip():
                pieces.append((pos, pos + len(part)))
            pos += len(part) + len(SEPARATOR)
        merged: list[tuple[int, int]] = []
        pending: int | None = None        # start of a heading piece waiting for its paragraph
        for s, e in pieces:
            piece = text[s:e]
            first = pending if pending is not None else s
            if heading and normalize_text(piece) == normalize_text(heading) and (s, e) != pieces[-1]:
                pending = first
                continue
            merged.append((first, e))
            pending = None
        for s, e in merged:
            span = (start + s, start + e)
            if span in seen:
                continue
            seen.add(span)
            out.append(Chunk(ord=len(out), text=text[s:e], char_start=span[0], char_end=span[1],
                             page_start=page_start, page_end=page_end, heading=heading, ocr=bool(ocr)))
    return out


def run_split_jobs(indexer: IndexerParts, report: IndexReport, tracker: Tracker, cancel: CancelToken | None,
                   touched: list[int]) -> None:
    """Split every document that has a 'split' job (the Indexer's step after embed jobs)."""
    store, catalog, versions = indexer.store, indexer.catalog, indexer.versions
    while True:
        indexer.wait_if_paused(cancel)
        if cancel is not None:
            cancel.raise_if_cancelled()
        job = indexer.jobs.next((SPLIT,))
        if job is None:
            return
        doc_id = int(job.document_id or 0)
        rows = catalog.passage_rows(doc_id)
        chunks = split_passages(rows)
        found = catalog.path_of(doc_id)
        tracker.emit(current_file=found[0] if found else None, phase="splitting")
        models = [m for m in versions.models_to_fill() if store.vec_table_exists(m)]
        vectors = encode_group([[c.text for c in chunks]], models, catalog, versions.encoder,
                               indexer.settings.batch_size, report, cancel, versions.record_precision)
        faults.checkpoint("split")
        with store.write() as conn:
            if catalog.passage_rows(doc_id, conn) == rows and len(chunks) != len(rows):
                catalog.replace_passages(conn, doc_id, chunks, {m: v[0] for m, v in vectors.items()})
            indexer.jobs.done(job.id, conn)
        touched.append(doc_id)
        tracker.p.files_done += 1
        tracker.p.chunks_done += len(chunks)
        tracker.emit()
