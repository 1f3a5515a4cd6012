"""A full disk while indexing: the run stops with a clear message, the library stays
consistent and searchable (the document being written rolls back and stays queued), and a
later run resumes when space is freed, ending with the same passages as a clean run.

The disk is filled with SQLite's own limit (PRAGMA max_page_count makes writes fail with
SQLITE_FULL as a full disk does) and, where mounting is allowed, with a real small tmpfs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from library_checks import assert_consistent, passages, write_notes

from core.errors import DiskFullError
from core.library import Library


def _limit_pages(lib: Library, extra_pages: int | None) -> None:
    """Let the library's file grow by at most ``extra_pages`` (None: no limit)."""
    conn = lib.store.conn
    if extra_pages is None:
        conn.execute("PRAGMA max_page_count = 1073741823")
    else:
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages + extra_pages}")


@pytest.fixture
def clean_passages(tmp_path, tiny_model_dir):
    """The passages one uninterrupted run makes of 40 notes."""
    folder = tmp_path / "clean" / "docs"
    write_notes(folder, 0, 40)
    with Library(path=tmp_path / "clean" / "lib.sqlite", model_path=tiny_model_dir) as lib:
        lib.add_folder(folder)
        lib.indexer.index()
        return passages(lib, folder)


def test_full_disk_stops_keeps_library_consistent_and_resumes(tmp_path, tiny_model_dir, clean_passages):
    folder = tmp_path / "docs"
    write_notes(folder, 0, 10)
    db = tmp_path / "lib.sqlite"
    lib = Library(path=db, model_path=tiny_model_dir)
    try:
        lib.add_folder(folder)
        lib.indexer.index()
        before = len(lib.catalog.documents())
        write_notes(folder, 10, 30)
        lib.indexer.reconcile()
        _limit_pages(lib, 6)
        # Many runs on the full disk: none may count against the files it had in hand.
        for _ in range(6):
            with pytest.raises(DiskFullError, match="the disk holding the library is full"):
                lib.indexer.process_jobs()
        assert_consistent(db)
        docs = lib.catalog.documents()
        assert all(d.status == "indexed" for d in docs)
        assert before <= len(docs) < 40
        files_left = lib.store.count("SELECT COUNT(*) FROM jobs WHERE kind != 'embed'")
        assert files_left == 40 - len(docs)         # (passages waiting for vectors keep embed jobs)
        hits = lib.searcher.search("quillback ledger", mode="keyword", k=5)
        assert hits and "quillback" in hits[0].text
        assert lib.searcher.search("cargo and tides", mode="hybrid", k=3)

        _limit_pages(lib, None)   # space freed
        report = lib.indexer.index()
        assert not report.cancelled and report.failed == 0
        assert lib.indexer.pending_jobs() == 0
        assert {d.status for d in lib.catalog.documents()} == {"indexed"}
        assert passages(lib, folder) == clean_passages
    finally:
        lib.close()
    assert_consistent(db)


def test_cli_says_the_disk_is_full_and_resumes(tmp_path, tiny_model_dir, capsys, monkeypatch):
    import core.store.db as db_module
    from app.cli import main

    folder = tmp_path / "docs"
    write_notes(folder, 0, 5)
    lib_file = tmp_path / "cli.sqlite"
    common = ["--library", str(lib_file), "--model", str(tiny_model_dir)]
    assert main(common + ["add-folder", str(folder)]) == 0
    write_notes(folder, 5, 40)   # more than the three pages left can hold
    capsys.readouterr()

    real_connect = db_module.connect

    def full_disk_connect(path, readonly=False):
        conn = real_connect(path, readonly)
        (pages,) = conn.execute("PRAGMA page_count").fetchone()
        conn.execute(f"PRAGMA max_page_count = {pages + 3}")
        return conn

    monkeypatch.setattr(db_module, "connect", full_disk_connect)
    assert main(common + ["index"]) == 2
    err = capsys.readouterr().err
    assert "the disk holding the library is full" in err
    assert "Traceback" not in err and "SQLITE_FULL" not in err and "FullError" not in err

    monkeypatch.setattr(db_module, "connect", real_connect)
    assert main(common + ["index"]) == 0
    assert "0 not indexed" in capsys.readouterr().out
    assert_consistent(lib_file)
    with Library(path=lib_file, model_path=tiny_model_dir) as lib:
        assert len(lib.catalog.documents(status="indexed")) == 45


@pytest.fixture
def small_disk(tmp_path):
    """A 6 MB tmpfs, when this process may mount one (root on Linux); skipped otherwise."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if not shutil.which("mount") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    """Write a filler file until the disk refuses another byte."""
    filler = disk / "filler"
    block = b"\0" * 4096
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, block):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def test_real_full_disk_on_tmpfs(small_disk, tmp_path, tiny_model_dir, clean_passages):
    folder = tmp_path / "docs"
    write_notes(folder, 0, 10)
    db = small_disk / "lib.sqlite"
    lib = Library(path=db, model_path=tiny_model_dir)
    try:
        lib.add_folder(folder)
        lib.indexer.index()
        write_notes(folder, 10, 30)
        filler = _fill(small_disk)
        with pytest.raises(DiskFullError, match="the disk holding the library is full"):
            lib.indexer.index()
        assert len(lib.catalog.documents()) < 40
        assert lib.searcher.search("marrowfat ledger", mode="keyword", k=3)
        filler.unlink()   # space freed
        report = lib.indexer.index()
        assert report.failed == 0 and lib.indexer.pending_jobs() == 0
        assert passages(lib, folder) == clean_passages
    finally:
        lib.close()
    assert_consistent(db)


def test_no_room_for_the_indexing_lock_is_a_full_disk(tmp_path, monkeypatch):
    import errno

    import core.store.runlock as runlock

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runlock.os, "open", no_space)
    with pytest.raises(DiskFullError, match="the disk holding the library is full"):
        runlock.IndexRunLock(tmp_path / "lib.sqlite").try_acquire()
