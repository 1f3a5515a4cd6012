"""Upgrades keep a person's library: a file made by a past release (tests/data/upgrade/)
opens with everything in it and nothing re-encoded, and a library at every older schema
version, made by the real migration files, reaches today's schema with its data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.store.db import latest_version
from tests.store_versions import schema_of, store_at_version

UPGRADE = Path(__file__).resolve().parents[2] / "data" / "upgrade"
RELEASES = sorted(UPGRADE.glob("library-*.sqlite"))


def test_a_release_library_is_committed():
    assert RELEASES, f"no library-<release>.sqlite under {UPGRADE} (tests/data/upgrade/make_fixture.py)"


@pytest.mark.parametrize("fixture", RELEASES, ids=lambda p: p.stem)
def test_a_library_of_an_older_release_opens_whole_without_re_encoding(tmp_path, fixture, default_model_dir):
    from core.library import Library

    manifest = json.loads((UPGRADE / "manifest.json").read_text(encoding="utf-8"))
    assert fixture.name == f"library-{manifest['release']}.sqlite"
    path = tmp_path / "library.sqlite"
    shutil.copy(fixture, path)
    lib = Library(path=path, model_path=default_model_dir)
    try:
        assert lib.store.schema_version() == latest_version()
        assert sorted(d.path.rsplit("/", 1)[-1] for d in lib.catalog.documents()) == manifest["documents"]
        assert all(d.status == "indexed" for d in lib.catalog.documents())
        texts = sorted(c.text for d in lib.catalog.documents() for c in lib.catalog.chunks_of(d.id))
        assert texts == manifest["passages"]
        labels = sorted([lab.kind, lab.sentence1, lab.sentence2, lab.label] for lab in lib.label_table.labels())
        assert labels == manifest["labels"]
        exclusions = sorted([e.pattern, e.folder_id is not None] for e in lib.exclusions.list())
        assert exclusions == manifest["exclusions"]
        decisions = sorted([p.a.text, p.b.text, p.decision]
                           for p in lib.discovery.duplicate_pairs(include_ignored=True) if p.decision)
        assert decisions == manifest["decisions"]
        models = lib.versions.models()
        assert sorted([m.name, m.kind, m.dim, m.active] for m in models) == manifest["models"]
        finetuned = next(m for m in models if m.kind == "finetuned")
        assert finetuned.name == manifest["finetuned"] and finetuned.report is not None
        assert finetuned.report == manifest["finetuned_report"]

        # Nothing to re-encode: every passage has its vector under the active version,
        # no job is queued, and the model is the same row (found by its content).
        active = next(m for m in models if m.active)
        assert active.vectors == active.chunks == manifest["active_vectors"] == len(texts)
        assert lib.store.count("SELECT COUNT(*) FROM jobs") == 0
        assert lib.versions.target_model_id() is None
        seq = lib.store.count("SELECT MAX(seq) FROM vec_log")

        hits = lib.searcher.search("when does the overnight sleeper reach the coast", mode="dense", k=3)
        assert "The sleeper train" in hits[0].text
        words = lib.searcher.search("sourdough starter flour", mode="keyword", k=3)
        assert words and words[0].path.endswith("bread.md")
        # The stored vectors are the model's own: a passage re-encoded now finds itself.
        cid = hits[0].chunk_id
        stored = lib.store.get_vectors(lib.versions.active_model_id(), [cid])[0]
        fresh = lib.versions.encoder().encode([hits[0].text])[0]
        assert float(np.dot(stored, fresh)) > 0.999
        assert lib.store.count("SELECT MAX(seq) FROM vec_log") == seq      # nothing written
    finally:
        lib.close()


def _write_at(conn, version: int) -> dict[str, list[tuple]]:
    """A little of what a person has, written with the columns every version since 1 has."""
    with conn:
        conn.execute("INSERT INTO folders(path, added_at) VALUES ('/home/ann/notes', 1.5)")
        conn.execute("INSERT INTO documents(folder_id, path, title, ext, size, mtime, content_hash, status, "
                     "indexed_at) VALUES (1, '/home/ann/notes/a.txt', 'A', 'txt', 40, 2.5, 'h1', 'indexed', 3.5)")
        conn.execute("INSERT INTO chunks(document_id, ord, text, text_hash, char_start, char_end) "
                     "VALUES (1, 0, 'Lighthouses guide ships.' || char(10) || char(10) || 'Gulls nest there.', "
                     "'t1', 0, 41)")
        conn.execute("INSERT INTO models(name, path, dim, kind, created_at) VALUES ('m', '/m', 4, 'base', 1)")
        conn.execute("INSERT INTO meta(key, value) VALUES ('active_model_id', '1')")
        if version >= 2:
            conn.execute("INSERT INTO labels(kind, sentence1, sentence2, label, created_at) "
                         "VALUES ('pair_binary', 'a lighthouse', 'a beacon', 1, 4.5)")
    return _read(conn)


def _read(conn) -> dict[str, list[tuple]]:
    return {
        "folders": conn.execute("SELECT id, path, added_at FROM folders").fetchall(),
        "documents": conn.execute("SELECT id, folder_id, path, title, ext, size, mtime, content_hash, status, "
                                  "indexed_at FROM documents").fetchall(),
        "chunks": conn.execute("SELECT id, document_id, ord, text, text_hash FROM chunks").fetchall(),
        "models": conn.execute("SELECT id, name, path, dim, kind FROM models").fetchall(),
        "labels": conn.execute("SELECT kind, sentence1, sentence2, label FROM labels").fetchall()
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'labels'").fetchone() else [],
    }


@pytest.mark.parametrize("version", range(1, latest_version()))
def test_a_library_at_each_older_schema_version_upgrades_with_its_data(tmp_path, version):
    from core.store import Store

    fresh = Store(tmp_path / "fresh.sqlite")
    want = schema_of(fresh.conn)
    fresh.close()

    path = tmp_path / f"v{version}.sqlite"
    conn = store_at_version(path, version)
    before = _write_at(conn, version)
    conn.close()

    store = Store(path)
    try:
        assert store.schema_version() == latest_version()
        applied = [n for (n,) in store.query("SELECT version FROM schema_migrations ORDER BY version")]
        assert applied == list(range(1, latest_version() + 1))
        assert schema_of(store.conn) == want
        after = _read(store.reader())
        for table, rows in before.items():
            assert after[table] == rows, table
        # The words index still follows the passages (FTS5 kept in step by its triggers).
        assert store.query("SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH 'lighthouses'") == [(1,)]
    finally:
        store.close()
