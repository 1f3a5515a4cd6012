"""Discovery of similar paragraphs: what mining found, listed and reviewed.

Mining itself (the pairs and clusters written to the ``dupes_*`` tables) is
core/dupes/mining.py; here the pairs and clusters are read back, filtered, compared
word by word and decided (ignore / confirmed / rejected). A confirmed or rejected pair
also becomes a labelled pair (core/train/label_table.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from core.cancel import CancelToken
from core.catalog import Catalog
from core.changes import LABELS, SIMILAR, reads, writes
from core.dupes.diff import word_diff
from core.dupes.mining import Miner, ProgressFn
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
    MiningReport,
    PassageRef,
)
from core.errors import InvalidInputError, NotFoundError
from core.events import Events
from core.model_versions import ModelVersions
from core.store import Store
from core.train.label_table import Labels

_REF_COLS = "c.id, c.document_id, d.path, d.title, c.page_start, c.page_end, c.text, c.char_start, c.char_end"


def _ref(row: tuple, cosine: float | None = None) -> PassageRef:
    chunk_id, document_id, path, title, page_start, page_end, text, char_start, char_end = row[:9]
    return PassageRef(chunk_id, document_id, path, title, page_start, page_end, text, char_start,
                      char_end, cosine=cosine)


def _pair_key(hash_a: str, hash_b: str) -> str:
    lo, hi = sorted((hash_a, hash_b))
    return f"pair:{lo}:{hi}"


class Discovery:
    def __init__(self, store: Store, versions: ModelVersions, catalog: Catalog, miner: Miner,
                 labels: Labels, events: Events) -> None:
        self.store = store
        self.events = events
        self.versions = versions
        self.catalog = catalog
        self.miner = miner
        self.labels = labels

    # -- mining (core/dupes/mining.py) ---------------------------------------------------------
    @writes(SIMILAR, long=True)
    def mine_duplicates(
        self, near: float | None = None, related: float | None = None, same_document: bool = False,
        progress: ProgressFn | None = None, cancel: CancelToken | None = None, full: bool = False,
    ) -> MiningReport:
        return self.miner.mine_duplicates(near, related, same_document, progress, cancel, full)

    @reads
    def duplicate_thresholds(self) -> tuple[float, float]:
        return self.miner.duplicate_thresholds()

    @reads
    def duplicates_pending(self) -> int:
        return self.miner.duplicates_pending()

    # -- listing ----------------------------------------------------------------------------
    def _folder_filter(self, folder: Path | str | None) -> int | None:
        return None if folder is None else self.catalog.folder_id(folder)

    @reads
    def duplicate_pairs(
        self,
        kind: str | None = None,
        folder: Path | str | None = None,
        min_score: float | None = None,
        include_ignored: bool = False,
        document_id: int | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[DuplicatePair]:
        """Stored pairs under the active model, strongest first. Pairs marked ignore or
        "not similar" (rejected) are left out unless ``include_ignored``. ``limit`` and
        ``offset`` give one page of them (the window lists tens of thousands lazily)."""
        if kind is not None and kind not in KINDS:
            raise InvalidInputError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        folder_id = self._folder_filter(folder)
        where = ["p.model_id = ?"]
        params: list[Any] = [self.versions.active_model_id()]
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
        sql += _page(params, limit, offset)
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

    @reads
    def duplicate_pair(self, pair_id: int) -> DuplicatePair:
        row = self.store.query_one(self._pairs_sql() + " WHERE p.id = ?", (int(pair_id),))
        if row is None:
            raise NotFoundError(f"no similar pair {pair_id} (mine again: the library changed)")
        return self._pair_from_row(row)

    @reads
    def duplicate_clusters(
        self,
        kind: str | None = None,
        folder: Path | str | None = None,
        min_size: int = 2,
        document_id: int | None = None,
        include_ignored: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[DuplicateCluster]:
        """Clusters under the active model, largest and strongest first. A folder or a
        document keeps the clusters with at least one member there. ``limit`` and
        ``offset`` give one page of them."""
        if kind is not None and kind not in (EXACT, NEAR):
            raise InvalidInputError(f"clusters are of kind exact or near, not {kind!r}")
        model_id = self.versions.active_model_id()
        self.miner.fresh_clusters(model_id)
        folder_id = self._folder_filter(folder)
        where = ["k.model_id = ?", "k.size >= ?"]
        params: list[Any] = [model_id, int(min_size)]
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
            + " ORDER BY k.size DESC, k.score DESC, k.id" + _page(params, limit, offset),
            tuple(params),
        )
        return [self._cluster(*r) for r in rows]

    @reads
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
        return DuplicateCluster(cid, kind, len(members), _strength(members, representative, score),
                                representative, members, docs, decision)

    # -- decisions --------------------------------------------------------------------------
    def _check_decision(self, decision: str) -> None:
        if decision not in DECISIONS:
            raise InvalidInputError(f"unknown decision {decision!r}; use one of {', '.join(DECISIONS)}")

    @writes(SIMILAR, LABELS)
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

    @writes(SIMILAR, LABELS)
    def decide_cluster(self, cluster_id: int, decision: str) -> None:
        """Mark a whole cluster; every pair inside it takes the same decision, and a
        confirmed or rejected cluster labels its representative with each other text."""
        self._check_decision(decision)
        cluster = self.duplicate_cluster(cluster_id)
        ids = [m.chunk_id for m in cluster.members]
        marks = ",".join("?" * len(ids))
        hashes = dict(self.store.query(f"SELECT id, text_hash FROM chunks WHERE id IN ({marks})", tuple(ids)))
        found = self.store.query_one("SELECT key FROM dupes_clusters WHERE id = ?", (cluster_id,))
        if found is None:
            raise NotFoundError(f"no cluster {cluster_id} (mine again: the library changed)")
        key = found[0]
        pairs = self.store.query(
            f"SELECT chunk_a, chunk_b FROM dupes_pairs WHERE model_id = ? AND chunk_a IN ({marks}) "
            f"AND chunk_b IN ({marks})",
            (self.versions.active_model_id(), *ids, *ids),
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
        if a.text == b.text:
            return
        self.labels.label_pair(a.chunk_id, b.chunk_id, similar, source="dupes")

    @reads
    def pair_decision(self, pair_id: int) -> str | None:
        return self.duplicate_pair(pair_id).decision

    # -- difference ---------------------------------------------------------------------------
    @reads
    def pair_diff(self, pair_id: int) -> list[DiffOp]:
        """Word-level steps from passage a to passage b of a pair, with character spans."""
        pair = self.duplicate_pair(pair_id)
        return word_diff(pair.a.text, pair.b.text)


def _strength(members: list[PassageRef], representative: PassageRef, stored: float) -> float:
    """A group's number: the mean cosine of its other passages to the one shown for it,
    so a group of two reads the cosine of its pair (the representative's own 1.0 is not
    counted; clusters stored before this rule carry it in ``stored``)."""
    others = [m.cosine for m in members if m.chunk_id != representative.chunk_id and m.cosine is not None]
    return float(sum(others) / len(others)) if others else float(stored)


def _page(params: list[Any], limit: int | None, offset: int) -> str:
    """The LIMIT/OFFSET clause of one page (its values appended to ``params``)."""
    if limit is None and not offset:
        return ""
    params += [-1 if limit is None else int(limit), max(0, int(offset))]
    return " LIMIT ? OFFSET ?"
