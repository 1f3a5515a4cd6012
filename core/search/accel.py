"""The in-memory accelerator for vector search (KNN over one model version's vectors).

The store (sqlite-vec) is the source of truth; this is a copy kept in memory, built from
``store.all_vectors(model_id)`` and kept in step by following ``vec_log``
(core/store/vec_log.py: a cheap ``MAX(seq)`` check before every search).

Two engines, chosen by size:

- below ``ANN_THRESHOLD`` vectors: exact search, one float32 matrix product in numpy
  (5k-50k vectors take well under 10 ms and the answer is exact);
- from ``ANN_THRESHOLD`` up: a usearch HNSW graph over int8-quantized vectors finds
  candidates (k + 40; 4 per wanted result under a filter), which are re-scored with the store's
  float vectors (point lookups, ~250 us each through the OS file cache), so the order and the scores
  are exact among the candidates. usearch was
  chosen over faiss for its int8 graph (about 0.8 GiB projected at 1M x 384, against
  1.5 GiB for float32 exact or HNSW-flat) and its add/remove by key, which keeping in
  step with the store needs; bench/bench_search.py measures it beside numpy exact and
  sqlite-vec brute force (faiss is not in that comparison).

Filters: the caller passes the allowed chunk ids. Exact search scores only those rows;
the ANN over-fetches in proportion to how few ids are allowed and post-filters, falling
back to exact search over the allowed subset when too few survive.

The ANN graph is saved next to the library (``<library>.m<ID>.usearch`` plus a JSON
that describes it: core/search/graph_file.py writes both crash-safely and refuses a file
that is not exactly what its JSON says) by the indexing run (core/search/graph_keeper.py)
and when the library closes, so that a large library starts fast: it is opened
memory-mapped (usearch ``view``: no load, only the pages a search touches; a first change
loads it into memory) and saved again only when it changed. On opening it is caught up
and checked against the store (the log still covers its ``seq``, the vector count agrees,
the newest passages are in it) and rebuilt otherwise. A build (or an opening that
catches up) is made aside and swapped in: searches meanwhile use the previous engine, or
scan the store's vectors exactly when there is none, and never wait for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.search.graph_file import GraphMeta, model_key, read_graph, write_graph
from core.store import count_vectors, vec_table
from core.store.vec_log import VecChanges, VecLogFollower, log_bounds

ANN_THRESHOLD = 50_000       # below this many vectors: exact numpy search
ANN_CONNECTIVITY = 16
ANN_EXPANSION_ADD = 128      # insertion breadth: at 64 a few planted near-copy pairs (mutual nearest,
                             # far from all else) were linked to neither side; a build costs about 2x
                             # the CPU of 64 (4.2 s against 8.8 s at 60k). Mining once asked this graph
                             # and no longer does (core/dupes/cell_mine.py); the search's figures at
                             # 1M were measured on graphs built at 128, so it stays
ANN_EXPANSION_SEARCH = 160   # search breadth up to 80k vectors; it grows with the graph:
ANN_EXPANSION_PER_VECTOR = 1 / 500   # 2,000 at 1M (recall@10 0.983 at 9.9 ms, against
                                     # 0.788 at 160; measured with bench/bench_search.py)
ANN_OVERFETCH = 4            # HNSW candidates per wanted result under a filter
ANN_RESCORE_EXTRA = 40       # unfiltered: k + this many candidates, re-scored exactly
                             # (each is a ~27 us point lookup: k=100 for hybrid search
                             # took 11 ms with 4k candidates, 4 ms with k + 40)
EXACT_SUBSET_MAX = 20_000    # a filter this narrow is searched exactly, without the graph


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

    def memory_bytes(self) -> int:
        return int(self.index.memory_usage)


class Accelerator:
    """KNN over one model version's vectors, kept in step with the store.

    Safe to call from several threads: searches run under a shared snapshot of the
    state; catching up with the log happens under a lock. A full build (or opening the
    saved graph and catching it up) is done aside and put in place when ready: a search
    meanwhile answers from the previous engine, or by an exact scan of the store when
    there is none, and never waits for the build.
    """

    def __init__(
        self,
        store: Any,
        model_id: int,
        ann_threshold: int | None = None,
        persist_path: Path | None = None,
    ) -> None:
        self.store = store
        self.model_id = int(model_id)
        self.ann_threshold = ANN_THRESHOLD if ann_threshold is None else ann_threshold
        self.persist_path = persist_path
        self._lock = threading.RLock()       # the engines a search reads
        self._build_lock = threading.Lock()  # one thread catches up or builds at a time
        self.building = False                # a full build is under way (searches do not wait)
        self._log = VecLogFollower(self.model_id)   # where this copy stands in vec_log
        self._exact: _ExactMatrix | None = None
        self._ann: _Ann | None = None
        self._dim = 0
        self.rebuilds = 0              # full builds from the store (tests, diagnostics)
        self.opened = 0                # graphs opened from their saved file
        self.scans = 0                 # searches answered by scanning the store during a build
        self._saved_seq = -1           # the log seq of the graph on disk (nothing to save if equal)
        self.saved_count = 0           # vectors in the graph on disk

    # -- keeping in step ---------------------------------------------------------
    def sync(self, wait: bool = True) -> None:
        """Catch up with the store: apply new log rows, or rebuild when that is not
        possible (never built, or the log was pruned past what we have seen). With
        ``wait=False`` it returns at once when another thread is catching up."""
        conn = self.store.reader()
        if self._log.up_to_date(conn):
            return
        if not self._build_lock.acquire(blocking=wait):
            return
        try:
            with conn:  # one read snapshot for the log and the vectors it points at
                changes = self._log.changes(conn)
                if changes is None:
                    return
                if changes.reload:
                    self._reload(conn)
                    return
                with self._lock:
                    self._exact, self._ann, self._dim = self._apply(conn, changes, self._exact, self._ann, self._dim)
                    self._log.advance(changes.upto)
            self._maybe_switch_engine()
        finally:
            self._build_lock.release()

    def _reload(self, conn: Any) -> None:
        """Open the saved graph (caught up) or build anew, aside; then put it in place."""
        lo, hi = log_bounds(conn)
        self.building = True
        try:
            opened = self._open_saved(conn, lo, hi)
            exact: _ExactMatrix | None = None
            ann: _Ann | None = None
            if opened is not None:
                ann, dim, seq = opened
                self.opened += 1
            else:
                exact, ann, dim = self._build(conn)
                seq = hi
                self.rebuilds += 1
            with self._lock:
                self._exact, self._ann, self._dim = exact, ann, dim
                self._log.advance(seq)
        finally:
            self.building = False

    def _build(self, conn: Any) -> tuple[_ExactMatrix | None, _Ann | None, int]:
        dim = self._model_dim(conn)
        ann: _Ann | None = None
        if self._count(conn) >= self.ann_threshold:
            # Streamed in blocks: a million vectors never sit in memory as float32.
            for ids, mat in self._blocks(conn):
                if ann is None:
                    dim = mat.shape[1]
                    ann = _Ann(dim)
                ann.add(ids, mat)
            return None, ann, dim
        blocks = list(self._blocks(conn))
        if not blocks:
            return None, None, dim
        ids = np.concatenate([b[0] for b in blocks])
        mat = np.concatenate([b[1] for b in blocks])
        return _ExactMatrix(mat.shape[1], ids, mat), None, mat.shape[1]

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

    def _apply(
        self, conn: Any, changes: VecChanges, exact: _ExactMatrix | None, ann: _Ann | None, dim: int,
    ) -> tuple[_ExactMatrix | None, _Ann | None, int]:
        found = self._fetch(conn, changes.added)
        dels = changes.removed + [c for c in changes.added if c not in found]
        if dels:
            if exact is not None:
                for c in dels:
                    exact.remove(c)
            if ann is not None:
                ann.remove(dels)
        if not found:
            return exact, ann, dim
        ids = np.asarray(list(found), dtype=np.int64)
        mat = _normalize(np.stack(list(found.values())))
        dim = dim or mat.shape[1]
        if exact is None and ann is None:
            exact = _ExactMatrix(dim)
        if exact is not None:
            for i, c in enumerate(ids):
                exact.upsert(int(c), mat[i])
        if ann is not None:
            ann.remove([int(c) for c in ids])
            ann.add(ids, mat)
        return exact, ann, dim

    def _fetch(self, conn: Any, chunk_ids: list[int]) -> dict[int, np.ndarray]:
        return self.store.read_vectors(self.model_id, chunk_ids, conn)

    def _maybe_switch_engine(self) -> None:
        """Grew past the threshold: build the graph from the exact matrix we hold, aside
        (only this thread changes the matrix: it holds the build lock), then swap."""
        exact = self._exact
        if exact is not None and exact.n >= self.ann_threshold:
            self.building = True
            try:
                ann = _Ann(self._dim)
                ann.add(exact.ids[: exact.n], exact.mat[: exact.n])
                with self._lock:
                    self._ann, self._exact = ann, None
            finally:
                self.building = False

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
        self.sync(wait=not self.building)
        q = _normalize(np.asarray(query, dtype=np.float32).reshape(-1))
        with self._lock:
            exact, ann = self._exact, self._ann
        if exact is None and ann is None and self.building and k > 0:
            return self._scan_store(q, k, allowed)
        with self._lock:
            if exact is not None:
                return exact.search(q, k, allowed)
            if ann is None or k <= 0:
                return Hits(np.zeros(0, np.int64), np.zeros(0, np.float32))
            return self._search_ann(ann, q, k, allowed)

    def _scan_store(self, q: np.ndarray, k: int, allowed: np.ndarray | None) -> Hits:
        """Exact search streamed over the store's vectors (while the first engine is built)."""
        self.scans += 1
        best_ids, best_scores = np.zeros(0, np.int64), np.zeros(0, np.float32)
        conn = self.store.reader()
        with conn:
            for ids, mat in self._blocks(conn):
                if allowed is not None:
                    keep = np.isin(ids, allowed)
                    ids, mat = ids[keep], mat[keep]
                ids = np.concatenate([best_ids, ids])
                scores = np.concatenate([best_scores, _normalize(mat) @ q]) if len(mat) else best_scores
                order = top_k(scores, k)
                best_ids, best_scores = ids[order], scores[order].astype(np.float32)
        return Hits(best_ids, best_scores)

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
        """Write the ANN graph to ``persist_path`` (nothing to save for exact search, or
        when the file already holds this state). core/search/graph_file.py makes the write
        crash-safe."""
        if self.persist_path is None or self._ann is None or self._saved_seq == self._log.seq:
            return False
        with self._build_lock:   # no change while it is written; searches do not wait
            ann, seq = self._ann, self._log.seq
            if ann is None or self._saved_seq == seq:
                return False
            self.building = True
            try:
                key = self._graph_key(self.store.reader())
                write_graph(self.persist_path, ann.index, GraphMeta(seq, self.model_id, key, self._dim, len(ann)))
            finally:
                self.building = False
            self._saved_seq, self.saved_count = seq, len(ann)
        return True

    def _open_saved(self, conn: Any, lo: int, hi: int) -> tuple[_Ann, int, int] | None:
        """A saved graph, caught up with the store: used if it is exactly what its
        description says (core/search/graph_file.py), of this model, the log still
        covers everything after its seq, and after catching up it holds as many vectors
        as the store, among them the newest passages' (a stale or foreign graph never
        answers)."""
        path = self.persist_path
        if path is None:
            return None
        found = read_graph(path, self.model_id, self._graph_key(conn))
        if found is None:
            return None
        index, meta = found
        if meta.seq > hi or (lo > meta.seq + 1 and lo > 1):
            return None
        ann = _Ann(meta.dim, index, viewed=path)
        follower = VecLogFollower(self.model_id)
        follower.advance(meta.seq)
        changes = follower.changes(conn)
        if changes is not None:
            if changes.reload:
                return None
            self._apply(conn, changes, None, ann, meta.dim)
        if self._count(conn) != len(ann) or not self._holds_newest(conn, ann):
            return None
        self._saved_seq, self.saved_count = meta.seq, meta.count
        return ann, meta.dim, hi

    def _graph_key(self, conn: Any) -> str:
        """The model's fingerprint and how the graph is built: a graph saved by a build
        with other settings is made again, once."""
        return f"{model_key(conn, self.model_id)}/c{ANN_CONNECTIVITY}/e{ANN_EXPANSION_ADD}"

    def _holds_newest(self, conn: Any, ann: _Ann, sample: int = 64) -> bool:
        """The newest passages that have a vector are all in the graph."""
        newest = [int(r[0]) for r in conn.execute("SELECT id FROM chunks ORDER BY id DESC LIMIT ?", (sample,))]
        return all(ann.index.contains(c) for c in self._fetch(conn, newest))


def _block(ids: list[int], blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    mat = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), -1)
    return np.asarray(ids, dtype=np.int64), mat
