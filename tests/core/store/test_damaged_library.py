"""A damaged library file (truncated, overwritten with garbage, from a newer Likewise):
a clear message, the file left byte for byte as it was, and `likewise rebuild` / the
window's button that moves it aside and builds a new library from the same folders."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import apsw
import pytest
from library_checks import assert_consistent, write_notes

from core.errors import LibraryDamagedError, LibraryTooNewError
from core.library import Library
from core.store.db import latest_version


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _truncate(db: Path) -> None:
    size = db.stat().st_size
    with open(db, "r+b") as fh:
        fh.truncate(size // 2)


def _lose_tail(db: Path) -> None:
    size = db.stat().st_size
    with open(db, "r+b") as fh:
        fh.truncate(size - 3 * 4096)


def _overwrite(db: Path) -> None:
    db.write_bytes(random.Random(13).randbytes(db.stat().st_size))


def _make_newer(db: Path) -> None:
    conn = apsw.Connection(str(db))
    conn.execute("INSERT INTO schema_migrations VALUES (?, '0099_future.sql', 0)", (latest_version() + 5,))
    conn.close()


DAMAGE = {
    # kind: (how, error class, words in the message, folders readable from it)
    "truncated": (_truncate, LibraryDamagedError, "it was truncated", True),
    "tail lost": (_lose_tail, LibraryDamagedError, "it was truncated", True),
    "overwritten": (_overwrite, LibraryDamagedError, "does not start with a SQLite header", False),
    "newer": (_make_newer, LibraryTooNewError, "written by a newer Likewise", True),
}


@pytest.fixture
def built(tmp_path, tiny_model_dir):
    """A closed library of 12 notes in two folders (a third folder since deleted)."""
    folders = [tmp_path / "a", tmp_path / "b", tmp_path / "gone"]
    write_notes(folders[0], 0, 6)
    write_notes(folders[1], 6, 6)
    folders[2].mkdir()
    db = tmp_path / "lib.sqlite"
    with Library(path=db, model_path=tiny_model_dir) as lib:
        for f in folders:
            lib.add_folder(f)
        lib.indexer.index()
        # More pages than the first few, so that half the file loses real data.
        assert lib.store.query_one("PRAGMA page_count")[0] > 20
    folders[2].rmdir()
    assert not Path(f"{db}-wal").exists()
    return db, [str(f) for f in folders[:2]], str(folders[2])


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damaged_file_is_named_left_untouched_and_rebuilt_by_the_cli(kind, built, tiny_model_dir, capsys):
    from app.cli import main

    db, folders, gone = built
    damage, error, words, folders_readable = DAMAGE[kind]
    damage(db)
    before = _digest(db)
    with pytest.raises(error, match=words):
        Library(path=db, model_path=tiny_model_dir)
    common = ["--library", str(db), "--model", str(tiny_model_dir)]
    assert main(common + ["search", "quillback"]) == 2
    err = capsys.readouterr().err
    print(err)
    assert words in err and "it was left as it is" in err
    assert f"likewise --library {db} rebuild" in err
    assert "Traceback" not in err and "apsw" not in err
    assert _digest(db) == before
    assert sorted(p.name for p in db.parent.iterdir() if p.name.startswith("lib.sqlite")) == \
        sorted(n for n in ("lib.sqlite", "lib.sqlite-indexing.lock") if (db.parent / n).exists())

    assert main(common + ["rebuild"]) == 0
    out = capsys.readouterr().out
    print(out)
    moved = [p for p in db.parent.iterdir() if ".damaged-" in p.name]
    assert len(moved) == 1 and _digest(moved[0]) == before   # kept, unchanged
    assert f"Moved the damaged library aside, unchanged: {moved[0]}" in out
    with Library(path=db, model_path=tiny_model_dir) as lib:
        watched = [f.path for f in lib.folders()]
        if folders_readable:
            assert watched == folders
            assert f"not found any more, left out: {gone}" in out
            assert len(lib.catalog.documents(status="indexed")) == 12 and lib.indexer.pending_jobs() == 0
            assert "quillback" in lib.searcher.search("quillback ledger", mode="keyword", k=1)[0].text
        else:
            assert watched == [] and "No folders could be read from it" in out
    assert_consistent(db)


def test_rebuild_refuses_a_healthy_library(built, tiny_model_dir, capsys):
    from app.cli import main

    db, _, _ = built
    before = _digest(db)
    assert main(["--library", str(db), "--model", str(tiny_model_dir), "rebuild"]) == 2
    assert "is not damaged; nothing was changed" in capsys.readouterr().err
    assert _digest(db) == before and not list(db.parent.glob("*.damaged-*"))


def test_set_aside_moves_wal_and_shm_under_one_free_name(tmp_path):
    from core.rebuild import set_aside

    db = tmp_path / "lib.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").write_bytes(b"x" + suffix.encode())
    first = set_aside(db, now=0)
    for suffix in ("", "-wal"):
        Path(f"{db}{suffix}").write_bytes(b"again")
    second = set_aside(db, now=0)
    assert first.name.startswith("lib.sqlite.damaged-") and second.name == first.name + "-2"
    assert Path(f"{first}-wal").read_bytes() == b"x-wal" and Path(f"{first}-shm").exists()
    assert Path(f"{second}-wal").read_bytes() == b"again"
    assert not db.exists() and not Path(f"{db}-wal").exists()
