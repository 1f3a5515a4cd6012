"""Labels, fine-tuning and model versions part of the Library facade (issue 7).

Labels live in the library file (table ``labels``). Training starts from the active
model, holds out a stratified share of the labels, measures before and after on that
share and on general pairs (forgetting), and saves a new model version in the
sentence-transformers folder format under the user's data folder. A version is not
used until it is activated: then the indexer re-encodes the library in the background
and switches atomically when every passage has its new vector (core/index)."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

from core import model_identity, paths
from core.cancel import CancelToken
from core.errors import InvalidInputError, NotFoundError, TrainingError
from core.train.types import (
    LABEL_KINDS,
    LABEL_SOURCES,
    PAIR_BINARY,
    PAIR_SCORE,
    TRIPLET,
    ImportReport,
    LabelInfo,
    ModelInfo,
    TrainPlan,
    TrainProgress,
    TrainResult,
)

_LABEL_COLS = ("id, kind, sentence1, sentence2, sentence3, label, scale, chunk1, chunk2, query, "
               "source, created_at")
MIN_TRAIN_EXAMPLES = 2
REPORT_FILE = "training_report.json"


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


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "model"


class TrainingMixin:
    store: Any
    settings: Any

    # -- labels ---------------------------------------------------------------------------
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

    def label_relevance(self, query: str, chunk_id: int, relevant: bool) -> int:
        """The window's relevant / not relevant on a result: a binary pair (query, passage)."""
        chunk = self.chunk(chunk_id)  # type: ignore[attr-defined]
        q = _clean_text(query, "the query")
        return self.add_label(PAIR_BINARY, q, chunk.text, label=bool(relevant), chunk2=chunk_id,
                               source="window", query=q)

    def label_pair(self, chunk_a: int, chunk_b: int, similar: bool, source: str = "window") -> int:
        """Similar / not similar on two passages (find similar, duplicates)."""
        if chunk_a == chunk_b:
            raise InvalidInputError("a passage cannot be labelled against itself")
        first, second = sorted((chunk_a, chunk_b))
        a, b = self.chunk(first), self.chunk(second)  # type: ignore[attr-defined]
        return self.add_label(PAIR_BINARY, a.text, b.text, label=bool(similar), chunk1=first,
                              chunk2=second, source=source)

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

    def label_counts(self) -> dict[str, int]:
        counts = {k: 0 for k in LABEL_KINDS}
        for kind, n in self.store.query("SELECT kind, COUNT(*) FROM labels GROUP BY kind"):
            counts[kind] = int(n)
        return counts

    def delete_labels(self, ids: list[int]) -> int:
        """Delete these labels. Returns how many existed."""
        deleted = 0
        with self.store.write() as conn:
            for label_id in {int(i) for i in ids}:
                conn.execute("DELETE FROM labels WHERE id = ?", (label_id,))
                deleted += conn.changes()
        return deleted

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

    def _on_document_deleted(self, conn: Any, doc_id: int) -> None:
        """Labels keep their texts when a passage goes; they forget its id."""
        for col in ("chunk1", "chunk2"):
            conn.execute(
                f"UPDATE labels SET {col} = NULL WHERE {col} IN (SELECT id FROM chunks WHERE document_id = ?)",
                (doc_id,),
            )

    # -- training -------------------------------------------------------------------------
    def train_plan(self, loss: str | None = None) -> TrainPlan:
        """Which loss training would use with the labels now in the library, and why."""
        from core.train.data import example_of
        from core.train.losses import LOSS_DESCRIPTIONS, canonical_loss, choose_loss, usable

        counts = self.label_counts()
        if loss:
            name = canonical_loss(loss)
            reason = f"chosen by you: {LOSS_DESCRIPTIONS[name]}"
        else:
            name, reason = choose_loss(counts)
        used: Counter[str] = Counter()
        unused: Counter[str] = Counter()
        for lab in self.labels():
            (used if usable(name, example_of(lab)) is not None else unused)[lab.kind] += 1
        return TrainPlan(name, reason, counts, dict(used), dict(unused))

    def train(
        self,
        loss: str | None = None,
        epochs: int = 1,
        held_out: float = 0.2,
        batch_size: int = 16,
        lr: float = 2e-5,
        seed: int = 42,
        device: str | None = None,
        progress: Any = None,
        cancel: CancelToken | None = None,
        general_pairs: Path | str | None = None,
        check_forgetting: bool = True,
        name: str | None = None,
    ) -> TrainResult:
        """Fine-tune the active model on the labels; save a new version (not activated)."""
        from core.train.run import TrainingRun

        if not 0.0 <= held_out < 1.0:
            raise TrainingError("the held-out share must be at least 0 and below 1")
        plan = self.train_plan(loss)
        parent_id = self.active_model_id()  # type: ignore[attr-defined]
        parent = self.model_row(parent_id)  # type: ignore[attr-defined]
        parent["path"] = str(self._model_folder(parent_id))  # type: ignore[attr-defined]
        run = TrainingRun(
            labels=self.labels(), plan=plan, parent=parent, epochs=epochs, held_out=held_out,
            batch_size=batch_size, lr=lr, seed=seed, device=device or self.settings.device,
            progress=progress, cancel=cancel,
            general_pairs=(Path(general_pairs) if general_pairs else None) if check_forgetting else False,
        )
        folder_name = self._new_model_name(name or f"{_slug(parent['name'])}-ft")
        target = paths.models_dir() / folder_name
        report = run.execute(target)
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO models(name, path, dim, kind, parent_id, created_at, report, "
                "content_hash, content_stamp) VALUES (?,?,?,?,?,?,?,?,?)",
                (folder_name, str(target.resolve()), run.dim, "finetuned", parent_id, time.time(),
                 json.dumps(report), model_identity.content_hash(target), model_identity.stamp(target)),
            )
            model_id = int(conn.last_insert_rowid())
        report["model_id"] = model_id
        (target / REPORT_FILE).write_text(json.dumps(report, indent=2), encoding="utf-8")
        if progress:
            progress(TrainProgress("done", run.total_steps, run.total_steps, None, 0.0,
                                   message=f"saved as model {model_id}"))
        return TrainResult(
            model_id=model_id, name=folder_name, path=str(target), loss=plan.loss, loss_reason=plan.reason,
            before=report["before"], after=report["after"], forgetting=report.get("forgetting"),
            held_out_ids=report["labels"]["held_out_ids"], warnings=report["warnings"],
            seconds=report["seconds"], report=report,
        )

    def _new_model_name(self, stem: str) -> str:
        base = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
        name, n = base, 1
        taken = {r[0] for r in self.store.query("SELECT name FROM models")}
        while name in taken or (paths.models_dir() / name).exists():
            n += 1
            name = f"{base}-{n}"
        return name

    # -- model versions -------------------------------------------------------------------
    def models(self) -> list[ModelInfo]:
        """Every model version, with which is active / the target and how many passages
        have a vector of it."""
        total = int(self.store.query_one("SELECT COUNT(*) FROM chunks")[0])
        active = self.active_model_id()  # type: ignore[attr-defined]
        target = self.target_model_id()  # type: ignore[attr-defined]
        out = []
        for mid, name, path, dim, kind, parent, created, report in self.store.query(
            "SELECT id, name, path, dim, kind, parent_id, created_at, report FROM models ORDER BY id"
        ):
            out.append(ModelInfo(
                mid, name, path, dim, kind, parent, created, mid == active, mid == target,
                self._vector_count(mid), total, json.loads(report) if report else None,
            ))
        return out

    def _vector_count(self, model_id: int) -> int:
        from core.store import vec_table

        if not self.store.vec_table_exists(model_id):
            return 0
        row = self.store.query_one(
            f"SELECT COUNT(*) FROM chunks c JOIN {vec_table(model_id)} v ON v.chunk_id = c.id"
        )
        return int(row[0])

    def activate_model(self, model_id: int) -> bool:
        """Make ``model_id`` the searched model. When every passage already has its
        vector (a version used before), the switch is immediate and True is returned;
        otherwise the library is re-encoded in the background by the indexer's queue
        (search keeps the current model until then) and False is returned."""
        from core.library import ACTIVE_MODEL_KEY, TARGET_MODEL_KEY
        from core.store import vec_table

        row = self.model_row(model_id)  # type: ignore[attr-defined]
        if model_id == self.active_model_id():  # type: ignore[attr-defined]
            self._drop_switch()
            return True
        if self.store.vec_table_exists(model_id):
            with self.store.write() as conn:
                missing = conn.execute(
                    f"SELECT COUNT(*) FROM chunks c LEFT JOIN {vec_table(model_id)} v "
                    "ON v.chunk_id = c.id WHERE v.chunk_id IS NULL"
                ).fetchone()[0]
                if not missing:
                    self.store.set_meta(conn, ACTIVE_MODEL_KEY, str(model_id))
                    self.store.set_meta(conn, TARGET_MODEL_KEY, None)
                    conn.execute("DELETE FROM jobs WHERE kind = 'embed'")
                    return True
        self._drop_switch(keep=model_id)
        self.begin_model_switch(row["id"])  # type: ignore[attr-defined]
        return False

    def _drop_switch(self, keep: int | None = None) -> None:
        """Forget a switch in progress (its embed jobs), except to ``keep``."""
        from core.library import TARGET_MODEL_KEY

        with self.store.write() as conn:
            if keep is None or self.target_model_id() != keep:  # type: ignore[attr-defined]
                self.store.set_meta(conn, TARGET_MODEL_KEY, None)
            conn.execute("DELETE FROM jobs WHERE kind = 'embed' AND IFNULL(model_id, 0) != ?", (keep or 0,))

    def delete_model(self, model_id: int) -> None:
        """Delete a model version: its vectors, and its folder when Likewise made it.
        The active model cannot be deleted; deleting the target stops the switch."""
        from core.store import vec_table

        row = self.model_row(model_id)  # type: ignore[attr-defined]
        if model_id == self.active_model_id():  # type: ignore[attr-defined]
            raise InvalidInputError("the active model cannot be deleted; activate another one first")
        if model_id == self.target_model_id():  # type: ignore[attr-defined]
            self._drop_switch()
        with self.store.write() as conn:
            conn.execute(f"DROP TABLE IF EXISTS {vec_table(model_id)}")
            conn.execute("DELETE FROM jobs WHERE kind = 'embed' AND model_id = ?", (model_id,))
            conn.execute("UPDATE models SET parent_id = NULL WHERE parent_id = ?", (model_id,))
            conn.execute("DELETE FROM models WHERE id = ?", (model_id,))
        encoders = getattr(self, "_encoders", {})
        lock = getattr(self, "_encoder_lock", None)
        if lock is not None:
            with lock:
                encoders.pop(model_id, None)
        folder = Path(row["path"])
        root = paths.models_dir().resolve()
        if row["kind"] == "finetuned" and folder.exists() and root in folder.resolve().parents:
            shutil.rmtree(folder, ignore_errors=True)

    def discard_model(self, model_id: int) -> None:
        """Throw away a freshly trained version (the Train dialog's Discard)."""
        row = self.model_row(model_id)  # type: ignore[attr-defined]
        if row["kind"] != "finetuned":
            raise InvalidInputError(f"model {model_id} is not a fine-tuned version")
        self.delete_model(model_id)

    def training_report(self, model_id: int) -> dict | None:
        report = self.model_row(model_id)["report"]  # type: ignore[attr-defined]
        return json.loads(report) if report else None

    def label(self, label_id: int) -> LabelInfo:
        row = self.store.query_one(f"SELECT {_LABEL_COLS} FROM labels WHERE id = ?", (label_id,))
        if row is None:
            raise NotFoundError(f"no label {label_id}")
        return LabelInfo(*row)

