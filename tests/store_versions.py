"""A library file at an older schema version, made by running the real migration files
(core/store/migrations) up to that version, as the release that stopped there did."""

from __future__ import annotations

import time
from pathlib import Path

import apsw

from core.store.db import _migrations, connect

# The migration files' own bookkeeping table, as Store.migrate creates it.
SCHEMA_MIGRATIONS = ("CREATE TABLE IF NOT EXISTS schema_migrations("
                     "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)")


def store_at_version(path: Path, version: int) -> apsw.Connection:
    """A new library file with migrations 1..version applied; the open connection."""
    conn = connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(SCHEMA_MIGRATIONS)
    for number, name, sql in _migrations():
        if number > version:
            break
        with conn:
            conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?,?,?)",
                         (number, name, time.time()))
    return conn


def schema_of(conn: apsw.Connection) -> list[tuple]:
    """What the migrations made: every table, index, trigger and view with its SQL, without
    the vector tables a model version adds at run time (vec_m<id> and its shadow tables)."""
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                        "WHERE name NOT GLOB 'vec_m[0-9]*' ORDER BY type, name").fetchall()
    return [(kind, name, table, " ".join((sql or "").split())) for kind, name, table, sql in rows]
