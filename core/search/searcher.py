"""The searcher: dense, keyword and hybrid search, find similar passages and documents.

Dense search encodes the query with the active model version and asks the accelerator
(core/search/accel.py) for the nearest passage vectors; keyword search is FTS5 BM25
(core/search/keyword.py); hybrid fuses both by reciprocal rank (core/search/fusion.py).
Every result carries the span of its best-matching sentence and of the query's words.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from core.catalog import Catalog
from core.errors import InvalidInputError, NotFoundError
from core.model_versions import ModelVersions
from core.search.accel import Accelerator, Hits
from core.search.filters import SearchFilters, allowed_chunk_ids
from core.search.fusion import rrf
from core.search.keyword import TermStats, clean_text, keyword_search
from core.search.snippets import SentenceCache, best_sentences, by_words, query_terms, word_spans
from core.store import Store
from core.types import ChunkInfo, SearchResult, SimilarDocument

MODES = ("hybrid", "dense", "keyword")
MAX_K = 1000
MAX_QUERY_CHARS = 4000          # the encoder reads at most a few hundred tokens anyway
FUSION_DEPTH = 100              # candidates taken from each list before fusing
GROUP_DEPTH = 5                 # candidates per wanted document when grouping
DOC_SOURCE_PASSAGES = 64        # passages of a document compared in similar_documents
DOC_NEIGHBOURS = 50             # nearest passages fetched per source passage
DOC_PAIRS = 3                   # passage pairs reported per similar document

BEST_SENTENCE_TOP = 10


def _on_cpu(encoder: Any) -> bool:
    return getattr(getattr(encoder, "device", None), "type", "cpu") == "cpu"


def _on_torch(encoder: Any) -> bool:
    """The torch encoder (not the fast int8 one, which never loads torch)."""
    return getattr(encoder, "precision", "fp32") != "int8"


class Searcher:
    def __init__(self, store: Store, versions: ModelVersions, catalog: Catalog) -> None:
        self.store = store
        self.versions = versions
        self.catalog = catalog
        self._accels: dict[int, Accelerator] = {}
        self._accel_lock = threading.Lock()
        self._sentence_cache = SentenceCache()
        self._term_stats = TermStats()
        self._pool: ThreadPoolExecutor | None = None

    def _search_pool(self) -> ThreadPoolExecutor:
        with self._accel_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="likewise-keyword")
            return self._pool

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
    def accelerator(self, model_id: int | None = None) -> Accelerator:
        """The in-memory vector index of a model version (the active one by default),
        caught up with the store."""
        model_id = self.versions.active_model_id() if model_id is None else int(model_id)
        with self._accel_lock:
            acc = self._accels.get(model_id)
            if acc is None:
                persist = Path(str(self.store.path) + f".m{model_id}.usearch")
                acc = Accelerator(self.store, model_id, persist_path=persist)
                self._accels[model_id] = acc
        acc.sync()
        return acc

    # -- search ------------------------------------------------------------------------
    def search(
        self,
        query: str,
        mode: str = "hybrid",
        k: int = 10,
        filters: SearchFilters | None = None,
        group_by_document: bool = False,
        advanced: bool = False,
        snippets: bool = True,
    ) -> list[SearchResult]:
        """Passages matching ``query``, best first.

        ``mode``: hybrid (default), dense or keyword. ``advanced`` lets the keyword part
        read FTS5 syntax. ``snippets=False`` skips the best-sentence spans (faster).
        """
        if mode not in MODES:
            raise InvalidInputError(f"unknown search mode {mode!r} (use one of {', '.join(MODES)})")
        k = _check_k(k)
        if not isinstance(query, str):
            raise InvalidInputError("the query must be text")
        query = query[:MAX_QUERY_CHARS]
        if not clean_text(query).strip():
            return []
        allowed = allowed_chunk_ids(self.store.reader(), filters)
        if allowed is not None and len(allowed) == 0:
            return []
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
                hits = self.accelerator().search(qvec, wanted, allowed)
            except BaseException:
                if pending is not None:
                    pending.result()
                raise
            dense = list(zip(hits.ids.tolist(), hits.scores.tolist(), strict=True))
        if pending is not None:
            kw = pending.result()
        ranked = self._drop_exact_repeats(_rank(mode, dense, kw))
        if group_by_document:
            ranked = self._group(ranked[:depth], k)   # other hits among exactly depth candidates
        else:
            ranked = ranked[:k]
        if mode == "keyword":
            # A keyword search loads no model: its best sentence is the one holding the
            # most of the words found (add_best_sentences can still pick one by meaning).
            out = self._results(ranked, query, None, False)
            if snippets:
                for r in out:
                    r.best_sentence = by_words(r.text, r.word_spans)
            return out
        return self._results(ranked, query, qvec if snippets else None, snippets)

    def similar_to_text(
        self, text: str, k: int = 10, mode: str = "hybrid", filters: SearchFilters | None = None,
        group_by_document: bool = False,
    ) -> list[SearchResult]:
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
        also = self.catalog.also_in(ids)
        terms = query_terms(query) if query else set()
        out = []
        for r in ranked:
            row = rows.get(r[0])
            if row is None:      # deleted between the search and now
                continue
            cid, doc_id, path, title, p0, p1, heading, text, ocr = row
            out.append(SearchResult(
                chunk_id=cid, document_id=doc_id, path=path, title=title, page_start=p0,
                page_end=p1, heading=heading, text=text, score=float(r[1]),
                word_spans=word_spans(text, terms), dense_rank=r[2], keyword_rank=r[3],
                other_hits=r[4] if len(r) > 4 else 0, ocr=bool(ocr), also_in=also.get(cid, []),
            ))
        if snippets and qvec is None and query:
            qvec = self._encode_query(query)
        if snippets and qvec is not None:
            self._add_best_sentences(out, qvec)
        return out

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
        return results

    def _excluded_for(self, src: ChunkInfo, same_document: bool) -> set[int]:
        if not same_document:
            return set(self.catalog.chunk_ids_of(src.document_id)) | {src.id}
        return set(self.catalog.chunks_overlapping(src)) | {src.id}

    def similar_documents(
        self, doc_id: int, k: int = 10, filters: SearchFilters | None = None,
    ) -> list[SimilarDocument]:
        """Documents most like this one, best first.

        Score of a target document T for the source document S: the mean, over S's
        passages (up to 64, evenly spread), of the cosine between that passage and its
        best match in T. When T's passages are not among a source passage's 50 nearest,
        the 50th neighbour's cosine stands in (an upper bound on T's best there).

        Why this aggregate: a mean over the source's passages rewards documents that
        echo many parts of S, so one shared boilerplate paragraph (a licence, a header,
        a reference list) adds at most 1/|S| of the score, while a maximum over all pairs
        would rank any document sharing that one paragraph first. The best match per
        source passage (not a mean over all pairs) keeps a long target document from
        being penalised for its unrelated parts.
        """
        k = _check_k(k)
        doc = self.catalog.document(int(doc_id))
        src_ids = self.catalog.chunk_ids_of(doc.id)
        if not src_ids:
            return []
        src_ids = [src_ids[i] for i in _spread(len(src_ids))]
        acc = self.accelerator()
        vecs = acc.vectors(src_ids)
        own = set(self.catalog.chunk_ids_of(doc.id))
        allowed = allowed_chunk_ids(self.store.reader(), filters)
        per_source = []
        for sid in src_ids:
            if sid not in vecs:
                continue
            hits = _knn_excluding(acc, vecs[sid], DOC_NEIGHBOURS, own, allowed)
            per_source.append((sid, hits))
        return self._aggregate_documents(per_source, k)

    def similar_to_vectors(
        self, vectors: np.ndarray, k: int = 10, own: set[int] | None = None,
        filters: SearchFilters | None = None,
    ) -> tuple[list[SimilarDocument], list[SearchResult]]:
        """Documents and passages like a text's passages given by their vectors (a file
        outside the library: core/search/similar_file.py), scored as in
        ``similar_documents``; a document's pairs name a source passage by its row in
        ``vectors``. ``own``: chunk ids never to return (the source's own passages)."""
        k = _check_k(k)
        if len(vectors) == 0:
            return [], []
        acc = self.accelerator()
        allowed = allowed_chunk_ids(self.store.reader(), filters)
        excluded = own or set()
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        per_source = [(i, _knn_excluding(acc, unit[i], DOC_NEIGHBOURS, excluded, allowed))
                      for i in _spread(len(unit))]
        best: dict[int, float] = {}
        for _, hits in per_source:
            for cid, score in hits:
                best[cid] = max(score, best.get(cid, score))
        ranked = sorted(best.items(), key=lambda t: -t[1])
        ranked = self._drop_exact_repeats([(c, s, i + 1, None) for i, (c, s) in enumerate(ranked)])[:k]
        return self._aggregate_documents(per_source, k), self._results(ranked, None, None, False)

    def _aggregate_documents(
        self, per_source: list[tuple[int, list[tuple[int, float]]]], k: int,
    ) -> list[SimilarDocument]:
        docs = self.catalog.document_of_chunks(list({c for _, hits in per_source for c, _ in hits}))
        best: dict[int, dict[int, tuple[int, float]]] = defaultdict(dict)   # doc -> src -> (tgt, cos)
        floors = {}
        for sid, hits in per_source:
            floors[sid] = hits[-1][1] if hits else 0.0
            for cid, score in hits:
                d = docs.get(cid)
                if d is not None and (sid not in best[d] or score > best[d][sid][1]):
                    best[d][sid] = (cid, score)
        n = len(per_source)
        scored = []
        for d, matches in best.items():
            total = sum(matches[s][1] if s in matches else floors[s] for s, _ in per_source)
            pairs = sorted(((s, t, c) for s, (t, c) in matches.items()), key=lambda p: -p[2])
            scored.append((total / n, d, len(matches), pairs[:DOC_PAIRS]))
        scored.sort(key=lambda t: -t[0])
        out = []
        for score, d, matched, pairs in scored[:k]:
            out.append(SimilarDocument(self.catalog.document(d), float(score), matched, n,
                                       [(int(s), int(t), float(c)) for s, t, c in pairs]))
        return out


def _spread(n: int) -> list[int]:
    """Which of a source's n passages are compared: all, or DOC_SOURCE_PASSAGES evenly spread."""
    if n <= DOC_SOURCE_PASSAGES:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, DOC_SOURCE_PASSAGES).round().astype(int).tolist()))


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


def _knn_excluding(
    acc: Accelerator, vec: np.ndarray, k: int, excluded: set[int], allowed: np.ndarray | None,
) -> list[tuple[int, float]]:
    """k nearest (id, cosine) not in ``excluded``: asks for more until enough survive."""
    want = k + len(excluded)
    total = len(acc)
    while True:
        hits: Hits = acc.search(vec, min(want, max(total, 1)), allowed)
        keep = [(int(c), float(s)) for c, s in zip(hits.ids, hits.scores, strict=True) if int(c) not in excluded]
        if len(keep) >= k or len(hits.ids) < want or want >= total:
            return keep[:k]
        want *= 2
