"""Similar-paragraph discovery part of the Library facade (issue 8).

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from core import faults
from core.cancel import CancelToken
from core.dupes import engine
from core.dupes.cluster import cluster_groups
from core.dupes.diff import word_diff
from core.dupes.mine import all_pairs, query_pairs
from core.dupes.normalize import norm_hash
from core.dupes.types import (
    CONFIRMED,
    DECISIONS,
    EXACT,
    KINDS,
    NEAR,
    REJECTED,
    DiffOp,
    DuplicateCluster,
    DuplicatePair,
    MiningProgress,
    MiningReport,
    PassageRef,
)
from core.errors import Cancelled, InvalidInputError, NotFoundError

# Default thresholds, measured with all-MiniLM-L6-v2 by bench/bench_dupes.py (calibration):
# near 0.85: MRPC train (4,076 pairs) paraphrases have median cosine 0.856 against 0.723
#   for non-paraphrases; at 0.85 precision is 0.84 (recall 0.52), on STSb dev pairs scored
#   >= 3 precision 0.93: above it a pair is almost always the same statement reworded.
# related 0.70: STSb dev's best split between pairs scored >= 3 and < 3 lies at 0.66
#   (accuracy 0.835); at 0.70 precision 0.81, recall 0.77 (MRPC paraphrase recall 0.87).
DEFAULT_NEAR = 0.85
DEFAULT_RELATED = 0.70

ProgressFn = Callable[[MiningProgress], None]

_REF_COLS = "c.id, c.document_id, d.path, d.title, c.page_start, c.page_end, c.text, c.char_start, c.char_end"
_VEC_RELOAD_FRACTION = 0.2   # more changes than this since the cache -> read all vectors again


def _ref(row: tuple, cosine: float | None = None) -> PassageRef:
    return PassageRef(*row[:9], cosine=cosine)


def _pair_key(hash_a: str, hash_b: str) -> str:
    lo, hi = sorted((hash_a, hash_b))
    return f"pair:{lo}:{hi}"


def _cluster_key(text_hashes: list[str]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for t in sorted(set(text_hashes)):
        h.update(t.encode("ascii"))
    return f"cluster:{h.hexdigest()}"


class DupesMixin:
    store: Any
    settings: Any

    def _init_part(self) -> None:
        self._dupes_lock = threading.RLock()
        self._dupes_vectors: dict[int, tuple[int, np.ndarray, np.ndarray]] = {}

    def _close_part(self) -> None:
        self._dupes_vectors.clear()

    # -- settings ---------------------------------------------------------------------
    def duplicate_thresholds(self) -> tuple[float, float]:
        """(near, related) used by the last mining under the active model (or defaults)."""
        row = self.store.query_one(
            "SELECT near, related FROM dupes_state WHERE model_id = ?", (self.active_model_id(),)
        )
        return (float(row[0]), float(row[1])) if row else (DEFAULT_NEAR, DEFAULT_RELATED)

    def duplicates_pending(self) -> int:
        """Passages with a vector under the active model that mining has not seen yet."""
        from core.store import vec_table

        model_id = self.active_model_id()
        if not self.store.vec_table_exists(model_id):
            return 0
        row = self.store.query_one(
            f"SELECT COUNT(*) FROM {vec_table(model_id)} v LEFT JOIN dupes_mined m "
            "ON m.model_id = ? AND m.chunk_id = v.chunk_id WHERE m.chunk_id IS NULL",
            (model_id,),
        )
        return int(row[0])

    # -- hooks from the rest of the library ----------------------------------------------
    def _after_documents_indexed(self, doc_ids: list[int]) -> None:
        """New or changed documents: their passages have no "mined" row, so the next
        mining takes them; here only their normalized-text hashes are computed (cheap)."""
        with self._dupes_lock:
            self._fill_norm_hashes(doc_ids)

    def _on_document_deleted(self, conn: Any, doc_id: int) -> None:
        """Inside the write that deletes a document: its pairs, cluster places and marks
        go (the pair trigger makes its partners be mined again)."""
        sub = "(SELECT id FROM chunks WHERE document_id = ?)"
        conn.execute(f"DELETE FROM dupes_pairs WHERE chunk_a IN {sub} OR chunk_b IN {sub}", (doc_id, doc_id))
        conn.execute(f"DELETE FROM dupes_members WHERE chunk_id IN {sub}", (doc_id,))
        conn.execute(f"DELETE FROM dupes_mined WHERE chunk_id IN {sub}", (doc_id,))
        conn.execute(f"DELETE FROM dupes_norm WHERE chunk_id IN {sub}", (doc_id,))

    # -- mining ---------------------------------------------------------------------------
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
            model_id = self.active_model_id()
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
        reps = corpus.rep_vectors
        hits_i, hits_j, hits_s = [], [], []

        def tick(done: int, total: int) -> None:
            emit("mining", done, total)

        if todo_groups.size:
            if full:
                blocks = all_pairs(reps, related, cancel=cancel, progress=tick)
            else:
                blocks = query_pairs(reps, todo_groups, related, cancel=cancel, progress=tick)
            for gi, gj, sims in blocks:
                hits_i.append(gi)
                hits_j.append(gj)
                hits_s.append(sims)
        gi = np.concatenate(hits_i) if hits_i else np.zeros(0, np.int64)
        gj = np.concatenate(hits_j) if hits_j else np.zeros(0, np.int64)
        sims = np.concatenate(hits_s) if hits_s else np.zeros(0, np.float32)
        idx, ra, rb = engine.group_pairs_to_rows(corpus, gi, gj, same_document)
        sims = sims[idx]
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
            conn.execute(
                "INSERT INTO dupes_state(model_id, near, related, same_document, mined_at) "
                "VALUES (?,?,?,?,?) ON CONFLICT(model_id) DO UPDATE SET near = excluded.near, "
                "related = excluded.related, same_document = excluded.same_document, "
                "mined_at = excluded.mined_at",
                (model_id, near, related, int(same_document), time.time()),
            )
        emit("clustering")
        report.clusters = self._recluster(model_id, corpus, related)
        for kind, n in self.store.query(
            "SELECT kind, COUNT(*) FROM dupes_pairs WHERE model_id = ? GROUP BY kind", (model_id,)
        ):
            setattr(report, f"pairs_{kind}", int(n))

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

    def _overlaps(self, a_ids: np.ndarray, b_ids: np.ndarray) -> np.ndarray:
        """Word overlap (engine.word_overlap) of each pair of passages."""
        out = np.ones(a_ids.size, dtype=np.float32)
        if not a_ids.size:
            return out
        wanted = np.unique(np.concatenate([a_ids, b_ids])).tolist()
        words: dict[int, frozenset[str]] = {}
        conn = self.store.reader()
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            for cid, text in conn.execute(f"SELECT id, text FROM chunks WHERE id IN ({marks})", tuple(part)):
                words[int(cid)] = engine.word_set(text)
        empty: frozenset[str] = frozenset()
        for i, (a, b) in enumerate(zip(a_ids.tolist(), b_ids.tolist(), strict=True)):
            out[i] = engine.word_overlap(words.get(a, empty), words.get(b, empty))
        return out

    # -- passages, hashes and vectors --------------------------------------------------------
    def _fill_norm_hashes(self, doc_ids: list[int] | None) -> int:
        """Compute the normalized-text hash of passages that lack one."""
        sql = ("SELECT c.id, c.text FROM chunks c LEFT JOIN dupes_norm n ON n.chunk_id = c.id "
               "WHERE n.chunk_id IS NULL")
        params: tuple = ()
        if doc_ids is not None:
            if not doc_ids:
                return 0
            sql += f" AND c.document_id IN ({','.join('?' * len(doc_ids))})"
            params = tuple(int(d) for d in doc_ids)
        rows = [(cid, norm_hash(text)) for cid, text in self.store.query(sql, params)]
        if rows:
            with self.store.write() as conn:
                conn.executemany(
                    "INSERT OR IGNORE INTO dupes_norm(chunk_id, norm_hash) "
                    "SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM chunks WHERE id = ?1)",
                    rows,
                )
        return len(rows)

    def _model_vectors(self, model_id: int) -> tuple[np.ndarray, np.ndarray]:
        """All (chunk ids, vectors) of a model, kept in memory and brought up to date from
        the store's vector log, so a second mining does not read every vector again."""
        last = self.store.query_one("SELECT IFNULL(MAX(seq), 0) FROM vec_log WHERE model_id = ?", (model_id,))
        seq = int(last[0])
        cached = self._dupes_vectors.get(model_id)
        if cached is not None and cached[0] == seq:
            return cached[1], cached[2]
        if cached is not None:
            changes = self.store.query(
                "SELECT chunk_id, op FROM vec_log WHERE model_id = ? AND seq > ? AND seq <= ? ORDER BY seq",
                (model_id, cached[0], seq),
            )
            if len(changes) <= _VEC_RELOAD_FRACTION * max(1, cached[1].size):
                ids, vecs = self._apply_vec_log(model_id, cached[1], cached[2], changes)
                self._dupes_vectors[model_id] = (seq, ids, vecs)
                return ids, vecs
        if not self.store.vec_table_exists(model_id):
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
        ids, vecs = self.store.all_vectors(model_id)
        self._dupes_vectors[model_id] = (seq, ids, vecs)
        return ids, vecs

    def _apply_vec_log(
        self, model_id: int, ids: np.ndarray, vecs: np.ndarray, changes: list[tuple]
    ) -> tuple[np.ndarray, np.ndarray]:
        final: dict[int, str] = {}
        for cid, op in changes:
            final[int(cid)] = op
        touched = np.array(list(final), dtype=np.int64)
        keep = ~np.isin(ids, touched)
        added = [cid for cid, op in final.items() if op == "add"]
        found = self.store.read_vectors(model_id, added) if added else {}   # the live ones
        added = [c for c in added if c in found]
        new_vecs = np.stack([found[c] for c in added]) if added else None
        if not keep.all():       # copying every vector only when some went away
            ids = ids[keep]
            vecs = vecs[keep]
        if new_vecs is not None and new_vecs.size:
            if vecs.size == 0:
                vecs = new_vecs.astype(np.float32)
            else:
                vecs = np.concatenate([vecs, new_vecs.astype(np.float32)])
            ids = np.concatenate([ids, np.asarray(added, dtype=np.int64)])
        return ids, vecs

    def _corpus(self, model_id: int) -> engine.Corpus:
        ids, vecs = self._model_vectors(model_id)
        meta = {
            r[0]: r[1:]
            for r in self.store.query(
                "SELECT c.id, c.document_id, c.char_start, c.char_end, n.norm_hash FROM chunks c "
                "JOIN dupes_norm n ON n.chunk_id = c.id"
            )
        }
        keep = np.array([int(c) in meta for c in ids], dtype=bool) if ids.size else np.zeros(0, bool)
        ids, vecs = ids[keep], vecs[keep] if ids.size else vecs
        rows = [meta[int(c)] for c in ids]
        docs = np.array([r[0] for r in rows], dtype=np.int64)
        starts = np.array([r[1] for r in rows], dtype=np.int64)
        ends = np.array([r[2] for r in rows], dtype=np.int64)
        hashes = [r[3] for r in rows]
        if vecs.ndim != 2 or vecs.shape[0] != ids.size:
            vecs = np.zeros((ids.size, 1), np.float32)
        return engine.Corpus.build(ids, docs, starts, ends, hashes, np.ascontiguousarray(vecs, np.float32))

    # -- clusters ---------------------------------------------------------------------------
    def _pairs_signature(self, model_id: int) -> str:
        row = self.store.query_one(
            "SELECT COUNT(*), IFNULL(MAX(id), 0) FROM dupes_pairs WHERE model_id = ? AND kind != 'related'",
            (model_id,),
        )
        return f"{row[0]}:{row[1]}"

    def _recluster(self, model_id: int, corpus: engine.Corpus, related: float) -> int:
        """Rebuild the clusters of a model from its exact and near pairs."""
        sig = self._pairs_signature(model_id)
        pairs = self.store.query(
            "SELECT chunk_a, chunk_b FROM dupes_pairs WHERE model_id = ? AND kind != 'related'",
            (model_id,),
        )
        row_of = {int(c): i for i, c in enumerate(corpus.ids)}
        edges_rows = [(row_of[a], row_of[b]) for a, b in pairs if a in row_of and b in row_of]
        linked_rows = np.array(sorted({r for e in edges_rows for r in e}), dtype=np.int64)
        group_edges = np.array(
            [(corpus.group[a], corpus.group[b]) for a, b in edges_rows
             if corpus.group[a] != corpus.group[b]], dtype=np.int64,
        ).reshape(-1, 2)
        nodes = np.unique(corpus.group[linked_rows]) if linked_rows.size else np.zeros(0, np.int64)
        weights = corpus.members.sizes.astype(np.float32)
        found = cluster_groups(nodes, group_edges, corpus.rep_vectors, related, weights) if nodes.size else []
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
            score = float(np.mean([s for _, s in members]))
            key = _cluster_key([text_hash.get(c, "") for c, _ in members])
            records.append((kind, int(corpus.ids[rep_row]), members, score, key))
        with self.store.write() as conn:
            conn.execute("DELETE FROM dupes_clusters WHERE model_id = ?", (model_id,))
            # ids given here so that clusters and members go in as two batches (one
            # statement per cluster cost ~0.5 s of an incremental update at 100k)
            first = int(conn.execute("SELECT IFNULL(MAX(id), 0) FROM dupes_clusters").fetchone()[0]) + 1
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

    def _fresh_clusters(self, model_id: int) -> None:
        """Rebuild clusters when pairs went away since they were built (a deletion)."""
        row = self.store.query_one("SELECT related, clusters_sig FROM dupes_state WHERE model_id = ?", (model_id,))
        if row is None or row[1] == self._pairs_signature(model_id):
            return
        with self._dupes_lock:
            self._recluster(model_id, self._corpus(model_id), float(row[0]))

    # -- listing ----------------------------------------------------------------------------
    def _folder_filter(self, folder: Path | str | None) -> int | None:
        return None if folder is None else self._folder_id(folder)

    def duplicate_pairs(
        self,
        kind: str | None = None,
        folder: Path | str | None = None,
        min_score: float | None = None,
        include_ignored: bool = False,
        document_id: int | None = None,
        limit: int | None = None,
    ) -> list[DuplicatePair]:
        """Stored pairs under the active model, strongest first. Pairs marked ignore or
        "not similar" (rejected) are left out unless ``include_ignored``."""
        if kind is not None and kind not in KINDS:
            raise InvalidInputError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        folder_id = self._folder_filter(folder)
        where = ["p.model_id = ?"]
        params: list[Any] = [self.active_model_id()]
        if kind is not None:
            where.append("p.kind = ?")
            params.append(kind)
        if min_score is not None:
            where.append("p.cosine >= ?")
            params.append(float(min_score))
        if folder_id is not None:
            where.append("(da.folder_id = ? OR db.folder_id = ?)")
            params += [folder_id, folder_id]
        if document_id is not None:
            where.append("(ca.document_id = ? OR cb.document_id = ?)")
            params += [int(document_id), int(document_id)]
        if not include_ignored:
            where.append("(dd.decision IS NULL OR dd.decision = 'confirmed')")
        sql = self._pairs_sql() + " WHERE " + " AND ".join(where)
        sql += " ORDER BY CASE p.kind WHEN 'exact' THEN 0 WHEN 'near' THEN 1 ELSE 2 END, p.cosine DESC, p.id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [self._pair_from_row(r) for r in self.store.query(sql, tuple(params))]

    @staticmethod
    def _pairs_sql() -> str:
        cols_a = _REF_COLS.replace("c.", "ca.").replace("d.", "da.")
        cols_b = _REF_COLS.replace("c.", "cb.").replace("d.", "db.")
        return (
            f"SELECT p.id, p.kind, p.cosine, dd.decision, {cols_a}, {cols_b} FROM dupes_pairs p "
            "JOIN chunks ca ON ca.id = p.chunk_a JOIN documents da ON da.id = ca.document_id "
            "JOIN chunks cb ON cb.id = p.chunk_b JOIN documents db ON db.id = cb.document_id "
            "LEFT JOIN dupes_decisions dd ON dd.key = 'pair:' || MIN(ca.text_hash, cb.text_hash) "
            "|| ':' || MAX(ca.text_hash, cb.text_hash)"
        )

    @staticmethod
    def _pair_from_row(r: tuple) -> DuplicatePair:
        return DuplicatePair(r[0], r[1], float(r[2]), _ref(r[4:13]), _ref(r[13:22]), r[3])

    def duplicate_pair(self, pair_id: int) -> DuplicatePair:
        row = self.store.query_one(self._pairs_sql() + " WHERE p.id = ?", (int(pair_id),))
        if row is None:
            raise NotFoundError(f"no similar pair {pair_id} (mine again: the library changed)")
        return self._pair_from_row(row)

    def duplicate_clusters(
        self,
        kind: str | None = None,
        folder: Path | str | None = None,
        min_size: int = 2,
        document_id: int | None = None,
        include_ignored: bool = False,
    ) -> list[DuplicateCluster]:
        """Clusters under the active model, largest and strongest first. A folder or a
        document keeps the clusters with at least one member there."""
        if kind is not None and kind not in (EXACT, NEAR):
            raise InvalidInputError(f"clusters are of kind exact or near, not {kind!r}")
        model_id = self.active_model_id()
        self._fresh_clusters(model_id)
        folder_id = self._folder_filter(folder)
        where, params = ["k.model_id = ?", "k.size >= ?"], [model_id, int(min_size)]
        if kind is not None:
            where.append("k.kind = ?")
            params.append(kind)
        if not include_ignored:
            where.append("(dd.decision IS NULL OR dd.decision = 'confirmed')")
        for col, value in (("d.folder_id", folder_id), ("c.document_id", document_id)):
            if value is not None:
                where.append(
                    "EXISTS (SELECT 1 FROM dupes_members m JOIN chunks c ON c.id = m.chunk_id "
                    f"JOIN documents d ON d.id = c.document_id WHERE m.cluster_id = k.id AND {col} = ?)"
                )
                params.append(int(value))
        rows = self.store.query(
            "SELECT k.id, k.kind, k.size, k.score, k.representative, dd.decision FROM dupes_clusters k "
            "LEFT JOIN dupes_decisions dd ON dd.key = k.key WHERE " + " AND ".join(where)
            + " ORDER BY k.size DESC, k.score DESC, k.id",
            tuple(params),
        )
        return [self._cluster(*r) for r in rows]

    def duplicate_cluster(self, cluster_id: int) -> DuplicateCluster:
        row = self.store.query_one(
            "SELECT k.id, k.kind, k.size, k.score, k.representative, dd.decision FROM dupes_clusters k "
            "LEFT JOIN dupes_decisions dd ON dd.key = k.key WHERE k.id = ?",
            (int(cluster_id),),
        )
        if row is None:
            raise NotFoundError(f"no cluster {cluster_id} (mine again: the library changed)")
        return self._cluster(*row)

    def _cluster(self, cid: int, kind: str, size: int, score: float, rep: int | None,
                 decision: str | None) -> DuplicateCluster:
        rows = self.store.query(
            f"SELECT {_REF_COLS}, m.cosine FROM dupes_members m JOIN chunks c ON c.id = m.chunk_id "
            "JOIN documents d ON d.id = c.document_id WHERE m.cluster_id = ? "
            "ORDER BY m.cosine DESC, d.path, c.ord",
            (cid,),
        )
        members = [_ref(r[:9], float(r[9])) for r in rows]
        representative = next((m for m in members if m.chunk_id == rep), members[0] if members else None)
        if representative is None:
            raise NotFoundError(f"cluster {cid} has no passages left")
        docs = sorted({m.document_id for m in members})
        return DuplicateCluster(cid, kind, len(members), float(score), representative, members, docs, decision)

    # -- decisions --------------------------------------------------------------------------
    def _check_decision(self, decision: str) -> None:
        if decision not in DECISIONS:
            raise InvalidInputError(f"unknown decision {decision!r}; use one of {', '.join(DECISIONS)}")

    def decide_pair(self, pair_id: int, decision: str) -> None:
        """Mark a pair ignore / confirmed / rejected (kept by its texts, so re-indexing
        does not lose it). Confirmed and rejected pairs also become labelled pairs."""
        self._check_decision(decision)
        pair = self.duplicate_pair(pair_id)
        hashes = dict(self.store.query(
            "SELECT id, text_hash FROM chunks WHERE id IN (?, ?)", (pair.a.chunk_id, pair.b.chunk_id)))
        with self.store.write() as conn:
            self._put_decision(conn, _pair_key(hashes[pair.a.chunk_id], hashes[pair.b.chunk_id]), decision)
        if decision in (CONFIRMED, REJECTED):
            self._label(pair.a, pair.b, decision == CONFIRMED)

    def decide_cluster(self, cluster_id: int, decision: str) -> None:
        """Mark a whole cluster; every pair inside it takes the same decision, and a
        confirmed or rejected cluster labels its representative with each other text."""
        self._check_decision(decision)
        cluster = self.duplicate_cluster(cluster_id)
        ids = [m.chunk_id for m in cluster.members]
        marks = ",".join("?" * len(ids))
        hashes = dict(self.store.query(f"SELECT id, text_hash FROM chunks WHERE id IN ({marks})", tuple(ids)))
        key = self.store.query_one("SELECT key FROM dupes_clusters WHERE id = ?", (cluster_id,))[0]
        pairs = self.store.query(
            f"SELECT chunk_a, chunk_b FROM dupes_pairs WHERE model_id = ? AND chunk_a IN ({marks}) "
            f"AND chunk_b IN ({marks})",
            (self.active_model_id(), *ids, *ids),
        )
        with self.store.write() as conn:
            self._put_decision(conn, key, decision)
            for a, b in pairs:
                self._put_decision(conn, _pair_key(hashes[a], hashes[b]), decision)
        if decision in (CONFIRMED, REJECTED):
            rep = cluster.representative
            seen = {rep.text}
            for m in cluster.members:
                if m.text not in seen:
                    seen.add(m.text)
                    self._label(rep, m, decision == CONFIRMED)

    @staticmethod
    def _put_decision(conn: Any, key: str, decision: str) -> None:
        conn.execute(
            "INSERT INTO dupes_decisions(key, decision, decided_at) VALUES (?,?,?) "
            "ON CONFLICT(key) DO UPDATE SET decision = excluded.decision, decided_at = excluded.decided_at",
            (key, decision, time.time()),
        )

    def _label(self, a: PassageRef, b: PassageRef, similar: bool) -> None:
        label_pair = getattr(self, "label_pair", None)
        if label_pair is None or a.text == b.text:
            return
        label_pair(a.chunk_id, b.chunk_id, similar, source="dupes")

    def pair_decision(self, pair_id: int) -> str | None:
        return self.duplicate_pair(pair_id).decision

    # -- difference ---------------------------------------------------------------------------
    def pair_diff(self, pair_id: int) -> list[DiffOp]:
        """Word-level steps from passage a to passage b of a pair, with character spans."""
        pair = self.duplicate_pair(pair_id)
        return word_diff(pair.a.text, pair.b.text)

