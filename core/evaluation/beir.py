"""Retrieval evaluation on a BEIR-format folder (corpus.jsonl, queries.jsonl,
qrels/test.tsv): nDCG@10 and recall@100 for each search mode, as BEIR computes them
(graded gain, log2 discount, the ideal from the qrels; a hit whose document id equals
the query id is ignored, BEIR's default).

The corpus goes straight into a temporary library, one passage per document
(title + " " + text, as BEIR's Sentence-BERT wrapper builds it; the encoder truncates at
its max_seq_length as BEIR does), without file extraction. Encoded corpus vectors are
cached in a file keyed by a hash of the model weights and of the corpus, so a second
run costs only the queries.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import InvalidInputError
from core.model_identity import content_hash
from core.search.fusion import RRF_K, rrf

CUTOFF_NDCG = 10
CUTOFF_RECALL = 100


@dataclass
class BeirData:
    corpus: dict[str, tuple[str, str]]          # id -> (title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


@dataclass
class ModeScore:
    mode: str
    ndcg10: float
    recall100: float
    queries: int
    seconds: float


@dataclass
class BeirReport:
    data: str
    documents: int
    queries: int
    encode_seconds: float
    cached_vectors: bool
    scores: list[ModeScore] = field(default_factory=list)
    sweep: list[tuple[float, float, float]] = field(default_factory=list)  # (k, w_dense, nDCG@10)


def load_beir(folder: Path | str, split: str = "test") -> BeirData:
    folder = Path(folder)
    needed = [folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels" / f"{split}.tsv"]
    for p in needed:
        if not p.is_file():
            raise InvalidInputError(f"not a BEIR folder: {p} is missing")
    corpus = {}
    with open(needed[0], encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                corpus[str(d["_id"])] = (d.get("title") or "", d.get("text") or "")
    queries = {}
    with open(needed[1], encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                q = json.loads(line)
                queries[str(q["_id"])] = q["text"]
    qrels: dict[str, dict[str, int]] = {}
    with open(needed[2], encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            parts = line.strip().split("\t")
            if len(parts) < 3 or (i == 0 and not parts[2].strip().lstrip("-").isdigit()):
                continue
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    qrels = {q: r for q, r in qrels.items() if q in queries}
    return BeirData(corpus, queries, qrels)


def ndcg_at(ranked: list[str], rels: dict[str, int], k: int = CUTOFF_NDCG) -> float:
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: list[str], rels: dict[str, int], k: int = CUTOFF_RECALL) -> float:
    relevant = {d for d, r in rels.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


def _file_hash(paths: list[Path]) -> str:
    h = hashlib.blake2b(digest_size=12)
    for p in paths:
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def corpus_vectors(
    lib: Any, data: BeirData, folder: Path, cache_dir: Path | None,
    progress: Callable[[int, int], Any] | None = None,
) -> tuple[np.ndarray, bool, float]:
    """Vectors of every corpus document (in corpus order), from the cache when present."""
    enc = lib.versions.encoder()
    texts = [(t + " " + x).strip() for t, x in data.corpus.values()]
    # int8 and fp32 vectors are cached apart, and so are the two int8 runtimes' vectors
    precision = "-".join(filter(None, (getattr(enc, "precision", "fp32"), getattr(enc, "runtime", None))))
    model_key = content_hash(Path(lib.versions.model_row(lib.versions.active_model_id())["path"]))[:24]
    key = f"{model_key}-{precision}-{_file_hash([folder / 'corpus.jsonl'])}"
    cache = cache_dir / f"beir-{folder.name}-{key}.npy" if cache_dir else None
    if cache is not None and cache.is_file():
        mat = np.load(cache)
        if mat.shape == (len(texts), enc.dim):
            return mat, True, 0.0
    start = time.monotonic()
    mat = enc.encode(texts, batch_size=32, progress=progress)
    seconds = time.monotonic() - start
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, np.asarray(mat, dtype=np.float32))
    return np.asarray(mat, dtype=np.float32), False, seconds


def fill_library(lib: Any, data: BeirData, vectors: np.ndarray) -> dict[int, str]:
    """One document and one passage per corpus entry; returns chunk id -> corpus id."""
    model_id = lib.versions.active_model_id()
    chunk_to_doc: dict[int, str] = {}
    now = time.time()
    with lib.store.write() as conn:
        ids = []
        for i, (doc_id, (title, text)) in enumerate(data.corpus.items()):
            body = (title + " " + text).strip()
            cid = lib.catalog.write_single_passage(conn, f"beir/{doc_id}.txt", title or doc_id, body, now)
            chunk_to_doc[cid] = doc_id
            ids.append(cid)
            if len(ids) == 1000 or i == len(data.corpus) - 1:
                start = i + 1 - len(ids)
                lib.store.put_vectors(conn, model_id, ids, vectors[start : i + 1])
                ids = []
    return chunk_to_doc


def evaluate_beir(
    folder: Path | str,
    open_library: Callable[[Path], Any],
    modes: tuple[str, ...] = ("dense", "keyword", "hybrid"),
    limit_queries: int | None = None,
    cache_dir: Path | None = None,
    sweep: bool = False,
    progress: Callable[[int, int], Any] | None = None,
) -> BeirReport:
    """Score the library's search on a BEIR folder. ``open_library(path)`` opens a new,
    empty library at ``path`` with the model and settings to evaluate (the caller builds
    it, so evaluation never reaches up to the composition root)."""
    folder = Path(folder)
    data = load_beir(folder)
    qids = sorted(data.qrels, key=lambda q: (len(q), q))
    if limit_queries:
        qids = qids[: int(limit_queries)]
    with tempfile.TemporaryDirectory(prefix="likewise-beir-") as tmp:
        lib = open_library(Path(tmp) / "beir.sqlite")
        try:
            vectors, cached, enc_s = corpus_vectors(lib, data, folder, cache_dir, progress)
            chunk_to_doc = fill_library(lib, data, vectors)
            report = BeirReport(str(folder), len(data.corpus), len(qids), enc_s, cached)
            runs: dict[str, dict[str, list[str]]] = {}
            for mode in modes:
                start = time.monotonic()
                runs[mode] = {
                    q: _ranked_docs(lib, data.queries[q], mode, q, chunk_to_doc) for q in qids
                }
                seconds = time.monotonic() - start
                report.scores.append(_score(mode, runs[mode], data, qids, seconds))
            if sweep:
                report.sweep = _sweep(lib, data, qids, chunk_to_doc)
        finally:
            lib.close()
    return report


def _ranked_docs(lib: Any, text: str, mode: str, qid: str, chunk_to_doc: dict[int, str]) -> list[str]:
    hits = lib.searcher.search(text, mode=mode, k=CUTOFF_RECALL, snippets=False)
    return [chunk_to_doc[h.chunk_id] for h in hits if chunk_to_doc.get(h.chunk_id) != qid]


def _score(mode: str, run: dict[str, list[str]], data: BeirData, qids: list[str], seconds: float) -> ModeScore:
    nd = [ndcg_at(run[q], data.qrels[q]) for q in qids]
    rc = [recall_at(run[q], data.qrels[q]) for q in qids]
    return ModeScore(mode, float(np.mean(nd)), float(np.mean(rc)), len(qids), seconds)


def _sweep(lib: Any, data: BeirData, qids: list[str], chunk_to_doc: dict[int, str]) -> list[tuple[float, float, float]]:
    """nDCG@10 of RRF for several (k, dense weight) pairs, from one dense and one
    keyword run of depth 100 each (the depth hybrid search uses)."""
    def run(q: str, mode: str) -> list[int]:
        return [h.chunk_id for h in lib.searcher.search(data.queries[q], mode=mode, k=100, snippets=False)]

    dense = {q: run(q, "dense") for q in qids}
    kw = {q: run(q, "keyword") for q in qids}
    out = []
    for k in (20, RRF_K, 100):
        for w in (0.5, 1.0, 1.5, 2.0, 3.0, 4.0):
            scores = []
            for q in qids:
                fused = rrf(dense[q], kw[q], k=k, dense_weight=w, keyword_weight=1.0)
                ranked = [chunk_to_doc[c] for c, *_ in fused if chunk_to_doc[c] != q]
                scores.append(ndcg_at(ranked, data.qrels[q]))
            out.append((float(k), w, float(np.mean(scores))))
    return out
