"""The in-memory accelerator for vector search (KNN over one model version's vectors).

The store (sqlite-vec) is the source of truth; this is a copy kept in memory, built from
``store.all_vectors(model_id)`` and kept in step by following ``vec_log``
(core/store/vec_log.py: a cheap ``MAX(seq)`` check before every search).

Two engines, chosen by size:

- below ``ANN_THRESHOLD`` vectors: exact search, one float32 matrix product in numpy
  (5k-50k vectors take well under 10 ms and the answer is exact);
- from ``ANN_THRESHOLD`` up: a usearch HNSW graph over int8-quantized vectors finds
  candidates (k + 40; 4 per wanted result under a filter), which are re-scored with the store's
  float vectors (point lookups through SQLite's memory map), so the order and the scores
  are exact among the candidates. usearch was
  chosen over faiss for its int8 graph (about 0.8 GiB projected at 1M x 384, against
  1.5 GiB for float32 exact or HNSW-flat) and its add/remove by key, which keeping in
  step with the store needs; bench/bench_search.py measures it beside numpy exact and
  sqlite-vec brute force (faiss is not in that comparison).

Filters: the caller passes the allowed chunk ids. Exact search scores only those rows;
the ANN over-fetches in proportion to how few ids are allowed and post-filters, falling
back to exact search over the allowed subset when too few survive.

The ANN graph may be saved next to the library (``<library>.m<ID>.usearch`` plus a
small JSON with the ``seq`` it reflects) so that a large library starts fast: it is
opened memory-mapped (usearch ``view``: no load, only the pages a search touches; a
first change loads it into memory) and saved again only when it changed. On opening
it is checked against the store (the log still covers its ``seq``, the model and the
vector count agree after catching up) and rebuilt otherwise.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.store import count_vectors, vec_table
from core.store.vec_log import VecChanges, VecLogFollower, log_bounds

ANN_THRESHOLD = 50_000       # below this many vectors: exact numpy search
ANN_CONNECTIVITY = 16
ANN_EXPANSION_ADD = 64
ANN_EXPANSION_SEARCH = 160   # search breadth up to 80k vectors; it grows with the graph:
ANN_EXPANSION_PER_VECTOR = 1 / 500   # 2,000 at 1M (recall@10 0.983 at 9.9 ms, against
                                     # 0.788 at 160; measured with bench/bench_search.py)
ANN_OVERFETCH = 4            # HNSW candidates per wanted result under a filter
ANN_RESCORE_EXTRA = 40       # unfiltered: k + this many candidates, re-scored exactly
                             # (each is a ~27 us point lookup: k=100 for hybrid search
                             # took 11 ms with 4k candidates, 4 ms with k + 40)
EXACT_SUBSET_MAX = 20_000    # a filter this narrow is searched exactly, without the graph
MINE_BREADTH = 256           # search breadth when mining asks for a passage's neighbours (near-pair
                             # recall at 200k passages: 0.966 at 128, 0.977 at 256; bench-archive)


@dataclass
class Hits:
    ids: np.ndarray      # int64 chunk ids, best first
    scores: np.ndarray   # float32 cosine similarity


def expansion_for(n: int) -> int:
    """HNSW search breadth for a graph of n vectors: recall falls as the graph grows at a
    fixed breadth (0.99 at 100k but 0.79 at 1M with 160), so it scales with n."""
    return max(ANN_EXPANSION_SEARCH, int(n * ANN_EXPANSION_PER_VECTOR))


def _normalize(mat: np.ndarray) -> np.ndarray:
    mat = np.ascontiguousarray(mat, dtype=np.float32)
    norms = np.linalg.norm(mat, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    return mat / norms


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest scores, best first."""
    k = min(k, scores.shape[0])
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < scores.shape[0]:
        part = np.argpartition(-scores, k - 1)[:k]
    else:
        part = np.arange(scores.shape[0])
    return part[np.argsort(-scores[part], kind="stable")]


class _ExactMatrix:
    """A growable float32 matrix with swap-remove deletes and an id -> row map."""

    def __init__(self, dim: int, ids: np.ndarray | None = None, mat: np.ndarray | None = None):
        self.dim = dim
        n = 0 if ids is None else len(ids)
        self.mat = np.zeros((max(n, 1024), dim), dtype=np.float32)
        self.ids = np.zeros(max(n, 1024), dtype=np.int64)
        self.n = 0
        self.row: dict[int, int] = {}
        if n:
            if ids is None or mat is None:   # n > 0 only with ids; they come with their vectors
                raise ValueError("_ExactMatrix: ids given without their vectors")
            self.mat[:n] = _normalize(mat)
            self.ids[:n] = ids
            self.n = n
            self.row = {int(c): i for i, c in enumerate(ids)}

    def upsert(self, cid: int, vec: np.ndarray) -> None:
        r = self.row.get(cid)
        if r is None:
            if self.n == len(self.ids):
                grow = max(1024, self.n)
                self.mat = np.vstack([self.mat, np.zeros((grow, self.dim), np.float32)])
                self.ids = np.concatenate([self.ids, np.zeros(grow, np.int64)])
            r = self.n
            self.n += 1
            self.row[cid] = r
            self.ids[r] = cid
        self.mat[r] = vec

    def remove(self, cid: int) -> None:
        r = self.row.pop(cid, None)
        if r is None:
            return
        last = self.n - 1
        if r != last:
            moved = int(self.ids[last])
            self.mat[r] = self.mat[last]
            self.ids[r] = moved
            self.row[moved] = r
        self.n = last

    def search(self, q: np.ndarray, k: int, allowed: np.ndarray | None) -> Hits:
        ids = self.ids[: self.n]
        mat = self.mat[: self.n]
        if allowed is not None:
            rows = np.nonzero(np.isin(ids, allowed))[0]
            ids, mat = ids[rows], mat[rows]
        if len(ids) == 0:
            return Hits(np.zeros(0, np.int64), np.zeros(0, np.float32))
        scores = mat @ q
        order = top_k(scores, k)
        return Hits(ids[order].copy(), scores[order].astype(np.float32))


class _Ann:
    """usearch HNSW over int8 vectors; candidates are re-scored with float vectors."""

    def __init__(self, dim: int, index: Any = None, viewed: Path | None = None) -> None:
        from usearch.index import Index

        self.dim = dim
        # a graph opened from its file as a memory map (read-only, costs no load time
        # and only the pages a search touches); the first change loads it into memory
        self.viewed = viewed
        # Any: usearch's Index declares its expansion_search setter in a way mypy reads
        # as a read-only property (candidates() sets it).
        self.index: Any = index or Index(
            ndim=dim, metric="cos", dtype="i8", connectivity=ANN_CONNECTIVITY,
            expansion_add=ANN_EXPANSION_ADD, expansion_search=ANN_EXPANSION_SEARCH,
        )

    def __len__(self) -> int:
        return len(self.index)

    def _writable(self) -> None:
        if self.viewed is not None:
            from usearch.index import Index

            self.index = Index.restore(str(self.viewed), view=False)
            self.viewed = None

    def add(self, ids: np.ndarray, mat: np.ndarray) -> None:
        if len(ids):
            self._writable()
            self.index.add(np.asarray(ids, dtype=np.uint64), _normalize(mat), threads=0)

    def remove(self, ids: list[int]) -> None:
        present = [i for i in ids if self.index.contains(i)]
        if present:
            self._writable()
            self.index.remove(np.asarray(present, dtype=np.uint64))

    def candidates(self, q: np.ndarray, count: int) -> np.ndarray:
        count = min(count, len(self.index))
        if count <= 0:
            return np.zeros(0, np.int64)
        self.index.expansion_search = max(expansion_for(len(self.index)), count)
        found = self.index.search(q, count)
        return np.asarray(found.keys, dtype=np.int64)

    def neighbours(self, mat: np.ndarray, count: int, breadth: int) -> np.ndarray:
        """The ``count`` nearest keys of each row of ``mat`` ([rows, count], -1 where the
        graph gives fewer), one batched search over all cores at search breadth ``breadth``."""
        count = min(count, len(self.index))
        if count <= 0 or not len(mat):
            return np.full((len(mat), max(count, 0)), -1, np.int64)
        self.index.expansion_search = max(breadth, count)
        found = self.index.search(_normalize(mat), count, threads=0)
        out = np.full((len(mat), count), -1, np.int64)
        if not hasattr(found, "counts"):     # one row asked: usearch answers with its matches only
            keys = np.asarray(found.keys, dtype=np.int64).reshape(-1)[:count]
            out[0, : keys.size] = keys
            return out
        keys = np.asarray(found.keys, dtype=np.int64).reshape(len(mat), -1)[:, :count]
        counts = np.asarray(found.counts, dtype=np.int64).reshape(-1)
        valid = np.arange(keys.shape[1])[None, :] < counts[:, None]
        out[:, : keys.shape[1]][valid] = keys[valid]
        return out

    def memory_bytes(self) -> int:
        return int(self.index.memory_usage)


class Accelerator:
    """KNN over one model version's vectors, kept in step with the store.

    Safe to call from several threads: searches run under a shared snapshot of the
    state; catching up with the log and rebuilding happen under a lock.
    """

    def __init__(
        self,
        store: Any,
        model_id: int,
        ann_threshold: int = ANN_THRESHOLD,
        persist_path: Path | None = None,
    ) -> None:
        self.store = store
        self.model_id = int(model_id)
        self.ann_threshold = ann_threshold
        self.persist_path = persist_path
        self._lock = threading.RLock()
        self._log = VecLogFollower(self.model_id)   # where this copy stands in vec_log
        self._exact: _ExactMatrix | None = None
        self._ann: _Ann | None = None
        self._dim = 0
        self.rebuilds = 0              # how many full builds happened (tests, diagnostics)
        self._saved_seq = -1           # the log seq of the graph on disk (nothing to save if equal)

    # -- keeping in step ---------------------------------------------------------
    def sync(self) -> None:
        """Catch up with the store: apply new log rows, or rebuild when that is not
        possible (never built, or the log was pruned past what we have seen)."""
        conn = self.store.reader()
        if self._log.up_to_date(conn):
            return
        with self._lock:
            with conn:  # one read snapshot for the log and the vectors it points at
                changes = self._log.changes(conn)
                if changes is None:
                    return
                if changes.reload:
                    lo, hi = log_bounds(conn)
                    if not self._load_saved(conn, lo, hi):
                        self._rebuild(conn, hi)
                    return
                self._apply(conn, changes)

    def _rebuild(self, conn: Any, hi: int) -> None:
        self._exact = None
        self._ann = None
        self._dim = self._model_dim(conn)
        if self._count(conn) >= self.ann_threshold:
            # Streamed in blocks: a million vectors never sit in memory as float32.
            for ids, mat in self._blocks(conn):
                if self._ann is None:
                    self._dim = mat.shape[1]
                    self._ann = _Ann(self._dim)
                self._ann.add(ids, mat)
        else:
            blocks = list(self._blocks(conn))
            if blocks:
                ids = np.concatenate([b[0] for b in blocks])
                mat = np.concatenate([b[1] for b in blocks])
                self._dim = mat.shape[1]
                self._exact = _ExactMatrix(self._dim, ids, mat)
        self._log.advance(hi)
        self.rebuilds += 1

    def _count(self, conn: Any) -> int:
        if not self._table_exists(conn):
            return 0
        return count_vectors(conn, self.model_id)

    def _table_exists(self, conn: Any) -> bool:
        row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (vec_table(self.model_id),)).fetchone()
        return row is not None

    def _blocks(self, conn: Any, size: int = 50_000):
        """(ids, float32 matrix) blocks of every vector of the model."""
        if not self._table_exists(conn):
            return
        ids: list[int] = []
        blobs: list[bytes] = []
        for cid, blob in conn.execute(f"SELECT chunk_id, embedding FROM {vec_table(self.model_id)}"):
            ids.append(cid)
            blobs.append(blob)
            if len(ids) == size:
                yield _block(ids, blobs)
                ids, blobs = [], []
        if ids:
            yield _block(ids, blobs)

    def _model_dim(self, conn: Any) -> int:
        row = conn.execute("SELECT dim FROM models WHERE id = ?", (self.model_id,)).fetchone()
        return int(row[0]) if row else 0

    def _apply(self, conn: Any, changes: VecChanges) -> None:
        found = self._fetch(conn, changes.added)
        dels = changes.removed + [c for c in changes.added if c not in found]
        if dels:
            self._remove(dels)
        if found:
            self._add(found)
        self._log.advance(changes.upto)
        self._maybe_switch_engine()

    def _fetch(self, conn: Any, chunk_ids: list[int]) -> dict[int, np.ndarray]:
        return self.store.read_vectors(self.model_id, chunk_ids, conn)

    def _remove(self, ids: list[int]) -> None:
        if self._exact is not None:
            for c in ids:
                self._exact.remove(c)
        if self._ann is not None:
            self._ann.remove(ids)

    def _add(self, found: dict[int, np.ndarray]) -> None:
        ids = np.asarray(list(found), dtype=np.int64)
        mat = _normalize(np.stack(list(found.values())))
        if not self._dim:
            self._dim = mat.shape[1]
        if self._exact is None and self._ann is None:
            self._exact = _ExactMatrix(self._dim)
        if self._exact is not None:
            for i, c in enumerate(ids):
                self._exact.upsert(int(c), mat[i])
        if self._ann is not None:
            self._ann.remove([int(c) for c in ids])
            self._ann.add(ids, mat)

    def _maybe_switch_engine(self) -> None:
        """Grew past the threshold: build the graph (from the exact matrix we hold)."""
        if self._exact is not None and self._exact.n >= self.ann_threshold:
            ann = _Ann(self._dim)
            ann.add(self._exact.ids[: self._exact.n], self._exact.mat[: self._exact.n])
            self._ann, self._exact = ann, None

    # -- searching ---------------------------------------------------------------
    def __len__(self) -> int:
        if self._ann is not None:
            return len(self._ann)
        return self._exact.n if self._exact is not None else 0

    @property
    def uses_ann(self) -> bool:
        return self._ann is not None

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> Hits:
        """The k nearest vectors (cosine), restricted to ``allowed`` chunk ids if given."""
        self.sync()
        q = _normalize(np.asarray(query, dtype=np.float32).reshape(-1))
        with self._lock:
            exact, ann = self._exact, self._ann
            if exact is not None:
                return exact.search(q, k, allowed)
            if ann is None or k <= 0:
                return Hits(np.zeros(0, np.int64), np.zeros(0, np.float32))
            return self._search_ann(ann, q, k, allowed)

    def neighbours(self, mat: np.ndarray, count: int, breadth: int = MINE_BREADTH) -> np.ndarray:
        """Chunk ids of the ``count`` nearest vectors to each row of ``mat`` ([rows, count],
        -1 past the end), for mining (core/dupes/graph_mine.py): through the graph when
        there is one (candidates only: the caller scores them), else exact."""
        self.sync()
        mat = np.asarray(mat, dtype=np.float32).reshape(len(mat), -1)
        with self._lock:
            if self._ann is not None:
                return self._ann.neighbours(mat, count, breadth)
            out = np.full((len(mat), count), -1, np.int64)
            exact = self._exact
            if exact is None or exact.n == 0 or count <= 0:
                return out
            ids, base = exact.ids[: exact.n], exact.mat[: exact.n]
            for s in range(0, len(mat), 256):
                q = _normalize(mat[s : s + 256])
                scores = q @ base.T
                for i, row in enumerate(scores):
                    best = ids[top_k(row, count)]
                    out[s + i, : best.size] = best
            return out

    def _search_ann(self, ann: _Ann, q: np.ndarray, k: int, allowed: np.ndarray | None) -> Hits:
        n = len(ann)
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=np.int64)
            if len(allowed) <= EXACT_SUBSET_MAX or len(allowed) * 50 < n:
                return self._exact_subset(q, k, allowed)
            fraction = len(allowed) / max(n, 1)
            cand = ann.candidates(q, int(k * ANN_OVERFETCH / fraction) + k)
            cand = cand[np.isin(cand, allowed)]
            if len(cand) < k:
                return self._exact_subset(q, k, allowed)
            return self._rescore(q, cand, k)
        # The graph ranks by int8 cosines, too coarse to order near-equal neighbours
        # (recall@10 0.917 at 100k); re-scoring its best candidates with the store's float
        # vectors gives 0.988 for about 1 ms of point lookups.
        return self._rescore(q, ann.candidates(q, k + ANN_RESCORE_EXTRA), k)

    def _rescore(self, q: np.ndarray, cand: np.ndarray, k: int) -> Hits:
        found = self._fetch(self.store.reader(), [int(c) for c in cand])
        ids = np.asarray([c for c in cand if int(c) in found], dtype=np.int64)
        if len(ids) == 0:
            return Hits(np.zeros(0, np.int64), np.zeros(0, np.float32))
        mat = _normalize(np.stack([found[int(c)] for c in ids]))
        scores = mat @ q
        order = top_k(scores, k)
        return Hits(ids[order], scores[order].astype(np.float32))

    def _exact_subset(self, q: np.ndarray, k: int, allowed: np.ndarray) -> Hits:
        found = self._fetch(self.store.reader(), [int(c) for c in allowed])
        if not found:
            return Hits(np.zeros(0, np.int64), np.zeros(0, np.float32))
        ids = np.asarray(list(found), dtype=np.int64)
        mat = _normalize(np.stack(list(found.values())))
        scores = mat @ q
        order = top_k(scores, k)
        return Hits(ids[order], scores[order].astype(np.float32))

    def vectors(self, chunk_ids: list[int]) -> dict[int, np.ndarray]:
        """Normalized float vectors of these chunks (from the store)."""
        found = self._fetch(self.store.reader(), [int(c) for c in chunk_ids])
        return {c: v / (np.linalg.norm(v) or 1.0) for c, v in found.items()}

    def memory_bytes(self) -> int:
        if self._ann is not None:
            return self._ann.memory_bytes()
        if self._exact is not None:
            return int(self._exact.mat.nbytes + self._exact.ids.nbytes)
        return 0

    # -- saving the graph next to the library ----------------------------------------
    def save(self) -> bool:
        """Write the ANN graph to ``persist_path`` (nothing to save for exact search)."""
        if self.persist_path is None or self._ann is None or self._saved_seq == self._log.seq:
            return False
        with self._lock:
            tmp = self.persist_path.with_suffix(".tmp")
            self._ann.index.save(str(tmp))
            os.replace(tmp, self.persist_path)
            meta = {"seq": self._log.seq, "model_id": self.model_id, "dim": self._dim,
                    "count": len(self._ann)}
            _meta_path(self.persist_path).write_text(json.dumps(meta), encoding="utf-8")
            self._saved_seq = self._log.seq
        return True

    def _load_saved(self, conn: Any, lo: int, hi: int) -> bool:
        """Use a saved graph if it is of this model, the log still covers everything
        after its seq, and after catching up its size equals the store's count."""
        path = self.persist_path
        if path is None or not path.exists() or not _meta_path(path).exists():
            return False
        try:
            meta = json.loads(_meta_path(path).read_text(encoding="utf-8"))
            seq, dim = int(meta["seq"]), int(meta["dim"])
            if meta["model_id"] != self.model_id or seq > hi or (lo > seq + 1 and lo > 1):
                return False
            from usearch.index import Index

            index = Index.restore(str(path), view=True)
            if index is None or index.ndim != dim:
                return False
        except (OSError, ValueError, KeyError, RuntimeError):
            return False
        self._ann, self._exact, self._dim = _Ann(dim, index, viewed=path), None, dim
        self._log.advance(seq)
        self._saved_seq = seq
        changes = self._log.changes(conn)
        if changes is not None and not changes.reload:
            self._apply(conn, changes)
        if (changes is not None and changes.reload) or self._count(conn) != len(self._ann):
            self._ann = None
            self._log.reset()
            self._saved_seq = -1
            return False
        return True


def _block(ids: list[int], blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    mat = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), -1)
    return np.asarray(ids, dtype=np.int64), mat


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")
