"""The library file: one SQLite database opened through apsw, with sqlite-vec.

One writer: every write goes through ``Store.write()`` (one connection, one lock).
Readers use their own connection per thread (WAL lets them read while a write runs).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import apsw
import numpy as np
import sqlite_vec

from core.errors import ExtensionError, LikewiseError, StoreError
from core.store.failures import translate
from core.store.health import check_library_file
from core.store.rows import one_row
from core.text import is_fragment

BUSY_TIMEOUT_MS = 10_000
MMAP_SIZE = 0                # no memory map: each connection's mapped pages counted in the process's
                             # resident memory (4.6 GB in an idle window on a 4.2 GB library of 1M
                             # passages, 875 MB with 256 MiB per connection); without it searches
                             # there took the same time (list p95 ~200 ms), the OS caching the file
POINT_LOOKUP_MAX = 2_000     # more ids than this: one scan beats point lookups
_MIGRATION_RE = re.compile(r"^(\d{4})_[\w]+\.sql$")


def vec_table(model_id: int) -> str:
    return f"vec_m{int(model_id)}"


def count_vectors(conn: apsw.Connection, model_id: int) -> int:
    """How many vectors a model version has. Counted in sqlite-vec's rowid table where
    there is one: counting through vec0 itself reads every vector chunk (0.28 s at 100k,
    against 0.04 s), which a status, a window refresh or a search should not pay at a million."""
    name = vec_table(model_id)
    for table in (f"{name}_rowids", name):
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is not None:
            row = conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()
            return int(row[0]) if row else 0
    return 0


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    folder = resources.files("core.store") / "migrations"
    for entry in folder.iterdir():
        m = _MIGRATION_RE.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise StoreError(f"migrations are not numbered 1..n without gaps: {numbers}")
    return found


def latest_version() -> int:
    """The schema version this program writes (its highest migration)."""
    return _migrations()[-1][0]


def connect(path: Path | str, readonly: bool = False) -> apsw.Connection:
    flags = apsw.SQLITE_OPEN_READONLY if readonly else apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
    try:
        conn = apsw.Connection(str(path), flags=flags)
    except apsw.Error as exc:
        raise StoreError(f"cannot open the library file {path}: {exc}") from exc
    conn.setbusytimeout(BUSY_TIMEOUT_MS)
    try:
        conn.enable_load_extension(True)
        conn.load_extension(sqlite_vec.loadable_path())
        conn.enable_load_extension(False)
        (version,) = one_row(conn.execute("select vec_version()"))
    except (apsw.Error, AttributeError) as exc:
        raise ExtensionError(
            f"sqlite-vec could not be loaded into SQLite ({exc}); reinstall the sqlite-vec package"
        ) from exc
    if not version:
        raise ExtensionError("sqlite-vec loaded but vec_version() returned nothing")
    # migration 0011 marks the fragments of an existing library with the rule new passages get
    conn.createscalarfunction("likewise_is_noise", _is_noise, 1, deterministic=True)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    # A vec0 point lookup walks its chunk's overflow pages, ~250 us through read() and ~25 us
    # through a map (measured at 100k); a search re-scores k + 40 of them: ~10 ms, kept for the memory.
    conn.execute(f"PRAGMA mmap_size = {MMAP_SIZE}")
    return conn


def _is_noise(*values: Any) -> int:
    """SQL likewise_is_noise(text): core.text.is_fragment, for migration 0011."""
    return int(is_fragment(str(values[0] or "")))


class Store:
    """Owns the writer connection and hands out per-thread readers."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[apsw.Connection] = []
        self._readers_lock = threading.Lock()
        self._stamp_conn: apsw.Connection | None = None    # change_stamp's own connection
        self._stamp_lock = threading.Lock()
        with self._failures():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            check_library_file(self.path, latest_version())
            self.conn = connect(self.path)
        try:
            with self._failures():
                mode = one_row(self.conn.execute("PRAGMA journal_mode = WAL"))[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"the library file {self.path} cannot use WAL mode (got {mode})")
                self.vec_version = one_row(self.conn.execute("select vec_version()"))[0]
                self.migrate()
        except BaseException:
            self.conn.close()
            raise

    @contextmanager
    def _failures(self, conn: apsw.Connection | None = None) -> Iterator[None]:
        """Turn a full disk, a lock held too long or a damaged file into engine errors."""
        try:
            yield
        except LikewiseError:
            raise
        except (apsw.Error, OSError) as exc:
            mapped = translate(exc, self.path, BUSY_TIMEOUT_MS / 1000, conn or getattr(self, "conn", None))
            if mapped is None:
                raise
            raise mapped from exc

    # -- schema -----------------------------------------------------------------
    def schema_version(self) -> int:
        with self._lock:
            exists = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'"
            ).fetchone()
            if not exists:
                return 0
            row = one_row(self.conn.execute("SELECT MAX(version) FROM schema_migrations"))
            return int(row[0] or 0)

    def migrate(self, upto: int | None = None) -> int:
        """Apply every numbered migration not yet recorded, each in its own transaction."""
        with self._lock:
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
            )
            current = self.schema_version()
            for number, name, sql in _migrations():
                if number <= current or (upto is not None and number > upto):
                    continue
                with self.conn:
                    self.conn.execute(sql)
                    self.conn.execute(
                        "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?,?,?)",
                        (number, name, time.time()),
                    )
            return self.schema_version()

    # -- access -----------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[apsw.Connection]:
        """One transaction on the writer connection; rolled back on any exception.

        Waits up to BUSY_TIMEOUT_MS for another process's write (LibraryBusyError
        after that); a full disk rolls the transaction back (DiskFullError)."""
        with self._lock, self._failures(self.conn):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self._rollback()
                raise
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        """Roll back what is left of the transaction: SQLite may already have rolled it
        back itself (a full disk, an I/O error), and the first error is what matters."""
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except apsw.Error:
                pass

    def reader(self) -> apsw.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def query(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        with self._failures():
            return list(self.reader().execute(sql, params))

    def query_one(self, sql: str, params: tuple | dict = ()) -> tuple | None:
        with self._failures():
            return self.reader().execute(sql, params).fetchone()

    def count(self, sql: str, params: tuple | dict = ()) -> int:
        """The first column of the first row, as a whole number (a COUNT, a MAX)."""
        row = self.query_one(sql, params)
        return int(row[0]) if row is not None and row[0] is not None else 0

    def change_stamp(self) -> int:
        """A number that moves whenever anyone commits to the library file: this process's
        writer or another process (the CLI). SQLite's ``PRAGMA data_version`` on a
        connection of its own, which never writes; a read of the WAL index, no table."""
        with self._stamp_lock, self._failures():
            if self._stamp_conn is None:
                self._stamp_conn = apsw.Connection(str(self.path), flags=apsw.SQLITE_OPEN_READONLY)
                self._stamp_conn.setbusytimeout(BUSY_TIMEOUT_MS)
            # read to the end: a statement left open would hold its read snapshot
            rows = list(self._stamp_conn.execute("PRAGMA data_version"))
            return int(rows[0][0])

    def close(self) -> None:
        with self._stamp_lock:
            if self._stamp_conn is not None:
                self._stamp_conn.close()
                self._stamp_conn = None
        with self._readers_lock:
            for conn in self._readers:
                try:
                    conn.close()
                except apsw.Error:
                    pass
            self._readers.clear()
        with self._lock:
            try:
                self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except apsw.Error:
                pass
            self.conn.close()

    # -- meta -------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.query_one("SELECT value FROM meta WHERE key = ?", (key,))
        return row[0] if row else default

    def set_meta(self, conn: apsw.Connection, key: str, value: str | None) -> None:
        conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- vectors ----------------------------------------------------------------
    def ensure_vec_table(self, conn: apsw.Connection, model_id: int, dim: int) -> str:
        name = vec_table(model_id)
        conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING vec0("
            f"chunk_id INTEGER PRIMARY KEY, embedding float[{int(dim)}] distance_metric=cosine)"
        )
        return name

    def vec_table_exists(self, model_id: int) -> bool:
        row = self.query_one(
            "SELECT 1 FROM sqlite_master WHERE name = ?", (vec_table(model_id),)
        )
        return row is not None

    def vector_count(self, model_id: int) -> int:
        return count_vectors(self.reader(), model_id)

    def put_vectors(
        self, conn: apsw.Connection, model_id: int, chunk_ids: list[int], vectors: np.ndarray
    ) -> None:
        name = vec_table(model_id)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        # vec0 refuses INSERT OR REPLACE on an existing id: delete first.
        conn.executemany(f"DELETE FROM {name} WHERE chunk_id = ?", [(int(c),) for c in chunk_ids])
        conn.executemany(
            f"INSERT INTO {name}(chunk_id, embedding) VALUES (?, ?)",
            [(int(cid), vectors[i].tobytes()) for i, cid in enumerate(chunk_ids)],
        )
        conn.executemany(
            "INSERT INTO vec_log(model_id, chunk_id, op) VALUES (?, ?, 'add')",
            [(int(model_id), int(cid)) for cid in chunk_ids],
        )

    def model_ids_with_vectors(self, conn: apsw.Connection | None = None) -> list[int]:
        c = conn or self.reader()
        rows: list[tuple[Any, ...]] = c.execute(
            "SELECT name FROM sqlite_master WHERE name GLOB 'vec_m[0-9]*' AND sql IS NOT NULL").fetchall()
        return sorted(int(r[0][5:]) for r in rows if r[0][5:].isdigit())

    def delete_vectors(self, conn: apsw.Connection, chunk_ids: list[int]) -> None:
        if not chunk_ids:
            return
        for model_id in self.model_ids_with_vectors(conn):
            name = vec_table(model_id)
            conn.executemany(f"DELETE FROM {name} WHERE chunk_id = ?", [(int(c),) for c in chunk_ids])
            conn.executemany(
                "INSERT INTO vec_log(model_id, chunk_id, op) VALUES (?, ?, 'del')",
                [(model_id, int(c)) for c in chunk_ids],
            )

    def read_vectors(
        self, model_id: int, chunk_ids: list[int], conn: apsw.Connection | None = None
    ) -> dict[int, np.ndarray]:
        """{chunk id: float32 vector} for those of these chunks that have one.

        vec0 answers ``chunk_id IN (...)`` by scanning, so a few ids are read one point
        lookup each (about 25 us apiece) and many ids by one scan of the table."""
        name = vec_table(model_id)
        c = conn or self.reader()
        out: dict[int, np.ndarray] = {}
        if len(chunk_ids) <= POINT_LOOKUP_MAX:
            sql = f"SELECT embedding FROM {name} WHERE chunk_id = ?"
            for cid in chunk_ids:
                row = c.execute(sql, (int(cid),)).fetchone()
                if row is not None:
                    out[int(cid)] = np.frombuffer(row[0], dtype=np.float32)
            return out
        wanted = {int(x) for x in chunk_ids}
        for cid, blob in c.execute(f"SELECT chunk_id, embedding FROM {name}"):
            if cid in wanted:
                out[cid] = np.frombuffer(blob, dtype=np.float32)
        return out

    def get_vectors(self, model_id: int, chunk_ids: list[int]) -> np.ndarray:
        """Vectors of these chunks under this model, in the given order (missing -> error)."""
        out = self.read_vectors(model_id, chunk_ids)
        missing = [c for c in chunk_ids if c not in out]
        if missing:
            raise StoreError(f"no vectors for chunks {missing[:5]} under model {model_id}")
        return np.stack([out[c] for c in chunk_ids]) if chunk_ids else np.zeros((0, 0), np.float32)

    def all_vectors(self, model_id: int, dtype: Any = np.float32) -> tuple[np.ndarray, np.ndarray]:
        """(chunk_ids int64[n], vectors [n, d] of ``dtype``) for one model version."""
        ids, mat, n = self.all_vectors_with_room(model_id, dtype, 0)
        if n == 0:
            return np.zeros(0, np.int64), np.zeros((0, 0), dtype)
        return ids[:n].copy() if n < ids.size else ids, mat[:n] if n == mat.shape[0] else mat[:n].copy()

    def all_vectors_with_room(self, model_id: int, dtype: Any, spare: int) -> tuple[np.ndarray, np.ndarray, int]:
        """(chunk ids, vectors, n): buffers with ``spare`` rows past the ``n`` read, for a
        copy that grows (core/dupes/vector_rows.py); vectors are [0, 0] when there are none.

        Read into one array sized from the count (a list of a million blobs, joined and
        copied, held the vectors three times over: 4.5 GB at 1M x 384)."""
        name = vec_table(model_id)
        conn = self.reader()
        expected = self.vector_count(model_id)
        ids = np.zeros(expected + spare, np.int64)
        mat: np.ndarray | None = None
        n = 0
        for cid, blob in conn.execute(f"SELECT chunk_id, embedding FROM {name}"):
            vec = np.frombuffer(blob, dtype=np.float32)
            if mat is None:
                mat = np.empty((max(ids.size, 1), vec.size), dtype)
            if n == ids.size:   # written to since the count: grow
                ids = np.concatenate([ids, np.zeros(max(1024, n // 8), np.int64)])
                mat = np.concatenate([mat, np.empty((ids.size - mat.shape[0], vec.size), dtype)])
            ids[n] = cid
            mat[n] = vec
            n += 1
        return ids, (mat if mat is not None else np.zeros((0, 0), dtype)), n
