"""Labels (table ``labels``): pairs and triplets of texts the user marked similar or
not, the material fine-tuning learns from (core/train/training.py).

Labels keep their texts when a passage goes; they forget its id (they follow
``events.document_deleted``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from core.catalog import Catalog
from core.changes import LABELS, reads, writes
from core.errors import InvalidInputError, NotFoundError
from core.events import DocumentDeleted, Events
from core.store import Store
from core.train.types import (
    LABEL_KINDS,
    LABEL_SOURCES,
    PAIR_BINARY,
    PAIR_SCORE,
    TRIPLET,
    ImportReport,
    LabelInfo,
)

_LABEL_COLS = ("id, kind, sentence1, sentence2, sentence3, label, scale, chunk1, chunk2, query, "
               "source, created_at")


def _clean_text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{name} must be a non-empty text")
    return value.strip()


def _binary_value(label: Any) -> float:
    if isinstance(label, bool) or label in (0, 1, 0.0, 1.0):
        return float(label)
    raise InvalidInputError(f"a binary label must be 0 or 1 (similar / not similar), not {label!r}")


def _score_value(label: Any, scale: float) -> float:
    if scale not in (1.0, 5.0):
        raise InvalidInputError("a score's scale must be 1 (0-1) or 5 (0-5)")
    try:
        value = float(label)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"a score must be a number, not {label!r}") from exc
    if not 0.0 <= value <= scale:
        raise InvalidInputError(f"a score must lie between 0 and {scale:g}, not {value:g}")
    return value / scale


class Labels:
    def __init__(self, store: Store, catalog: Catalog, events: Events) -> None:
        self.store = store
        self.catalog = catalog
        self.events = events
        events.document_deleted.subscribe(self._forget_chunks_of)

    @writes(LABELS)
    def add_label(
        self,
        kind: str,
        text1: str,
        text2: str,
        label: float | bool | None = None,
        text3: str | None = None,
        chunk1: int | None = None,
        chunk2: int | None = None,
        source: str = "window",
        query: str | None = None,
        scale: float = 1.0,
    ) -> int:
        """Store one label (or refresh it when the same texts were labelled before).

        Binary pairs take 0/1 (or False/True); scores a number on ``scale`` (1 or 5),
        stored as 0-1; triplets need ``text3`` (the negative); positive pairs no label."""
        row = self._label_row(kind, text1, text2, label, text3, source, scale)
        with self.store.write() as conn:
            return self._upsert_label(conn, row, chunk1, chunk2, query)[0]

    def _label_row(
        self, kind: str, text1: Any, text2: Any, label: Any, text3: Any, source: str, scale: float
    ) -> tuple:
        if kind not in LABEL_KINDS:
            raise InvalidInputError(f"unknown label kind {kind!r}; use one of {', '.join(LABEL_KINDS)}")
        if source not in LABEL_SOURCES:
            raise InvalidInputError(f"unknown label source {source!r}")
        s1, s2 = _clean_text(text1, "the first text"), _clean_text(text2, "the second text")
        s3 = None
        value: float | None = None
        used_scale: float | None = None
        if kind == TRIPLET:
            s3 = _clean_text(text3, "the negative text")
        elif text3 is not None:
            raise InvalidInputError("only triplets have a third text")
        if kind == PAIR_BINARY:
            value = _binary_value(label)
        elif kind == PAIR_SCORE:
            used_scale = float(scale)
            value = _score_value(label, used_scale)
        elif label is not None:
            raise InvalidInputError(f"{kind} labels carry no label value")
        return kind, s1, s2, s3, value, used_scale, source

    def _upsert_label(
        self, conn: Any, row: tuple, chunk1: int | None, chunk2: int | None, query: str | None
    ) -> tuple[int, bool]:
        """(label id, whether it is new)."""
        kind, s1, s2, s3, value, scale, source = row
        old = conn.execute(
            "SELECT id FROM labels WHERE kind = ? AND sentence1 = ? AND sentence2 = ? "
            "AND IFNULL(sentence3, '') = IFNULL(?, '')",
            (kind, s1, s2, s3),
        ).fetchone()
        if old:
            conn.execute(
                "UPDATE labels SET label = ?, scale = ?, source = ?, created_at = ?, "
                "chunk1 = IFNULL(?, chunk1), chunk2 = IFNULL(?, chunk2), query = IFNULL(?, query) "
                "WHERE id = ?",
                (value, scale, source, time.time(), chunk1, chunk2, query, old[0]),
            )
            return int(old[0]), False
        conn.execute(
            "INSERT INTO labels(kind, sentence1, sentence2, sentence3, label, scale, chunk1, chunk2, "
            "query, source, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (kind, s1, s2, s3, value, scale, chunk1, chunk2, query, source, time.time()),
        )
        return int(conn.last_insert_rowid()), True

    @writes(LABELS)
    def label_relevance(self, query: str, chunk_id: int, relevant: bool) -> int:
        """The window's relevant / not relevant on a result: a binary pair (query, passage)."""
        chunk = self.catalog.chunk(chunk_id)
        q = _clean_text(query, "the query")
        return self.add_label(PAIR_BINARY, q, chunk.text, label=bool(relevant), chunk2=chunk_id,
                               source="window", query=q)

    @writes(LABELS)
    def label_pair(self, chunk_a: int, chunk_b: int, similar: bool, source: str = "window") -> int:
        """Similar / not similar on two passages (find similar, duplicates)."""
        if chunk_a == chunk_b:
            raise InvalidInputError("a passage cannot be labelled against itself")
        first, second = sorted((chunk_a, chunk_b))
        a, b = self.catalog.chunk(first), self.catalog.chunk(second)
        return self.add_label(PAIR_BINARY, a.text, b.text, label=bool(similar), chunk1=first,
                              chunk2=second, source=source)

    @reads
    def marks(self, chunk_ids: list[int], query: str | None = None, source: int | None = None) -> dict[int, bool]:
        """How the person marked these passages (True: similar, False: not similar): for
        the search ``query``, or against the passage ``source`` (find similar)."""
        ids = [int(c) for c in chunk_ids]
        if not ids or (query is None and source is None):
            return {}
        marks = ",".join("?" * len(ids))
        if query is not None:
            rows = self.store.query(
                f"SELECT chunk2, label FROM labels WHERE kind = ? AND query = ? AND chunk2 IN ({marks})",
                (PAIR_BINARY, _clean_text(query, "the query"), *ids))
        else:
            rows = self.store.query(
                f"SELECT CASE WHEN chunk1 = ?1 THEN chunk2 ELSE chunk1 END, label FROM labels "
                f"WHERE kind = ?2 AND query IS NULL AND (chunk1 = ?1 OR chunk2 = ?1) "
                f"AND CASE WHEN chunk1 = ?1 THEN chunk2 ELSE chunk1 END IN ({marks})",
                (source, PAIR_BINARY, *ids))
        return {int(c): (label or 0) >= 0.5 for c, label in rows}

    @reads
    def labels(self, kind: str | None = None, limit: int | None = None, search: str | None = None) -> list[LabelInfo]:
        """Labels, newest first; ``search`` matches any of the texts or the query."""
        where, params = [], []
        if kind is not None:
            if kind not in LABEL_KINDS:
                raise InvalidInputError(f"unknown label kind {kind!r}; use one of {', '.join(LABEL_KINDS)}")
            where.append("kind = ?")
            params.append(kind)
        if search:
            like = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append("(sentence1 LIKE ? ESCAPE '\\' OR sentence2 LIKE ? ESCAPE '\\' "
                         "OR IFNULL(sentence3, '') LIKE ? ESCAPE '\\' OR IFNULL(query, '') LIKE ? ESCAPE '\\')")
            params.extend([like] * 4)
        sql = f"SELECT {_LABEL_COLS} FROM labels"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [LabelInfo(*r) for r in self.store.query(sql, tuple(params))]

    @reads
    def label_counts(self) -> dict[str, int]:
        counts = {k: 0 for k in LABEL_KINDS}
        for kind, n in self.store.query("SELECT kind, COUNT(*) FROM labels GROUP BY kind"):
            counts[kind] = int(n)
        return counts

    @writes(LABELS)
    def delete_labels(self, ids: list[int]) -> int:
        """Delete these labels. Returns how many existed."""
        deleted = 0
        with self.store.write() as conn:
            for label_id in {int(i) for i in ids}:
                conn.execute("DELETE FROM labels WHERE id = ?", (label_id,))
                deleted += conn.changes()
        return deleted

    @writes(LABELS)
    def import_labels(self, path: Path | str) -> ImportReport:
        """Import a CSV/TSV/JSONL label file: good rows in one transaction, each bad row
        reported with its line number and reason (see core/train/labels.py)."""
        from core.train.labels import parse_label_file

        parsed = parse_label_file(path)
        report = ImportReport(str(path), parsed.kind, parsed.scale, parsed.count, errors=parsed.errors)
        if not parsed.rows:
            return report
        with self.store.write() as conn:
            for _line, kind, texts, value in parsed.rows:
                label: float | None = value
                scale = 1.0
                if kind == PAIR_SCORE:
                    scale = parsed.scale or 1.0
                    label = (value or 0.0) * scale
                row = self._label_row(kind, texts[0], texts[1], label,
                                      texts[2] if len(texts) > 2 else None, "import", scale)
                _, new = self._upsert_label(conn, row, None, None, None)
                if new:
                    report.imported += 1
                else:
                    report.updated += 1
        return report

    @reads
    def export_labels(self, path: Path | str, kind: str | None = None) -> int:
        """Write labels of one kind to a CSV/TSV/JSONL file that import_labels reads back.
        Returns how many were written."""
        from core.train.labels import write_label_file

        counts = {k: n for k, n in self.label_counts().items() if n}
        if kind is None:
            if len(counts) > 1:
                raise InvalidInputError(
                    "the library has labels of several kinds (" + ", ".join(f"{n} {k}" for k, n in counts.items())
                    + "); export one kind at a time"
                )
            kind = next(iter(counts), PAIR_BINARY)
        labels = list(reversed(self.labels(kind=kind)))
        return write_label_file(path, kind, labels)

    def _forget_chunks_of(self, deleted: DocumentDeleted) -> None:
        """Labels keep their texts when a passage goes; they forget its id."""
        conn, doc_id = deleted.conn, deleted.document_id
        for col in ("chunk1", "chunk2"):
            conn.execute(
                f"UPDATE labels SET {col} = NULL WHERE {col} IN (SELECT id FROM chunks WHERE document_id = ?)",
                (doc_id,),
            )

    @reads
    def label(self, label_id: int) -> LabelInfo:
        row = self.store.query_one(f"SELECT {_LABEL_COLS} FROM labels WHERE id = ?", (label_id,))
        if row is None:
            raise NotFoundError(f"no label {label_id}")
        return LabelInfo(*row)


