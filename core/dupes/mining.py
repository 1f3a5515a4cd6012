"""Mining similar paragraphs: the pairs and clusters of the ``dupes_*`` tables.

Mining compares every passage with every other under the active model, in blocks
(core/dupes/mine.py), keeps pairs above the related threshold, classifies them exact /
near / related, and gathers exact and near pairs into clusters (core/dupes/cluster.py).
Results live in the library (migration 0003) per model version. Indexing only marks
work: a passage without a "mined" row is mined by the next ``mine_duplicates`` call,
against the whole library.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np

from core import faults
from core.cancel import CancelToken
from core.catalog import Catalog
from core.changes import SIMILAR, reads, writes
from core.dupes import cell_mine, engine
from core.dupes.cluster import cluster_groups
from core.dupes.mine import MAX_PER_ROW, Hits, _cap_rows, all_pairs, query_pairs
from core.dupes.normalize import TRIVIAL, mining_hash
from core.dupes.passage_meta import PassageMeta
from core.dupes.types import (
    EXACT,
    NEAR,
    MiningProgress,
    MiningReport,
)
from core.dupes.vector_rows import VectorRows, spare_rows
from core.errors import Cancelled, InvalidInputError
from core.events import DocumentDeleted, Events
from core.model_versions import ModelVersions
from core.store import Store, vec_table
from core.store.vec_log import VecChanges, VecLogFollower, log_bounds

# Default thresholds, measured with all-MiniLM-L6-v2 by bench/bench_dupes.py (calibration):
# near 0.85: MRPC train (4,076 pairs) paraphrases have median cosine 0.856 against 0.723
#   for non-paraphrases; at 0.85 precision is 0.84 (recall 0.52), on STSb dev pairs scored
#   >= 3 precision 0.93: above it a pair is almost always the same statement reworded.
# related 0.70: STSb dev's best split between pairs scored >= 3 and < 3 lies at 0.66
#   (accuracy 0.835); at 0.70 precision 0.81, recall 0.77 (MRPC paraphrase recall 0.87).
DEFAULT_NEAR = 0.85
DEFAULT_RELATED = 0.70

ProgressFn = Callable[[MiningProgress], None]

_VEC_RELOAD_FRACTION = 0.2   # more changes than this since the cache -> read all vectors again
CELL_MIN_GROUPS = 50_000     # from this many distinct paragraphs, mine cell by cell (core/dupes/cell_mine.py)
# From this many vectors mining keeps its copy in half precision (0.8 GB at 1M x 384, not
# 1.5): candidates are kept down to HALF_MARGIN under the threshold (float16 cosines are
# within 0.002 of the float32 ones) and the pairs kept are scored again from the store.
HALF_FROM = 200_000
HALF_MARGIN = 0.01
OVERLAP_PAIRS = 4_000        # pairs whose word overlap is computed together
RESCORE_PAIRS = 50_000       # half-precision pairs scored again from the store together
NORM_BATCH = 20_000          # passages hashed per read and write when filling normalized-text hashes
NORM_DOCS = 2_000            # more documents than this: hashes filled by a scan, not by their ids


def _cluster_key(text_hashes: list[str]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for t in sorted(set(text_hashes)):
        h.update(t.encode("ascii"))
    return f"cluster:{h.hexdigest()}"


def _reaching(edges: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Which of ``edges`` ([k, 2] group ids) lie in a connected component holding one of
    ``seeds``: reached outwards from the seeds, one step per round."""
    mask = np.zeros(len(edges), bool)
    reached = seeds
    while reached.size:
        hit = np.isin(edges[:, 0], reached) | np.isin(edges[:, 1], reached)
        new = hit & ~mask
        if not new.any():
            break
        mask |= new
        reached = np.setdiff1d(np.unique(edges[new]), reached)
    return mask


class Miner:
    """Writes the dupes_* tables: mining, its marks, normalized hashes and clusters."""

    def __init__(
        self, store: Store, versions: ModelVersions, catalog: Catalog, events: Events,
    ) -> None:
        self.store = store
        self.events = events
        # from ``cell_min_groups`` distinct paragraphs up, mining compares each only with
        # the paragraphs of the cells nearest to it (or, when few are asked, with all)
        self.cell_min_groups = CELL_MIN_GROUPS
        self.half_from = HALF_FROM
        self.versions = versions
        self.catalog = catalog
        self._dupes_lock = threading.RLock()
        # model id -> (its vec_log follower, chunk ids, vectors): mining's copy of the vectors
        self._vectors: dict[int, tuple[VecLogFollower, VectorRows]] = {}
        self._meta = PassageMeta()      # each passage's document, place and text hash, by chunk id
        events.documents_indexed.subscribe(self._after_documents_indexed)
        events.document_deleted.subscribe(self._on_document_deleted)

    @writes(long=True)
    def close(self) -> None:
        self._vectors.clear()
        self._meta.clear()

    # -- settings ---------------------------------------------------------------------
    @reads
    def duplicate_thresholds(self) -> tuple[float, float]:
        """(near, related) used by the last mining under the active model (or defaults)."""
        row = self.store.query_one(
            "SELECT near, related FROM dupes_state WHERE model_id = ?", (self.versions.active_model_id(),)
        )
        return (float(row[0]), float(row[1])) if row else (DEFAULT_NEAR, DEFAULT_RELATED)

    @reads
    def duplicates_pending(self) -> int:
        """Passages with a vector under the active model that mining has not seen yet:
        counts, not a join over every vector (the window asks at each refresh).
        Fragments (a TRIVIAL normalized hash) are never compared, so they never wait."""
        model_id = self.versions.active_model_id()
        if not self.store.vec_table_exists(model_id):
            return 0
        mined = self.store.count("SELECT COUNT(*) FROM dupes_mined WHERE model_id = ?", (model_id,))
        trivial = self.store.count(
            f"SELECT COUNT(*) FROM dupes_norm n JOIN {vec_table(model_id)} v ON v.chunk_id = n.chunk_id "
            "WHERE n.norm_hash = ? AND NOT EXISTS (SELECT 1 FROM dupes_mined m "
            "WHERE m.model_id = ? AND m.chunk_id = n.chunk_id)", (TRIVIAL, model_id))
        return max(0, self.store.vector_count(model_id) - mined - trivial)

    # -- hooks from the rest of the library ----------------------------------------------
    def _after_documents_indexed(self, doc_ids: list[int]) -> None:
        """New or changed documents: their passages have no "mined" row, so the next
        mining takes them; here only their normalized-text hashes are computed (cheap)."""
        with self._dupes_lock:
            self._fill_norm_hashes(doc_ids)

    def _on_document_deleted(self, deleted: DocumentDeleted) -> None:
        """Inside the write that deletes a document: its pairs, cluster places and marks
        go (the pair trigger makes its partners be mined again)."""
        conn, doc_id = deleted.conn, deleted.document_id
        sub = "(SELECT id FROM chunks WHERE document_id = ?)"
        conn.execute(f"DELETE FROM dupes_pairs WHERE chunk_a IN {sub} OR chunk_b IN {sub}", (doc_id, doc_id))
        conn.execute(f"DELETE FROM dupes_members WHERE chunk_id IN {sub}", (doc_id,))
        conn.execute(f"DELETE FROM dupes_mined WHERE chunk_id IN {sub}", (doc_id,))
        conn.execute(f"DELETE FROM dupes_norm WHERE chunk_id IN {sub}", (doc_id,))

    # -- mining ---------------------------------------------------------------------------
    @writes(SIMILAR, long=True)
    def mine_duplicates(
        self,
        near: float | None = None,
        related: float | None = None,
        same_document: bool = False,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        full: bool = False,
    ) -> MiningReport:
        """Find similar passage pairs and clusters under the active model.

        Only passages not mined yet are compared (with the whole library) unless ``full``
        or the related threshold or ``same_document`` changed since the last mining; a
        new near threshold only reclassifies. Thresholds left None keep the last ones."""
        with self._dupes_lock:
            started = time.monotonic()
            model_id = self.versions.active_model_id()
            near, related = self._thresholds(near, related)
            report = MiningReport(model_id=model_id, near_threshold=near, related_threshold=related)
            try:
                self._mine(model_id, near, related, same_document, full, progress, cancel, report)
            except Cancelled:
                report.cancelled = True
            report.seconds = time.monotonic() - started
            if progress:
                progress(MiningProgress("cancelled" if report.cancelled else "done",
                                        report.mined, report.mined))
            return report

    def _thresholds(self, near: float | None, related: float | None) -> tuple[float, float]:
        last_near, last_related = self.duplicate_thresholds()
        near = last_near if near is None else float(near)
        related = last_related if related is None else float(related)
        if not (0.0 < related <= 1.0 and 0.0 < near <= 1.0):
            raise InvalidInputError("similarity thresholds must lie in (0, 1]")
        if related > near:
            raise InvalidInputError(
                f"the related threshold ({related}) cannot be above the near threshold ({near})"
            )
        return near, related

    def _mine(
        self, model_id: int, near: float, related: float, same_document: bool, full: bool,
        progress: ProgressFn | None, cancel: CancelToken | None, report: MiningReport,
    ) -> None:
        def emit(phase: str, done: int = 0, total: int = 0) -> None:
            if progress:
                progress(MiningProgress(phase, done, total))

        emit("loading")
        state = self.store.query_one(
            "SELECT near, related, same_document FROM dupes_state WHERE model_id = ?", (model_id,)
        )
        if state is None or abs(state[1] - related) > 1e-9 or bool(state[2]) != same_document:
            full = True
        self._fill_norm_hashes(None)
        # the clusters stand for the pairs as they are now: then only what this mining
        # links needs clustering again (else, after a deletion or a new threshold, all)
        current = self._clusters_current(model_id)
        corpus = self._corpus(model_id)
        report.passages = corpus.ids.size
        report.full = full
        if full:
            todo_rows = np.arange(corpus.ids.size)
        else:
            mined = np.array([r[0] for r in self.store.query(
                "SELECT chunk_id FROM dupes_mined WHERE model_id = ?", (model_id,))], dtype=np.int64)
            todo_rows = np.flatnonzero(~np.isin(corpus.ids, mined))
        report.mined = int(todo_rows.size)
        todo_groups = np.unique(corpus.group[todo_rows]) if todo_rows.size else np.zeros(0, np.int64)

        emit("exact", 0, int(todo_groups.size))
        exact = engine.exact_pairs(corpus, todo_groups, same_document)
        hits_i, hits_j, hits_s = [], [], []

        def tick(done: int, total: int) -> None:
            emit("mining", done, total)

        large = corpus.rep_rows.size >= self.cell_min_groups
        half = corpus.vectors.dtype != np.float32
        least = related - HALF_MARGIN if half else related
        if todo_groups.size:
            if large:
                blocks = self._large_pairs(corpus, todo_groups, least, report, cancel, tick)
            elif full:
                blocks = all_pairs(corpus.rep_vectors, least, cancel=cancel, progress=tick)
            else:
                blocks = query_pairs(corpus.rep_vectors, todo_groups, least, cancel=cancel, progress=tick)
            for gi, gj, sims in blocks:
                hits_i.append(gi)
                hits_j.append(gj)
                hits_s.append(sims)
        gi = np.concatenate(hits_i) if hits_i else np.zeros(0, np.int64)
        gj = np.concatenate(hits_j) if hits_j else np.zeros(0, np.int64)
        sims = np.concatenate(hits_s) if hits_s else np.zeros(0, np.float32)
        if large:   # a pair found from both of its sides is kept once
            gi, gj, sims = _cap_rows(gi, gj, sims, MAX_PER_ROW)
            gi, gj = np.minimum(gi, gj), np.maximum(gi, gj)
            _, first = np.unique(gi * max(1, corpus.rep_rows.size) + gj, return_index=True)
            gi, gj, sims = gi[first], gj[first], sims[first]
        idx, ra, rb = engine.group_pairs_to_rows(corpus, gi, gj, same_document)
        sims = sims[idx]
        if half:
            ra, rb, sims = self._rescored(model_id, corpus, ra, rb, related)
        if cancel is not None:
            cancel.raise_if_cancelled()
        emit("writing")
        self._write_pairs(model_id, corpus, exact, ra, rb, sims, near, todo_rows, full)
        with self.store.write() as conn:
            conn.execute(
                # only the pairs whose kind changes are written (a new threshold); writing
                # all of them cost 0.3 s of each incremental update at 100k passages
                "UPDATE dupes_pairs SET kind = CASE WHEN cosine >= ?1 AND overlap >= ?2 THEN 'near' "
                "ELSE 'related' END WHERE model_id = ?3 AND kind != 'exact' AND kind != "
                "CASE WHEN cosine >= ?1 AND overlap >= ?2 THEN 'near' ELSE 'related' END",
                (near, engine.NEAR_MIN_OVERLAP, model_id),
            )
            reclassified = conn.changes()
            conn.execute(
                "INSERT INTO dupes_state(model_id, near, related, same_document, mined_at) "
                "VALUES (?,?,?,?,?) ON CONFLICT(model_id) DO UPDATE SET near = excluded.near, "
                "related = excluded.related, same_document = excluded.same_document, "
                "mined_at = excluded.mined_at",
                (model_id, near, related, int(same_document), time.time()),
            )
        emit("clustering")
        if full or not current or reclassified:
            self._recluster(model_id, corpus, related)
        elif todo_rows.size:
            self._recluster(model_id, corpus, related, touched=todo_rows)
        report.clusters = self.store.count("SELECT COUNT(*) FROM dupes_clusters WHERE model_id = ?", (model_id,))
        for kind, n in self.store.query(
            "SELECT kind, COUNT(*) FROM dupes_pairs WHERE model_id = ? GROUP BY kind", (model_id,)
        ):
            setattr(report, f"pairs_{kind}", int(n))

    @staticmethod
    def _large_pairs(
        corpus: engine.Corpus, todo_groups: np.ndarray, least: float, report: MiningReport,
        cancel: CancelToken | None, tick: Callable[[int, int], None],
    ) -> Iterator[Hits]:
        """A large library's pairs: the few asked groups against all of them, or cell by cell."""
        if todo_groups.size * corpus.rep_rows.size <= cell_mine.ASKED_EXACT:
            return cell_mine.asked_pairs(corpus.vectors, corpus.group, corpus.rep_rows, todo_groups, least, cancel,
                                         tick)
        report.by_cells = True
        return cell_mine.cell_pairs(corpus.vectors, corpus.rep_rows, todo_groups, least, cancel, tick)

    def _write_pairs(
        self, model_id: int, corpus: engine.Corpus, exact: list[tuple[int, int]],
        ra: np.ndarray, rb: np.ndarray, sims: np.ndarray, near: float,
        todo_rows: np.ndarray, full: bool,
    ) -> None:
        ids, vecs = corpus.ids, corpus.vectors
        rows: list[tuple] = []
        for a, b in exact:
            cos = float(vecs[a] @ vecs[b])
            lo, hi = sorted((int(ids[a]), int(ids[b])))
            rows.append((model_id, lo, hi, min(cos, 1.0), EXACT, 1.0))
        a_ids, b_ids = ids[ra], ids[rb]
        lo_ids, hi_ids = np.minimum(a_ids, b_ids), np.maximum(a_ids, b_ids)
        overlap = self._overlaps(lo_ids, hi_ids)
        kinds = engine.classify(sims, overlap, near)
        rows.extend(
            (model_id, int(lo), int(hi), min(float(s), 1.0), str(k), float(o))
            for lo, hi, s, k, o in zip(lo_ids, hi_ids, sims, kinds, overlap, strict=True)
        )
        with self.store.write() as conn:
            if full:
                conn.execute("DELETE FROM dupes_mined WHERE model_id = ?", (model_id,))
                conn.execute("DELETE FROM dupes_pairs WHERE model_id = ?", (model_id,))
            # A passage deleted since the vectors were read is skipped (EXISTS), and an
            # exact pair is never downgraded by a vector pair found for the same passages.
            conn.executemany(
                "INSERT INTO dupes_pairs(model_id, chunk_a, chunk_b, cosine, kind, overlap) "
                "SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?2) "
                "AND EXISTS (SELECT 1 FROM chunks WHERE id = ?3) "
                "ON CONFLICT(model_id, chunk_a, chunk_b) DO UPDATE SET cosine = excluded.cosine, "
                "overlap = excluded.overlap, "
                "kind = CASE WHEN kind = 'exact' OR excluded.kind = 'exact' THEN 'exact' ELSE excluded.kind END",
                rows,
            )
            conn.executemany(
                "INSERT OR IGNORE INTO dupes_mined(model_id, chunk_id) "
                "SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?2)",
                [(model_id, int(c)) for c in ids[todo_rows]],
            )
            faults.checkpoint("mine")

    def _rescored(
        self, model_id: int, corpus: engine.Corpus, ra: np.ndarray, rb: np.ndarray, related: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs found in half precision, scored with the store's float32 vectors (of their
        groups' representatives, as a scan scores them) and kept at ``related`` and up;
        RESCORE_PAIRS pairs at a time (the float32 vectors of every pair at once held
        0.8 GB at a million passages)."""
        ids_a = corpus.ids[corpus.rep_rows[corpus.group[ra]]]
        ids_b = corpus.ids[corpus.rep_rows[corpus.group[rb]]]
        sims = np.zeros(ra.size, np.float32)
        for s in range(0, ra.size, RESCORE_PAIRS):
            a, b = ids_a[s : s + RESCORE_PAIRS], ids_b[s : s + RESCORE_PAIRS]
            found = self.store.read_vectors(model_id, np.unique(np.concatenate([a, b])).tolist())
            have = np.array([x in found and y in found for x, y in zip(a.tolist(), b.tolist(), strict=True)], bool)
            if not have.any():
                continue
            va = np.stack([found[x] for x in a[have].tolist()])
            vb = np.stack([found[y] for y in b[have].tolist()])
            norms = np.linalg.norm(va, axis=1) * np.linalg.norm(vb, axis=1)
            norms[norms == 0] = 1.0
            sims[s : s + RESCORE_PAIRS][have] = np.einsum("ij,ij->i", va, vb) / norms
            del found, va, vb
        keep = sims >= related
        return ra[keep], rb[keep], sims[keep]

    def _overlaps(self, a_ids: np.ndarray, b_ids: np.ndarray) -> np.ndarray:
        """Word overlap (engine.word_overlap) of each pair of passages, a few thousand pairs
        at a time: the word sets of every passage in a pair at once held about 10 KB per
        passage, gigabytes for a million passages' pairs."""
        out = np.ones(a_ids.size, dtype=np.float32)
        order = np.argsort(a_ids, kind="stable")     # a passage's pairs together: read once
        conn = self.store.reader()
        empty: frozenset[str] = frozenset()
        for s in range(0, order.size, OVERLAP_PAIRS):
            batch = order[s : s + OVERLAP_PAIRS]
            wanted = np.unique(np.concatenate([a_ids[batch], b_ids[batch]])).tolist()
            words: dict[int, frozenset[str]] = {}
            for start in range(0, len(wanted), 500):
                part = wanted[start : start + 500]
                marks = ",".join("?" * len(part))
                for cid, text in conn.execute(f"SELECT id, text FROM chunks WHERE id IN ({marks})", tuple(part)):
                    words[int(cid)] = engine.word_set(text)
            for i in batch.tolist():
                out[i] = engine.word_overlap(words.get(int(a_ids[i]), empty), words.get(int(b_ids[i]), empty))
        return out

    # -- passages, hashes and vectors --------------------------------------------------------
    def _fill_norm_hashes(self, doc_ids: list[int] | None) -> int:
        """Compute the normalized-text hash of passages that lack one, NORM_BATCH passages
        per read and write (a whole library's text read at once held 2 GB at 1M passages)."""
        if doc_ids is not None and not doc_ids:
            return 0
        if doc_ids is not None and len(doc_ids) > NORM_DOCS:
            # a large run's documents: every passage lacking a hash, found by one scan (their
            # ids as SQL parameters passed SQLite's limit at 32,766 documents)
            doc_ids = None
        if doc_ids is None and self.store.count("SELECT COUNT(*) FROM dupes_norm") == self.store.count(
                "SELECT COUNT(*) FROM chunks"):     # every passage has one (its rows go with the passage)
            return 0
        sql = ("SELECT c.id, c.text, c.heading FROM chunks c LEFT JOIN dupes_norm n ON n.chunk_id = c.id "
               "WHERE n.chunk_id IS NULL AND c.id > ?")
        params: tuple = ()
        if doc_ids is not None:
            sql += f" AND c.document_id IN ({','.join('?' * len(doc_ids))})"
            params = tuple(int(d) for d in doc_ids)
        sql += f" ORDER BY c.id LIMIT {NORM_BATCH}"
        done, after = 0, -1
        while True:
            rows = [(cid, mining_hash(text, heading)) for cid, text, heading in self.store.query(sql, (after, *params))]
            if not rows:
                return done
            with self.store.write() as conn:
                conn.executemany(
                    "INSERT OR IGNORE INTO dupes_norm(chunk_id, norm_hash) "
                    "SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?1)",
                    rows,
                )
            done += len(rows)
            after = rows[-1][0]

    def _model_vectors(self, model_id: int) -> VectorRows:
        """All (chunk ids, vectors) of a model, kept in memory and brought up to date from
        the store's vector log, so a second mining does not read every vector again."""
        conn = self.store.reader()
        cached = self._vectors.get(model_id)
        follower = cached[0] if cached is not None else VecLogFollower(model_id)
        if cached is not None:
            rows = cached[1]
            changes = follower.changes(conn, max_changes=_VEC_RELOAD_FRACTION * max(1, rows.n))
            if changes is None:
                return rows
            if not changes.reload:
                self._meta.forget(changes.added + changes.removed)
                self._apply_changes(model_id, rows, changes)
                follower.advance(changes.upto)
                return rows
        hi = log_bounds(conn)[1]
        if not self.store.vec_table_exists(model_id):
            return VectorRows(np.zeros(0, np.int64), np.zeros((0, 0), np.float32))
        self._meta.clear()
        count = self.store.vector_count(model_id)
        dtype = np.float16 if count >= self.half_from else np.float32
        rows = VectorRows(*self.store.all_vectors_with_room(model_id, dtype, spare_rows(count)))
        follower.advance(hi)
        self._vectors[model_id] = (follower, rows)
        return rows

    def _apply_changes(self, model_id: int, rows: VectorRows, changes: VecChanges) -> None:
        """The removed and re-written rows leave in place; the live added ones are written
        into the spare room at the end (core/dupes/vector_rows.py)."""
        touched = np.array(changes.added + changes.removed, dtype=np.int64)
        keep = ~np.isin(rows.ids, touched)
        if not keep.all():
            rows.keep(keep)
        found = self.store.read_vectors(model_id, changes.added) if changes.added else {}   # the live ones
        added = [c for c in changes.added if c in found]
        if added:
            rows.append(np.asarray(added, dtype=np.int64), np.stack([found[c] for c in added]))

    def _corpus(self, model_id: int) -> engine.Corpus:
        held = self._model_vectors(model_id)
        ids, vecs = held.ids, held.vecs
        found, rows = self._meta.aligned(self.store, ids)
        trivial = found & (rows[:, 3] < 0)
        if trivial.any() and vecs.ndim == 2 and vecs.shape[0] == ids.size:
            # trivial paragraphs are never mined and a chunk's text never changes: they leave
            # mining's copy for good, moved out in place (a filtered copy doubled it: 0.7 GB
            # more at a million passages)
            held.keep(~trivial)
            ids, vecs = held.ids, held.vecs
            found, rows = found[~trivial], rows[~trivial]
        keep = found & (rows[:, 3] >= 0)        # trivial paragraphs are never mined
        if not keep.all():      # a copy of every vector only when some are left out
            ids, rows = ids[keep], rows[keep]
            vecs = vecs[keep] if vecs.ndim == 2 and vecs.shape[0] == keep.size else vecs
        if vecs.ndim != 2 or vecs.shape[0] != ids.size:
            vecs = np.zeros((ids.size, 1), np.float32)
        return engine.Corpus.build(ids, rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], np.ascontiguousarray(vecs))

    # -- clusters ---------------------------------------------------------------------------
    def _pairs_signature(self, model_id: int) -> str:
        row = self.store.query_one(
            "SELECT COUNT(*), IFNULL(MAX(id), 0) FROM dupes_pairs WHERE model_id = ? AND kind != 'related'",
            (model_id,),
        ) or (0, 0)
        return f"{row[0]}:{row[1]}"

    def _clusters_current(self, model_id: int) -> bool:
        row = self.store.query_one("SELECT clusters_sig FROM dupes_state WHERE model_id = ?", (model_id,))
        return row is not None and row[0] == self._pairs_signature(model_id)

    def _recluster(
        self, model_id: int, corpus: engine.Corpus, related: float, touched: np.ndarray | None = None,
    ) -> int:
        """Rebuild the clusters of a model from its exact and near pairs: all of them, or
        with ``touched`` (rows just mined, the clusters current before) only those of the
        linked components that hold one of them; the others stay as they are (a million
        passages' clusters rebuilt took 3.8 s of a new document's mining)."""
        sig = self._pairs_signature(model_id)
        pairs = np.asarray(self.store.query(
            "SELECT chunk_a, chunk_b FROM dupes_pairs WHERE model_id = ? AND kind != 'related'",
            (model_id,),
        ), dtype=np.int64).reshape(-1, 2)
        pos = np.clip(np.searchsorted(corpus.ids, pairs), 0, max(corpus.ids.size - 1, 0))
        known = (corpus.ids[pos] == pairs).all(axis=1) if corpus.ids.size else np.zeros(len(pairs), bool)
        edges_rows = pos[known]
        if touched is not None:
            edges_rows = edges_rows[_reaching(corpus.group[edges_rows], np.unique(corpus.group[touched]))]
        linked_rows = np.unique(edges_rows)
        ends = corpus.group[edges_rows]
        group_edges = ends[ends[:, 0] != ends[:, 1]]
        nodes = np.unique(corpus.group[linked_rows]) if linked_rows.size else np.zeros(0, np.int64)
        weights = corpus.members.sizes.astype(np.float32)
        found = cluster_groups(nodes, group_edges, corpus.reps, related, weights) if nodes.size else []
        linked = set(linked_rows.tolist())
        linked_ids = [int(corpus.ids[r]) for r in linked_rows.tolist()]
        text_hash = dict(self.store.query(
            "SELECT c.id, c.text_hash FROM json_each(?) j JOIN chunks c ON c.id = j.value",
            (json.dumps(linked_ids),),
        ))
        records = []
        for cl in found:
            members: list[tuple[int, float]] = []
            for g, s in zip(cl.groups, cl.sims, strict=True):
                rows = [int(r) for r in corpus.members[int(g)] if int(r) in linked]
                members.extend((int(corpus.ids[r]), float(s)) for r in rows)
            if len(members) < 2:
                continue
            rep_row = next(int(r) for r in corpus.members[cl.medoid] if int(r) in linked)
            kind = EXACT if cl.groups.size == 1 else NEAR
            rep_id = int(corpus.ids[rep_row])
            # the representative's own 1.0 is left out: a group of two reads its pair's cosine
            score = float(np.mean([s for c, s in members if c != rep_id] or [1.0]))
            key = _cluster_key([text_hash.get(c, "") for c, _ in members])
            records.append((kind, int(corpus.ids[rep_row]), members, score, key))
        with self.store.write() as conn:
            if touched is None:
                conn.execute("DELETE FROM dupes_clusters WHERE model_id = ?", (model_id,))
            else:       # the clusters of the components reached: their members are all linked there
                conn.execute(
                    "DELETE FROM dupes_clusters WHERE model_id = ? AND id IN (SELECT m.cluster_id "
                    "FROM json_each(?) j JOIN dupes_members m ON m.chunk_id = j.value)",
                    (model_id, json.dumps(linked_ids)),
                )
            # ids given here so that clusters and members go in as two batches (one
            # statement per cluster cost ~0.5 s of an incremental update at 100k)
            last = conn.execute("SELECT IFNULL(MAX(id), 0) FROM dupes_clusters").fetchone()
            first = int(last[0] if last else 0) + 1
            conn.executemany(
                "INSERT INTO dupes_clusters(id, model_id, kind, representative, size, score, key) "
                "VALUES (?,?,?,?,?,?,?)",
                [(first + i, model_id, kind, rep, len(members), min(score, 1.0), key)
                 for i, (kind, rep, members, score, key) in enumerate(records)],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO dupes_members(cluster_id, chunk_id, cosine) "
                "SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?2)",
                [(first + i, c, min(sim, 1.0))
                 for i, (_, _, members, _, _) in enumerate(records) for c, sim in members],
            )
            conn.execute("UPDATE dupes_state SET clusters_sig = ? WHERE model_id = ?", (sig, model_id))
        return len(records)

    @writes()
    def fresh_clusters(self, model_id: int) -> None:
        """Rebuild clusters when pairs went away since they were built (a deletion)."""
        row = self.store.query_one("SELECT related, clusters_sig FROM dupes_state WHERE model_id = ?", (model_id,))
        if row is None or row[1] == self._pairs_signature(model_id):
            return
        with self._dupes_lock:
            self._recluster(model_id, self._corpus(model_id), float(row[0]))

