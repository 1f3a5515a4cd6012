"""Model versions: which encoder the library searches with, which one it is filling,
and the one place an encoder is loaded.

A library holds one or more model versions (table ``models``), each with its own
vector table. One is *active* (searched); while a switch runs another is the *target*
(being encoded; see core/index/indexer.py's embed jobs), made active atomically once
every passage has its vector. Fine-tuned versions are added by core/train.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import core.index.jobs as jobs
from core import paths
from core.changes import DOCUMENTS, MODELS, QUEUE, reads, writes
from core.errors import InvalidInputError, LikewiseError, NotFoundError
from core.events import Events, ModelPreparing
from core.model_identity import content_hash, stamp
from core.settings import Settings
from core.store import Store, vec_table
from core.types import Encoder, ModelInfo

ACTIVE_MODEL_KEY = "active_model_id"
TARGET_MODEL_KEY = "target_model_id"   # a version being encoded, not yet searchable
CHOSEN_MODEL_KEY = "chosen_model_path"  # the base model the settings named when last opened:
#                                          its content hash (a path in libraries made before migration 6)
PRECISION_KEY = "vector_precision:{}"   # JSON {precision: vectors encoded} per model version

EncoderFactory = Callable[[Path], Encoder]


class ModelVersions:
    """The ``models`` table, the active/target keys and the loaded encoders.

    ``encoder_factory`` (tests) builds an encoder from a model path instead of loading
    one with core.encoder.
    """

    def __init__(self, store: Store, settings: Settings, events: Events,
                 encoder_factory: EncoderFactory | None = None) -> None:
        self.store = store
        self.settings = settings
        self.events = events
        self._encoder_factory = encoder_factory
        self._encoders: dict[int, Encoder] = {}
        self._encoder_lock = threading.RLock()
        self._chosen_model: Path | None = None   # the base model the settings name
        self.encoder_notes: list[str] = []   # e.g. "the int8 export failed its gate: fp32"

    # -- loading ----------------------------------------------------------------------
    @reads
    def load_encoder_for_path(self, path: Path, digest: str | None = None) -> Encoder:
        """The one place an encoder is loaded from a model folder: the fast int8 export
        on a CPU where it passes its gate, else the fp32 torch encoder
        (core/encoder/precision.py). ``digest``: the folder's content hash when the
        library already knows it (hashing the bundled model takes ~50 ms a start)."""
        if self._encoder_factory is not None:
            return self._encoder_factory(path)
        from core.encoder.precision import load_encoder

        return load_encoder(path, device=self.settings.device, precision=self.settings.precision,
                            notify=self.encoder_notes.append, stage=self._preparing, digest=digest)

    def _preparing(self, text: str, step: int, total: int) -> None:
        self.events.model_preparing.emit(ModelPreparing(text, step, total))

    def _describe_new(self, folder: Path) -> tuple[str, int, Encoder | None]:
        """Name and dimension of a model seen for the first time, and its encoder when
        loading it costs no more. A model whose int8 export is still to be made is read
        at fp32 for its shape only: the library opens in seconds, and the export (a
        minute or more) is made when the encoder is first asked for (in the window, in
        the background, with its progress told through ``events.model_preparing``)."""
        if self._encoder_factory is None:
            from core.encoder.precision import will_export

            if will_export(folder, self.settings.device, self.settings.precision):
                from core.encoder.precision import export_reason, load_fp32

                shape = load_fp32(folder, "cpu", export_reason(folder))
                return shape.name, shape.dim, None
        encoder = self.load_encoder_for_path(folder)
        return encoder.name, encoder.dim, encoder

    @writes()
    def record_precision(self, model_id: int, precision: str, vectors: int) -> None:
        """Count ``vectors`` newly encoded for ``model_id`` at ``precision`` (fp32, fp16,
        int8-openvino, int8-onnxruntime): a model version's vectors made by different
        precisions are told apart."""
        if vectors <= 0:
            return
        key = PRECISION_KEY.format(model_id)
        with self.store.write() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            counts = json.loads(row[0]) if row and row[0] else {}
            counts[precision] = int(counts.get(precision, 0)) + int(vectors)
            self.store.set_meta(conn, key, json.dumps(counts, sort_keys=True))

    @reads
    def vector_precisions(self, model_id: int | None = None) -> dict[str, int]:
        """Vectors encoded per precision for a model version (the active one by default)."""
        model_id = self.active_model_id() if model_id is None else model_id
        value = self.store.get_meta(PRECISION_KEY.format(model_id))
        return {k: int(v) for k, v in json.loads(value).items()} if value else {}

    @reads
    def encoder(self, model_id: int | None = None) -> Encoder:
        """The encoder of a model version (the active one by default), loaded once."""
        model_id = self.active_model_id() if model_id is None else model_id
        with self._encoder_lock:
            enc = self._encoders.get(model_id)
            if enc is None:
                folder = self.model_folder(model_id)
                enc = self.load_encoder_for_path(folder, self._known_digest(model_id, folder))
                self._encoders[model_id] = enc
            return enc

    @writes()
    def ensure_model(self, model_path: Path) -> None:
        """Make sure a model row exists for ``model_path`` and some model is active.

        The row is found by the model's content (core/model_identity.py), not its path:
        after the application folder moves, or when a venv and a packaged app open the
        same library in turn, the bundled model is the same row and nothing is re-encoded.
        """
        folder = Path(model_path)
        self._chosen_model = folder
        key = str(folder.resolve()) if folder.exists() else str(folder)
        found, digest = find_model(self.store, folder, key)
        active = self.store.get_meta(ACTIVE_MODEL_KEY)
        chosen = self.store.get_meta(CHOSEN_MODEL_KEY)
        if found is None:
            name, dim, encoder = self._describe_new(folder)
            found = adopt_lost_row(self.store, name, dim, key, digest)
            if found is not None:
                if encoder is not None:
                    self._encoders[found.id] = encoder
            else:
                self._add_base_model(name, dim, encoder, key, digest, active)
        if found is not None:
            same_choice = chosen in (None, key, found.previous_path, digest)
            if active is None:
                with self.store.write() as conn:
                    self.store.set_meta(conn, ACTIVE_MODEL_KEY, str(found.id))
            elif int(active) != found.id and self.target_model_id() != found.id and not same_choice:
                # The settings now name another base model than last time. (A version
                # activated by the user, e.g. a fine-tuned one, stays active otherwise.)
                self.begin_switch(found.id)
        identity = digest or key
        if chosen != identity:
            with self.store.write() as conn:
                self.store.set_meta(conn, CHOSEN_MODEL_KEY, identity)

    def _add_base_model(self, name: str, dim: int, encoder: Encoder | None, key: str,
                        digest: str | None, active: str | None) -> None:
        mark = stamp(key) if digest else None
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO models(name, path, dim, kind, created_at, content_hash, content_stamp) "
                "VALUES (?,?,?,?,?,?,?)",
                (name, key, dim, "base", time.time(), digest, mark),
            )
            model_id = conn.last_insert_rowid()
            self.store.ensure_vec_table(conn, model_id, dim)
            if active is None:
                self.store.set_meta(conn, ACTIVE_MODEL_KEY, str(model_id))
        if encoder is not None:
            self._encoders[model_id] = encoder
        if active is not None and int(active) != model_id:
            # A different base model was chosen in the settings: it becomes the
            # target; the library is re-encoded in the background, then switched.
            self.begin_switch(model_id)

    @reads
    def model_folder(self, model_id: int) -> Path:
        """Where a model version's folder is now: its remembered path, or, when that is
        gone (a moved application folder), a folder with the same content."""
        path = Path(self.model_row(model_id)["path"])
        if path.is_dir():
            return path
        candidates = [paths.models_dir() / path.name]
        if self._chosen_model is not None:
            candidates.insert(0, self._chosen_model)
        for where in (self.settings.resolved_model_path, paths.default_model_path):
            try:
                candidates.append(Path(where()))
            except LikewiseError:
                continue
        return relocate(self.store, model_id, candidates) or path

    # -- which version ------------------------------------------------------------------
    @reads
    def active_model_id(self) -> int:
        value = self.store.get_meta(ACTIVE_MODEL_KEY)
        if value is None:
            raise NotFoundError("the library has no active model")
        return int(value)

    @reads
    def target_model_id(self) -> int | None:
        value = self.store.get_meta(TARGET_MODEL_KEY)
        return int(value) if value else None

    @reads
    def model_row(self, model_id: int) -> dict:
        row = self.store.query_one(
            "SELECT id, name, path, dim, kind, parent_id, created_at, report FROM models WHERE id = ?",
            (model_id,),
        )
        if row is None:
            raise NotFoundError(f"no model version {model_id}")
        keys = ("id", "name", "path", "dim", "kind", "parent_id", "created_at", "report")
        return dict(zip(keys, row, strict=True))

    def _known_digest(self, model_id: int, folder: Path) -> str | None:
        """The content hash the row holds for ``folder``, when the folder's stamp (names,
        sizes, times of its files) is the one recorded with it: nothing changed since."""
        row = self.store.query_one("SELECT path, content_hash, content_stamp FROM models WHERE id = ?",
                                   (model_id,))
        if row is None or not row[1] or not row[2] or Path(row[0]) != folder:
            return None
        return str(row[1]) if stamp(folder) == row[2] else None

    @reads
    def content_hash_of(self, model_id: int) -> str:
        """A model version's content hash (core/model_identity.py), computed from its
        folder when the row has none yet (rows made before migration 6)."""
        row = self.store.query_one("SELECT content_hash FROM models WHERE id = ?", (model_id,))
        if row is None:
            raise NotFoundError(f"no model version {model_id}")
        return row[0] or content_hash(self.model_folder(model_id))

    @reads
    def model_id_by_hash(self, digest: str) -> int | None:
        """The model version with this content hash, if the library has one."""
        row = self.store.query_one("SELECT id FROM models WHERE content_hash = ? ORDER BY id LIMIT 1",
                                   (digest,))
        return int(row[0]) if row else None

    @reads
    def models_to_fill(self) -> list[int]:
        """Model versions every newly indexed document must be encoded with."""
        ids = [self.active_model_id()]
        target = self.target_model_id()
        if target is not None and target not in ids:
            ids.append(target)
        return ids

    @reads
    def models(self) -> list[ModelInfo]:
        """Every model version, with which is active / the target and how many passages
        have a vector of it."""
        total = self.store.count("SELECT COUNT(*) FROM chunks")
        active = self.active_model_id()
        target = self.target_model_id()
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
        if not self.store.vec_table_exists(model_id):
            return 0
        return self.store.count(f"SELECT COUNT(*) FROM chunks c JOIN {vec_table(model_id)} v ON v.chunk_id = c.id")

    @reads
    def training_report(self, model_id: int) -> dict | None:
        report = self.model_row(model_id)["report"]
        return json.loads(report) if report else None

    @writes()
    def add_finetuned(self, name: str, path: Path, dim: int, parent_id: int, report: dict) -> int:
        """Record a version trained from ``parent_id`` (not activated). Returns its id."""
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO models(name, path, dim, kind, parent_id, created_at, report, "
                "content_hash, content_stamp) VALUES (?,?,?,?,?,?,?,?,?)",
                (name, str(path.resolve()), dim, "finetuned", parent_id, time.time(),
                 json.dumps(report), content_hash(path), stamp(path)),
            )
            return int(conn.last_insert_rowid())

    @reads
    def names(self) -> set[str]:
        return {r[0] for r in self.store.query("SELECT name FROM models")}

    # -- switching ------------------------------------------------------------------------
    @writes(MODELS, DOCUMENTS, QUEUE, long=True)
    def begin_switch(self, model_id: int) -> None:
        """Start re-encoding the library with ``model_id``; search keeps the active
        model until every chunk has a vector of the new one (see core/index/indexer.py)."""
        self.model_row(model_id)
        with self.store.write() as conn:
            if str(model_id) == self.store.get_meta(ACTIVE_MODEL_KEY):
                self.store.set_meta(conn, TARGET_MODEL_KEY, None)
                return
            self.store.set_meta(conn, TARGET_MODEL_KEY, str(model_id))
            dim = self.model_row(model_id)["dim"]
            self.store.ensure_vec_table(conn, model_id, dim)
            jobs.embed_all_documents(conn, model_id)

    @reads
    def switch_progress(self) -> tuple[int, int] | None:
        """(chunks with a vector of the target model, all chunks), or None when no switch runs."""
        target = self.target_model_id()
        if target is None:
            return None
        total = self.store.count("SELECT COUNT(*) FROM chunks")
        done = self.store.count(f"SELECT COUNT(*) FROM chunks c JOIN {vec_table(target)} v ON v.chunk_id = c.id")
        return done, total

    @writes()
    def maybe_finish_switch(self) -> bool:
        """Make the target model active once every chunk has its vector (atomically)."""
        target = self.target_model_id()
        if target is None:
            return False
        with self.store.write() as conn:
            pending = jobs.embed_jobs_waiting(conn, target)
            missing = _count_in(conn, f"SELECT COUNT(*) FROM chunks c LEFT JOIN {vec_table(target)} v "
                                "ON v.chunk_id = c.id WHERE v.chunk_id IS NULL")
            if pending or missing:
                if not pending and missing:
                    jobs.embed_documents_missing(conn, target, vec_table(target))
                return False
            self.store.set_meta(conn, ACTIVE_MODEL_KEY, str(target))
            self.store.set_meta(conn, TARGET_MODEL_KEY, None)
        self._forget_other_encoders()
        self.events.model_switched.emit(target)
        return True

    @writes(MODELS, DOCUMENTS, QUEUE, long=True)
    def activate(self, model_id: int) -> bool:
        """Make ``model_id`` the searched model. When every passage already has its
        vector (a version used before), the switch is immediate and True is returned;
        otherwise the library is re-encoded in the background by the indexer's queue
        (search keeps the current model until then) and False is returned."""
        row = self.model_row(model_id)
        if model_id == self.active_model_id():
            self._drop_switch()
            return True
        if self.store.vec_table_exists(model_id):
            with self.store.write() as conn:
                missing = _count_in(conn, f"SELECT COUNT(*) FROM chunks c LEFT JOIN {vec_table(model_id)} v "
                                    "ON v.chunk_id = c.id WHERE v.chunk_id IS NULL")
                if not missing:
                    self.store.set_meta(conn, ACTIVE_MODEL_KEY, str(model_id))
                    self.store.set_meta(conn, TARGET_MODEL_KEY, None)
                    jobs.drop_embed_jobs(conn)
                    switched = True
                else:
                    switched = False
            if switched:
                self._forget_other_encoders()
                self.events.model_switched.emit(model_id)
                return True
        self._drop_switch(keep=model_id)
        self.begin_switch(row["id"])
        return False

    def _forget_other_encoders(self) -> None:
        """After a switch: only the active model's encoder stays loaded (another one is
        loaded again if asked for; each holds its weights in memory)."""
        keep = {self.active_model_id(), self.target_model_id()}
        with self._encoder_lock:
            for mid in [m for m in self._encoders if m not in keep]:
                del self._encoders[mid]

    def _drop_switch(self, keep: int | None = None) -> None:
        """Forget a switch in progress (its embed jobs), except to ``keep``."""
        with self.store.write() as conn:
            if keep is None or self.target_model_id() != keep:
                self.store.set_meta(conn, TARGET_MODEL_KEY, None)
            # the active model's embed jobs are new documents' vectors still to come: they stay
            jobs.drop_embed_jobs(conn, keep=(keep or 0, self.active_model_id()))

    # -- deleting -------------------------------------------------------------------------
    @writes(MODELS)
    def delete(self, model_id: int) -> None:
        """Delete a model version: its vectors, and its folder when Likewise made it.
        The active model cannot be deleted; deleting the target stops the switch."""
        row = self.model_row(model_id)
        if model_id == self.active_model_id():
            raise InvalidInputError("the active model cannot be deleted; activate another one first")
        if model_id == self.target_model_id():
            self._drop_switch()
        with self.store.write() as conn:
            conn.execute(f"DROP TABLE IF EXISTS {vec_table(model_id)}")
            jobs.drop_embed_jobs(conn, model_id)
            conn.execute("UPDATE models SET parent_id = NULL WHERE parent_id = ?", (model_id,))
            conn.execute("DELETE FROM models WHERE id = ?", (model_id,))
        with self._encoder_lock:
            self._encoders.pop(model_id, None)
        folder = Path(row["path"])
        root = paths.models_dir().resolve()
        if row["kind"] == "finetuned" and folder.exists() and root in folder.resolve().parents:
            shutil.rmtree(folder, ignore_errors=True)

    @writes(MODELS)
    def discard(self, model_id: int) -> None:
        """Throw away a freshly trained version (the Train dialog's Discard)."""
        row = self.model_row(model_id)
        if row["kind"] != "finetuned":
            raise InvalidInputError(f"model {model_id} is not a fine-tuned version")
        self.delete(model_id)


def _count_in(conn: Any, sql: str, params: tuple = ()) -> int:
    """A COUNT inside an open write."""
    row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


# -- finding a models row by content (core/model_identity.py hashes) -------------------
@dataclass
class Found:
    """A models row that holds the chosen folder's model."""

    id: int
    previous_path: str   # where the row said the model was before this match
    digest: str | None   # None only when the folder does not exist


def find_model(store: Any, folder: Path, key: str) -> tuple[Found | None, str | None]:
    """The row of the model in ``folder`` (``key``: its resolved path), found by content.

    Returns (row or None, the folder's content hash or None when the folder is missing).
    A row found elsewhere is moved to ``key``; rows from before content hashes (NULL)
    whose folder still exists are hashed on the way, so they are matched too.
    """
    if not folder.is_dir():
        row = store.query_one("SELECT id FROM models WHERE path = ?", (key,))
        return (Found(int(row[0]), key, None) if row else None), None
    mark = stamp(folder)
    row = store.query_one(
        "SELECT id, content_hash FROM models WHERE path = ? AND content_stamp = ? "
        "AND content_hash IS NOT NULL ORDER BY id LIMIT 1", (key, mark))
    if row:
        return Found(int(row[0]), key, row[1]), row[1]
    digest = content_hash(folder)
    _hash_legacy_rows(store, key, digest, mark)
    row = store.query_one(
        "SELECT id, path FROM models WHERE content_hash = ? ORDER BY (path = ?) DESC, id LIMIT 1",
        (digest, key))
    if row is None:
        return None, digest
    set_location(store, int(row[0]), key, digest, mark)
    return Found(int(row[0]), row[1], digest), digest


def _hash_legacy_rows(store: Any, key: str, digest: str, mark: str) -> None:
    """Fill content_hash of rows made before it existed, where their folder still is."""
    for model_id, path in store.query("SELECT id, path FROM models WHERE content_hash IS NULL"):
        if path == key:
            set_location(store, int(model_id), key, digest, mark)
        elif Path(path).is_dir():
            set_location(store, int(model_id), path, content_hash(path), stamp(path))


def adopt_lost_row(store: Any, name: str, dim: int, key: str, digest: str | None) -> Found | None:
    """A base model row from before content hashes whose folder is gone (the app that
    held it moved): the chosen model of the same name and dimension takes it over."""
    for model_id, path in store.query(
        "SELECT id, path FROM models WHERE content_hash IS NULL AND kind = 'base' "
        "AND name = ? AND dim = ? ORDER BY id", (name, dim)):
        if not Path(path).exists():
            set_location(store, int(model_id), key, digest, stamp(key) if digest else None)
            return Found(int(model_id), path, digest)
    return None


def relocate(store: Any, model_id: int, candidates: list[Path]) -> Path | None:
    """Find the folder of a model whose remembered path is gone among ``candidates``
    (the bundled model, the chosen one, the user's models folder), by content."""
    row = store.query_one("SELECT content_hash FROM models WHERE id = ?", (model_id,))
    if row is None or row[0] is None:
        return None
    for folder in candidates:
        if folder.is_dir() and content_hash(folder) == row[0]:
            found = folder.resolve()
            set_location(store, model_id, str(found), row[0], stamp(found))
            return found
    return None


def set_location(store: Any, model_id: int, path: str, digest: str | None, mark: str | None) -> None:
    with store.write() as conn:
        conn.execute(
            "UPDATE models SET path = ?, content_hash = ?, content_stamp = ? WHERE id = ?",
            (path, digest, mark, model_id))
