"""The searcher: dense, keyword and hybrid search, find similar passages and documents.

Dense search encodes the query with the active model version and asks the accelerator
(core/search/accel.py) for the nearest passage vectors; keyword search is FTS5 BM25
(core/search/keyword.py); hybrid fuses both by reciprocal rank (core/search/fusion.py).
Every result carries the span of its best-matching sentence and of the query's words.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from core.catalog import Catalog
from core.changes import reads, writes
from core.errors import InvalidInputError, NotFoundError
from core.events import Events
from core.model_versions import ModelVersions
from core.search.accel import Accelerator
from core.search.filters import SearchFilters, allowed_chunk_ids
from core.search.fusion import rrf
from core.search.graph_keeper import GraphKeeper
from core.search.keyword import TermStats, clean_text, keyword_search
from core.search.knn import knn_excluding as _knn_excluding
from core.search.scores import FLOOR, explain_cosine, nothing_matches, strength
from core.search.similar_docs import aggregate_documents, similar_documents, similar_vectors_hits
from core.search.snippets import SentenceCache, best_sentences, by_words, query_terms, word_spans
from core.search.strength import fill_strength
from core.store import Store
from core.types import ChunkInfo, SearchResult, SearchResults, SimilarDocument

MODES = ("hybrid", "dense", "keyword")
MODE_ALIASES = {"meaning": "dense"}     # the window's word for dense search
MAX_K = 1000
MAX_QUERY_CHARS = 4000          # the encoder reads at most a few hundred tokens anyway
FUSION_DEPTH = 100              # candidates taken from each list before fusing
GROUP_DEPTH = 5                 # candidates per wanted document when grouping

BEST_SENTENCE_TOP = 10


def _on_cpu(encoder: Any) -> bool:
    return getattr(getattr(encoder, "device", None), "type", "cpu") == "cpu"


def _on_torch(encoder: Any) -> bool:
    """The torch encoder (not the fast int8 one, which never loads torch)."""
    return getattr(encoder, "precision", "fp32") != "int8"


class Searcher:
    def __init__(self, store: Store, versions: ModelVersions, catalog: Catalog,
                 events: Events | None = None) -> None:
        self.store = store
        self.versions = versions
        self.catalog = catalog
        self._accels: dict[int, Accelerator] = {}
        self._accel_lock = threading.Lock()
        self._sentence_cache = SentenceCache()
        self._term_stats = TermStats()
        self._pool: ThreadPoolExecutor | None = None
        # the graph made ready by the indexing run (core/search/graph_keeper.py)
        self.graph_keeper = GraphKeeper(store, versions.active_model_id, self._accelerator_of)
        if events is not None:
            events.model_switched.subscribe(self.keep_only)
            events.vectors_written.subscribe(self.graph_keeper.vectors_written)
            events.index_finished.subscribe(self.graph_keeper.index_finished)

    @writes()
    def keep_only(self, model_id: int) -> None:
        """After a model switch: the other versions' in-memory graphs are saved and let go
        (each holds its vectors in memory; asked for again, one is opened from its file)."""
        with self._accel_lock:
            gone = [m for m in self._accels if m != model_id]
            dropped = [self._accels.pop(m) for m in gone]
        for acc in dropped:
            try:
                acc.save()
            except OSError:
                pass

    def _search_pool(self) -> ThreadPoolExecutor:
        with self._accel_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="likewise-keyword")
            return self._pool

    @writes(long=True)
    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        for acc in list(self._accels.values()):
            try:
                acc.save()
            except OSError:
                pass

    # -- the accelerator -------------------------------------------------------------
    @reads
    def accelerator(self, model_id: int | None = None) -> Accelerator:
        """The in-memory vector index of a model version (the active one by default),
        caught up with the store."""
        model_id = self.versions.active_model_id() if model_id is None else int(model_id)
        acc = self._accelerator_of(model_id)
        acc.sync(wait=not acc.building)   # while a graph is built aside, searches do not wait
        return acc

    def _accelerator_of(self, model_id: int) -> Accelerator:
        with self._accel_lock:
            acc = self._accels.get(model_id)
            if acc is None:
                persist = Path(str(self.store.path) + f".m{model_id}.usearch")
                acc = Accelerator(self.store, model_id, persist_path=persist)
                self._accels[model_id] = acc
        return acc

    # -- search ------------------------------------------------------------------------
    @reads
    def search(
        self,
        query: str,
        mode: str = "hybrid",
        k: int = 10,
        filters: SearchFilters | None = None,
        group_by_document: bool = False,
        advanced: bool = False,
        snippets: bool = True,
    ) -> SearchResults:
        """Passages matching ``query``, best first, as SearchResults (a list whose
        ``reason`` says why it is empty).

        ``mode``: hybrid (default), dense (also called meaning) or keyword. ``advanced``
        lets the keyword part read FTS5 syntax. ``snippets=False`` skips the best-sentence
        spans (faster). By meaning, a passage is an answer only when it is not noise
        (``chunks.noise``: fragments, furniture) and its cosine to the query reaches the
        calibrated floor (core/search/calibration.py); hybrid keeps what the words find.
        """
        mode = MODE_ALIASES.get(mode, mode)
        if mode not in MODES:
            raise InvalidInputError(f"unknown search mode {mode!r} (use one of {', '.join(MODES)})")
        k = _check_k(k)
        if not isinstance(query, str):
            raise InvalidInputError("the query must be text")
        query = query[:MAX_QUERY_CHARS]
        if not clean_text(query).strip():
            return SearchResults(reason="nothing to search for: the query has no words")
        allowed = allowed_chunk_ids(self.store.reader(), filters)
        if allowed is not None and len(allowed) == 0:
            return SearchResults(reason="nothing matches: no passage passes the filters")
        depth = k * GROUP_DEPTH if group_by_document else k
        qvec = None
        dense: list[tuple[int, float]] = []
        kw: list[tuple[int, float]] = []
        pending = None
        # twice as many candidates: exact repeats of a passage are dropped from the list
        wanted = max(2 * depth, FUSION_DEPTH if mode == "hybrid" else 0)
        # SQLite and torch both release the GIL: in hybrid search the keyword query runs
        # on its own reader while the query is encoded (on the CPU with one torch thread
        # fewer, see one_core_spared) and the vectors searched.
        on_cpu = mode != "keyword" and _on_cpu(self.versions.encoder())
        beside = mode == "hybrid" and (not on_cpu or (os.cpu_count() or 1) > 1)
        if mode in ("keyword", "hybrid"):
            where, params = filters.sql() if filters is not None and not filters.is_empty() else ("", ())

            def run_keyword() -> list[tuple[int, float]]:
                return keyword_search(self.store.reader(), query, wanted, advanced=advanced,
                                      where_sql=where, where_params=params, stats=self._term_stats)

            if beside:
                pending = self._search_pool().submit(run_keyword)
            else:
                kw = run_keyword()
        if mode in ("dense", "hybrid"):
            try:
                if beside and on_cpu and _on_torch(self.versions.encoder()):
                    from core.encoder.device import one_core_spared  # torch, only when searching

                    with one_core_spared():
                        qvec = self._encode_query(query)
                else:
                    qvec = self._encode_query(query)
                dense = self._meaning_hits(qvec, wanted, allowed)
            except BaseException:
                if pending is not None:
                    pending.result()
                raise
        best = dense[0][1] if dense else None
        if best is None or best < FLOOR:
            dense = []          # nothing passes the floor: no answer by meaning

        if pending is not None:
            kw = pending.result()
        if not dense and not kw:
            if mode == "keyword":
                return SearchResults(reason="nothing matches: no passage holds these words")
            return SearchResults(reason=nothing_matches(best), floor=FLOOR)
        ranked = self._drop_exact_repeats(_rank(mode, dense, kw))
        if group_by_document:
            ranked = self._group(ranked[:depth], k)   # other hits among exactly depth candidates
        else:
            ranked = ranked[:k]
        bm25 = dict(kw)
        if mode == "keyword":
            # A keyword search loads no model: its best sentence is the one holding the
            # most of the words found (add_best_sentences can still pick one by meaning).
            out = self._results(ranked, query, None, False)
            if snippets:
                for r in out:
                    r.best_sentence = by_words(r.text, r.word_spans)
            fill_strength(out, query, None, {}, bm25)
            return SearchResults(out, floor=None)
        out = self._results(ranked, query, qvec if snippets else None, snippets)
        assert qvec is not None
        fill_strength(out, query, qvec, self.accelerator().vectors([r.chunk_id for r in out]), bm25)
        return SearchResults(out, floor=FLOOR)

    def _meaning_hits(self, qvec: np.ndarray, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        """The k nearest passages by meaning (id, cosine), noise left out."""
        noise = self.catalog.noise_ids()
        acc = self.accelerator()
        if allowed is not None:
            allowed = allowed[~np.isin(allowed, np.fromiter(noise, np.int64, len(noise)))]
            if len(allowed) == 0:
                return []
        return _knn_excluding(acc, qvec, k, noise, allowed, first=2 * k)

    @reads
    def similar_to_text(
        self, text: str, k: int = 10, mode: str = "hybrid", filters: SearchFilters | None = None,
        group_by_document: bool = False,
    ) -> SearchResults:
        """Passages like a text pasted by the user: the same as a query."""
        return self.search(text, mode=mode, k=k, filters=filters, group_by_document=group_by_document)

    def _encode_query(self, text: str) -> np.ndarray:
        return np.asarray(self.versions.encoder().encode([text])[0], dtype=np.float32)

    def _drop_exact_repeats(self, ranked: list[tuple]) -> list[tuple]:
        """The best-ranked of passages with exactly the same text; the others go (their
        documents are named in the kept result's ``also_in``)."""
        hashes = self.catalog.text_hashes([r[0] for r in ranked])
        seen: set[str] = set()
        out = []
        for r in ranked:
            h = hashes.get(r[0])
            if h is not None and h in seen:
                continue
            if h is not None:
                seen.add(h)
            out.append(r)
        return out

    def _group(self, ranked: list[tuple], k: int) -> list[tuple]:
        """Best passage per document, with the count of the document's other hits."""
        docs = self.catalog.document_of_chunks([r[0] for r in ranked])
        first: dict[int, list] = {}
        for r in ranked:
            doc = docs.get(r[0])
            if doc is None:
                continue
            if doc in first:
                first[doc][-1] += 1
            else:
                first[doc] = [*r, 0]
        return [tuple(v) for v in list(first.values())[:k]]

    def _results(
        self, ranked: list[tuple], query: str | None, qvec: np.ndarray | None, snippets: bool,
    ) -> list[SearchResult]:
        """SearchResults for ranked (id, score, dense rank, keyword rank[, other hits])."""
        if not ranked:
            return []
        ids = [r[0] for r in ranked]
        rows = self.catalog.result_rows(ids)
        also = self.catalog.copies.also_in(ids)
        terms = query_terms(query) if query else set()
        out = []
        for r in ranked:
            row = rows.get(r[0])
            if row is None:      # deleted between the search and now
                continue
            cid, doc_id, path, title, p0, p1, heading, text, ocr, sender = row
            out.append(SearchResult(
                chunk_id=cid, document_id=doc_id, path=path, title=title, page_start=p0,
                page_end=p1, heading=heading, text=text, score=float(r[1]),
                word_spans=word_spans(text, terms), dense_rank=r[2], keyword_rank=r[3],
                other_hits=r[4] if len(r) > 4 else 0, ocr=bool(ocr), also_in=also.get(cid, []),
                sender=sender,
            ))
        if snippets and qvec is None and query:
            qvec = self._encode_query(query)
        if snippets and qvec is not None:
            self._add_best_sentences(out, qvec)
        return out

    @reads
    def add_best_sentences(self, results: list[SearchResult], query: str) -> None:
        """Fill ``best_sentence`` on results of an earlier ``search(..., snippets=False)``,
        without running the search again (the window shows the list first)."""
        if results and clean_text(query).strip():
            self._add_best_sentences(results, self._encode_query(query))

    def _add_best_sentences(self, results: list[SearchResult], qvec: np.ndarray) -> None:
        """Best sentences for the first BEST_SENTENCE_TOP results: each costs encoding
        the passage's sentences, so the tail of a long list keeps only word spans."""
        model_id = self.versions.active_model_id()
        enc = self.versions.encoder(model_id)
        spans = best_sentences(
            [(r.chunk_id, r.text) for r in results[:BEST_SENTENCE_TOP]], qvec,
            lambda texts: enc.encode(texts, batch_size=64), model_id, self._sentence_cache,
        )
        for r in results:
            r.best_sentence = spans.get(r.chunk_id)

    # -- find similar ------------------------------------------------------------------
    @reads
    def similar_to_chunk(
        self,
        chunk_id: int,
        k: int = 10,
        same_document: bool = False,
        filters: SearchFilters | None = None,
        snippets: bool = True,
    ) -> list[SearchResult]:
        """Passages most like this one: in other documents, or also in the same one
        (``same_document=True``); never the passage itself nor a passage overlapping it."""
        k = _check_k(k)
        src = self.catalog.chunk(int(chunk_id))
        acc = self.accelerator()
        vec = acc.vectors([src.id]).get(src.id)
        if vec is None:
            raise NotFoundError(f"passage {chunk_id} has no vector yet (is it still being indexed?)")
        excluded = self._excluded_for(src, same_document)
        allowed = allowed_chunk_ids(self.store.reader(), filters)
        if allowed is not None:
            allowed = allowed[~np.isin(allowed, np.fromiter(excluded, np.int64, len(excluded)))]
            if len(allowed) == 0:
                return []
        hits = _knn_excluding(acc, vec, k, excluded, allowed)
        ranked = [(c, s, i + 1, None) for i, (c, s) in enumerate(hits)]
        results = self._results(ranked, None, None, False)
        if snippets:
            self._add_best_sentences(results, vec)
        fill_strength(results, None, vec, acc.vectors([r.chunk_id for r in results]), {},
                      what="the chosen passage")
        return results

    def _excluded_for(self, src: ChunkInfo, same_document: bool) -> set[int]:
        if not same_document:
            return set(self.catalog.chunk_ids_of(src.document_id)) | {src.id}
        return set(self.catalog.chunks_overlapping(src)) | {src.id}

    @reads
    def similar_documents(
        self, doc_id: int, k: int = 10, filters: SearchFilters | None = None,
    ) -> list[SimilarDocument]:
        """Documents most like this one, best first, from what their body passages say
        (core/search/similar_docs.py explains the score)."""
        return similar_documents(self, int(doc_id), _check_k(k), filters)

    @reads
    def similar_to_vectors(
        self, vectors: np.ndarray, k: int = 10, own: set[int] | None = None,
        filters: SearchFilters | None = None,
    ) -> tuple[list[SimilarDocument], list[SearchResult]]:
        """Documents and passages like a text's passages given by their vectors (a file
        outside the library: core/search/similar_file.py), scored as ``similar_documents``
        scores; ``own``: chunk ids never to return (the source's own passages)."""
        k = _check_k(k)
        per_source, best = similar_vectors_hits(self, vectors, own or set(), filters)
        if not per_source:
            return [], []
        ranked = sorted(best.items(), key=lambda t: -t[1])
        ranked = self._drop_exact_repeats([(c, s, i + 1, None) for i, (c, s) in enumerate(ranked)])[:k]
        passages = self._results(ranked, None, None, False)
        for r in passages:            # each passage's number: its best cosine to the file's passages
            r.cosine = best.get(r.chunk_id)
            if r.cosine is not None:
                r.strength, r.explanation = strength(r.cosine), explain_cosine(r.cosine, "this file's passages")
        return aggregate_documents(self.catalog, per_source, k, "this file"), passages



def _check_k(k: Any) -> int:
    try:
        k = int(k)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"k must be a whole number, not {k!r}") from exc
    if not 1 <= k <= MAX_K:
        raise InvalidInputError(f"k must be between 1 and {MAX_K}, not {k}")
    return k


def _rank(mode: str, dense: list[tuple[int, float]], kw: list[tuple[int, float]]) -> list[tuple]:
    """(id, score, dense rank, keyword rank) best first."""
    if mode == "dense":
        return [(c, s, i + 1, None) for i, (c, s) in enumerate(dense)]
    if mode == "keyword":
        return [(c, s, None, i + 1) for i, (c, s) in enumerate(kw)]
    return rrf([c for c, _ in dense], [c for c, _ in kw])
