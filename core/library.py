"""The one facade that the GUI and the CLI call.

The facade is composed from one part per capability (indexing, search, watching,
training, discovery), each in its own package; this module holds what they share:
the store, the settings, the lazily loaded encoder and the model versions.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.dupes.facade import DupesMixin
from core.errors import InvalidInputError, NotFoundError
from core.index.facade import IndexingMixin
from core.pathnames import display, from_db, to_db
from core.search.facade import SearchMixin
from core.settings import Settings
from core.store import Store
from core.train.facade import TrainingMixin
from core.types import ChunkInfo, DocumentInfo, FolderInfo
from core.watch.facade import WatchMixin

if TYPE_CHECKING:  # pragma: no cover
    from core.encoder import SentenceEncoder

ACTIVE_MODEL_KEY = "active_model_id"
TARGET_MODEL_KEY = "target_model_id"   # a version being encoded, not yet searchable
CHOSEN_MODEL_KEY = "chosen_model_path"  # the base model the settings named when last opened
PRECISION_KEY = "vector_precision:{}"   # JSON {precision: vectors encoded} per model version


class Library(IndexingMixin, SearchMixin, WatchMixin, TrainingMixin, DupesMixin):
    """A library file plus the encoder that fills it.

    ``encoder_factory`` (tests) builds an encoder from a model path instead of loading
    one with core.encoder.
    """

    def __init__(
        self,
        path: Path | str | None = None,
        settings: Settings | None = None,
        model_path: Path | str | None = None,
        encoder_factory: Any = None,
    ) -> None:
        self.settings = settings or Settings.load()
        self.path = Path(path) if path else self.settings.resolved_library_path()
        self.store = Store(self.path)
        self._encoder_factory = encoder_factory
        self._encoders: dict[int, SentenceEncoder] = {}
        self._encoder_lock = threading.RLock()
        self.encoder_notes: list[str] = []   # e.g. "the int8 export failed its gate: fp32"
        self._closed = False
        base = Path(model_path) if model_path else self.settings.resolved_model_path()
        self._ensure_model(base)
        for part in (IndexingMixin, SearchMixin, WatchMixin, TrainingMixin, DupesMixin):
            init = part.__dict__.get("_init_part")
            if init:
                init(self)

    # -- lifecycle ------------------------------------------------------------------
    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for part in (WatchMixin, IndexingMixin, SearchMixin, TrainingMixin, DupesMixin):
            closer = part.__dict__.get("_close_part")
            if closer:
                closer(self)
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- models -------------------------------------------------------------------
    def _load_encoder_for_path(self, path: Path) -> SentenceEncoder:
        """The one place where the library gets an encoder: the fast int8 export on a
        CPU where it passes its gate, else the fp32 torch encoder (core.encoder.precision)."""
        if self._encoder_factory is not None:
            return self._encoder_factory(path)
        from core.encoder.precision import load_encoder

        return load_encoder(path, device=self.settings.device, precision=self.settings.precision,
                            notify=self.encoder_notes.append)

    def _ensure_model(self, model_path: Path) -> None:
        """Make sure a model row exists for ``model_path`` and some model is active."""
        key = str(Path(model_path).resolve()) if Path(model_path).exists() else str(model_path)
        row = self.store.query_one("SELECT id FROM models WHERE path = ?", (key,))
        active = self.store.get_meta(ACTIVE_MODEL_KEY)
        if row is None:
            encoder = self._load_encoder_for_path(Path(model_path))
            with self.store.write() as conn:
                conn.execute(
                    "INSERT INTO models(name, path, dim, kind, created_at) VALUES (?,?,?,?,?)",
                    (encoder.name, key, encoder.dim, "base", time.time()),
                )
                model_id = conn.last_insert_rowid()
                self.store.ensure_vec_table(conn, model_id, encoder.dim)
                if active is None:
                    self.store.set_meta(conn, ACTIVE_MODEL_KEY, str(model_id))
            self._encoders[model_id] = encoder
            if active is not None and int(active) != model_id:
                # A different base model was chosen in the settings: it becomes the
                # target; the library is re-encoded in the background, then switched.
                self.begin_model_switch(model_id)
        elif active is None:
            with self.store.write() as conn:
                self.store.set_meta(conn, ACTIVE_MODEL_KEY, str(row[0]))
        elif (
            int(active) != row[0]
            and self.target_model_id() != row[0]
            and self.store.get_meta(CHOSEN_MODEL_KEY) not in (None, key)
        ):
            # The settings now name another base model than last time. (A version
            # activated by the user, e.g. a fine-tuned one, stays active otherwise.)
            self.begin_model_switch(row[0])
        if self.store.get_meta(CHOSEN_MODEL_KEY) != key:
            with self.store.write() as conn:
                self.store.set_meta(conn, CHOSEN_MODEL_KEY, key)

    def active_model_id(self) -> int:
        value = self.store.get_meta(ACTIVE_MODEL_KEY)
        if value is None:
            raise NotFoundError("the library has no active model")
        return int(value)

    def target_model_id(self) -> int | None:
        value = self.store.get_meta(TARGET_MODEL_KEY)
        return int(value) if value else None

    def model_row(self, model_id: int) -> dict:
        row = self.store.query_one(
            "SELECT id, name, path, dim, kind, parent_id, created_at, report FROM models WHERE id = ?",
            (model_id,),
        )
        if row is None:
            raise NotFoundError(f"no model version {model_id}")
        keys = ("id", "name", "path", "dim", "kind", "parent_id", "created_at", "report")
        return dict(zip(keys, row, strict=True))

    def encoder(self, model_id: int | None = None) -> SentenceEncoder:
        """The encoder of a model version (the active one by default), loaded once."""
        model_id = self.active_model_id() if model_id is None else model_id
        with self._encoder_lock:
            enc = self._encoders.get(model_id)
            if enc is None:
                enc = self._load_encoder_for_path(Path(self.model_row(model_id)["path"]))
                self._encoders[model_id] = enc
            return enc

    def record_precision(self, model_id: int, precision: str, vectors: int) -> None:
        """Count ``vectors`` newly encoded for ``model_id`` at ``precision`` (int8, fp32,
        fp16): a model version's vectors made by different precisions are told apart."""
        if vectors <= 0:
            return
        with self.store.write() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?",
                               (PRECISION_KEY.format(model_id),)).fetchone()
            counts = json.loads(row[0]) if row and row[0] else {}
            counts[precision] = int(counts.get(precision, 0)) + int(vectors)
            self.store.set_meta(conn, PRECISION_KEY.format(model_id), json.dumps(counts, sort_keys=True))

    def vector_precisions(self, model_id: int | None = None) -> dict[str, int]:
        """Vectors encoded per precision for a model version (the active one by default)."""
        model_id = self.active_model_id() if model_id is None else model_id
        value = self.store.get_meta(PRECISION_KEY.format(model_id))
        return {k: int(v) for k, v in json.loads(value).items()} if value else {}

    def models_to_fill(self) -> list[int]:
        """Model versions every newly indexed document must be encoded with."""
        ids = [self.active_model_id()]
        target = self.target_model_id()
        if target is not None and target not in ids:
            ids.append(target)
        return ids

    def begin_model_switch(self, model_id: int) -> None:
        """Start re-encoding the library with ``model_id``; search keeps the active
        model until every chunk has a vector of the new one (see IndexingMixin)."""
        self.model_row(model_id)
        with self.store.write() as conn:
            if str(model_id) == self.store.get_meta(ACTIVE_MODEL_KEY):
                self.store.set_meta(conn, TARGET_MODEL_KEY, None)
                return
            self.store.set_meta(conn, TARGET_MODEL_KEY, str(model_id))
            dim = self.model_row(model_id)["dim"]
            self.store.ensure_vec_table(conn, model_id, dim)
            conn.execute(
                "INSERT OR IGNORE INTO jobs(kind, document_id, model_id, created_at) "
                "SELECT 'embed', d.id, ?, ? FROM documents d WHERE d.status = 'indexed'",
                (model_id, time.time()),
            )

    # -- folders --------------------------------------------------------------------
    def add_folder(self, path: Path | str, follow_links: bool | None = None) -> FolderInfo:
        """Watch a folder (an OS path). Links inside it that lead elsewhere are followed
        only with ``follow_links`` (default: the setting of that name)."""
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise InvalidInputError(f"not a folder: {display(str(folder))}")
        folder = folder.resolve()
        follow = self.settings.follow_links if follow_links is None else follow_links
        for (existing,) in self.store.query("SELECT path FROM folders"):
            existing = from_db(existing)
            if folder == Path(existing) or Path(existing) in folder.parents:
                raise InvalidInputError(
                    f"{display(str(folder))} is already watched (inside {display(existing)})")
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO folders(path, added_at, follow_links) VALUES (?, ?, ?)",
                (to_db(str(folder)), time.time(), int(bool(follow))),
            )
            folder_id = conn.last_insert_rowid()
            # Folders nested inside the new one are merged into it.
            for fid, fpath in list(conn.execute("SELECT id, path FROM folders WHERE id != ?", (folder_id,))):
                if folder in Path(from_db(fpath)).parents:
                    conn.execute("UPDATE documents SET folder_id = ? WHERE folder_id = ?", (folder_id, fid))
                    conn.execute("DELETE FROM folders WHERE id = ?", (fid,))
        self._after_folders_changed()
        return self.folder(folder_id)

    def remove_folder(self, path: Path | str) -> int:
        """Forget a folder and every document under it. Returns documents removed."""
        folder_id = self._folder_id(path)
        doc_ids = [r[0] for r in self.store.query("SELECT id FROM documents WHERE folder_id = ?", (folder_id,))]
        with self.store.write() as conn:
            for doc_id in doc_ids:
                self._delete_document(conn, doc_id)
            conn.execute("DELETE FROM jobs WHERE folder_id = ?", (folder_id,))
            conn.execute("DELETE FROM folders WHERE id = ?", (folder_id,))
        self._after_folders_changed()
        return len(doc_ids)

    def set_folder_paused(self, path: Path | str, paused: bool) -> None:
        folder_id = self._folder_id(path)
        with self.store.write() as conn:
            conn.execute("UPDATE folders SET paused = ? WHERE id = ?", (int(paused), folder_id))
        self._after_folders_changed()

    def _after_folders_changed(self) -> None:
        hook = getattr(self, "_watch_folders_changed", None)
        if hook:
            hook()

    def _folder_id(self, path: Path | str) -> int:
        p = Path(from_db(os.fspath(path))).expanduser()
        candidates = {str(p), str(p.resolve()) if p.exists() else str(p.absolute())}
        for c in candidates:
            row = self.store.query_one("SELECT id FROM folders WHERE path = ?", (to_db(c),))
            if row:
                return int(row[0])
        raise NotFoundError(f"{display(from_db(os.fspath(path)))} is not a watched folder")

    def folder(self, folder_id: int) -> FolderInfo:
        for f in self.folders():
            if f.id == folder_id:
                return f
        raise NotFoundError(f"no folder {folder_id}")

    def folders(self) -> list[FolderInfo]:
        rows = self.store.query(
            "SELECT f.id, f.path, f.paused, f.available, f.last_reconcile, "
            "(SELECT COUNT(*) FROM documents d WHERE d.folder_id = f.id), "
            "(SELECT COUNT(*) FROM jobs j WHERE j.folder_id = f.id) "
            "FROM folders f ORDER BY f.path"
        )
        state_of = getattr(self, "_watch_state", None)
        out = []
        for fid, path, paused, available, last, ndocs, pending in rows:
            state, message = ("idle", None)
            if paused:
                state = "paused"
            elif not available or not os.path.isdir(from_db(path)):
                state = "unavailable"
            elif state_of:
                state, message = state_of(fid)
            out.append(
                FolderInfo(fid, path, bool(paused), state, ndocs, pending, last, message)
            )
        return out

    # -- documents and chunks ---------------------------------------------------------
    _DOC_COLS = (
        "d.id, d.path, d.title, d.ext, d.size, d.mtime, d.status, d.error, d.pages, "
        "(SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id), d.indexed_at, d.available, d.folder_id"
    )

    def _doc(self, row: tuple) -> DocumentInfo:
        return DocumentInfo(*row[:11], available=bool(row[11]), folder_id=row[12])

    def documents(
        self, folder: Path | str | None = None, status: str | None = None
    ) -> list[DocumentInfo]:
        sql = f"SELECT {self._DOC_COLS} FROM documents d"
        where, params = [], []
        if folder is not None:
            where.append("d.folder_id = ?")
            params.append(self._folder_id(folder))
        if status is not None:
            where.append("d.status = ?")
            params.append(status)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY d.path"
        return [self._doc(r) for r in self.store.query(sql, tuple(params))]

    def document(self, doc: int | str | Path) -> DocumentInfo:
        if isinstance(doc, int):
            row = self.store.query_one(f"SELECT {self._DOC_COLS} FROM documents d WHERE d.id = ?", (doc,))
        else:
            p = Path(from_db(os.fspath(doc))).expanduser()
            row = self.store.query_one(f"SELECT {self._DOC_COLS} FROM documents d WHERE d.path = ?",
                                       (to_db(str(p)),))
            if row is None and p.exists():
                row = self.store.query_one(
                    f"SELECT {self._DOC_COLS} FROM documents d WHERE d.path = ?", (to_db(str(p.resolve())),)
                )
        if row is None:
            raise NotFoundError(f"no document {display(from_db(str(doc)))} in the library")
        return self._doc(row)

    def status_counts(self) -> dict[str, int]:
        counts = {s: 0 for s in ("indexed", "encrypted", "no_text", "error", "pending")}
        for status, n in self.store.query("SELECT status, COUNT(*) FROM documents GROUP BY status"):
            counts[status] = n
        counts["chunks"] = self.store.query_one("SELECT COUNT(*) FROM chunks")[0]
        counts["queued"] = self.store.query_one("SELECT COUNT(*) FROM jobs")[0]
        counts["unavailable"] = self.store.query_one(
            "SELECT COUNT(*) FROM documents WHERE available = 0"
        )[0]
        return counts

    def errors(self) -> list[DocumentInfo]:
        return [d for d in self.documents() if d.status in ("encrypted", "no_text", "error")]

    _CHUNK_COLS = (
        "c.id, c.document_id, c.ord, c.text, c.page_start, c.page_end, c.heading, "
        "c.char_start, c.char_end, d.path, d.title"
    )

    def chunk(self, chunk_id: int) -> ChunkInfo:
        row = self.store.query_one(
            f"SELECT {self._CHUNK_COLS} FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ?",
            (chunk_id,),
        )
        if row is None:
            raise NotFoundError(f"no passage {chunk_id}")
        return ChunkInfo(*row)

    def chunks_of(self, document_id: int) -> list[ChunkInfo]:
        rows = self.store.query(
            f"SELECT {self._CHUNK_COLS} FROM chunks c JOIN documents d ON d.id = c.document_id "
            "WHERE c.document_id = ? ORDER BY c.ord",
            (document_id,),
        )
        return [ChunkInfo(*r) for r in rows]

    def neighbours(self, chunk_id: int, before: int = 1, after: int = 1) -> list[ChunkInfo]:
        """The passage with ``before``/``after`` neighbouring chunks, in document order."""
        c = self.chunk(chunk_id)
        rows = self.store.query(
            f"SELECT {self._CHUNK_COLS} FROM chunks c JOIN documents d ON d.id = c.document_id "
            "WHERE c.document_id = ? AND c.ord BETWEEN ? AND ? ORDER BY c.ord",
            (c.document_id, c.ord - before, c.ord + after),
        )
        return [ChunkInfo(*r) for r in rows]

    # -- shared write helpers ---------------------------------------------------------
    def _delete_document(self, conn: Any, doc_id: int) -> None:
        """Remove a document, its chunks, words and vectors (inside a write)."""
        for part in (DupesMixin, TrainingMixin):
            hook = part.__dict__.get("_on_document_deleted")
            if hook:
                hook(self, conn, doc_id)
        self.store.delete_chunks_of(conn, doc_id)
        conn.execute("DELETE FROM jobs WHERE document_id = ?", (doc_id,))
        conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
