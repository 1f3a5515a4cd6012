"""Two processes on one library (the window and `likewise index`, two CLIs): a write waits
for the other's, or is refused in words (never "database is locked" with a traceback),
nothing written is lost, searching works while the other indexes, and two indexing runs
never overlap (the second waits for the first and says so).

Deterministic: the other process is held at a gate (a file it waits for, or a lock or
transaction this test holds), never by assuming how fast a machine is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from library_checks import assert_consistent, passages, write_notes

from app.commands.common import WAITING_TEXT
from core.errors import LibraryBusyError
from core.library import Library
from core.store.runlock import IndexRunLock

ROOT = Path(__file__).resolve().parents[3]
GATE_TIMEOUT_S = 300   # only a safety net against a hung child; never reached when all is well


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def _start(cmd: list[str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_file(path: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + GATE_TIMEOUT_S
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the child ended before the gate: {proc.communicate()}")
        assert time.monotonic() < deadline, "the child never reached the gate"
        time.sleep(0.02)


@pytest.fixture
def library(tmp_path, tiny_model_dir):
    """A library with a folder of 30 notes, none indexed yet."""
    folder = tmp_path / "docs"
    write_notes(folder, 0, 30)
    db = tmp_path / "lib.sqlite"
    with Library(path=db, model_path=tiny_model_dir) as lib:
        lib.add_folder(folder)
    return db, folder


def test_second_indexer_waits_for_the_first_and_says_so(library, tiny_model_dir):
    db, folder = library
    other = IndexRunLock(db)          # this test plays "another Likewise indexing"
    assert other.try_acquire()
    proc = _start(_cli("--library", str(db), "--model", str(tiny_model_dir), "index"))
    try:
        line = ""
        deadline = time.monotonic() + GATE_TIMEOUT_S
        while WAITING_TEXT not in line:   # the gate: the child says it waits
            line = proc.stderr.readline()
            assert line or proc.poll() is None, "the child ended without waiting"
            assert time.monotonic() < deadline
        with Library(path=db, model_path=tiny_model_dir) as lib:
            assert lib.catalog.documents() == []  # it waits: it has indexed nothing
            assert lib.indexer.pending_jobs() == 30  # but its scan queued the work
    finally:
        released = time.monotonic()
        other.release()
    out, err = proc.communicate(timeout=GATE_TIMEOUT_S)
    print(f"second indexer ended {time.monotonic() - released:.1f} s after the first released the lock")
    assert proc.returncode == 0, err
    assert "30 indexed" in out and "Traceback" not in err
    assert_consistent(db)


def test_two_indexers_at_once_index_each_file_once(library, tiny_model_dir, tmp_path):
    db, folder = library
    clean_db = tmp_path / "clean.sqlite"
    with Library(path=clean_db, model_path=tiny_model_dir) as lib:
        lib.add_folder(folder)
        lib.indexer.index()
        clean = passages(lib, folder)
    procs = [_start(_cli("--library", str(db), "--model", str(tiny_model_dir), "index", "--json"))
             for _ in range(2)]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=GATE_TIMEOUT_S)
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "locked" not in err
        reports.append(json.loads(out))
    assert sum(r["indexed"] for r in reports) == 30   # no file indexed twice
    assert sum(r["failed"] for r in reports) == 0
    with Library(path=db, model_path=tiny_model_dir) as lib:
        assert lib.indexer.pending_jobs() == 0
        assert passages(lib, folder) == clean
    assert_consistent(db)


_HOLDING_INDEXER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import apsw
    import core.store.db
    core.store.db.BUSY_TIMEOUT_MS = 600_000   # this child waits out the test's own pauses
    from core.library import Library

    db, model, gate, release = sys.argv[1:5]
    held = []

    def progress(p):
        if p.files_done >= 5 and not held:
            # Stop between documents holding the write lock, as a long write would.
            conn = apsw.Connection(db)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO meta(key, value) VALUES ('child', 'held') "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            held.append(conn)
            Path(gate).touch()
            while not Path(release).exists():
                import time
                time.sleep(0.02)
            conn.execute("COMMIT")

    with Library(path=db, model_path=model) as lib:
        report = lib.indexer.index(progress=progress)
    print(report.indexed, report.failed)
    """
)


def test_search_and_writes_while_another_process_indexes(library, tiny_model_dir, tmp_path, monkeypatch):
    import core.store.db as db_module
    from app.errors import describe

    db, folder = library
    gate, release = tmp_path / "holding", tmp_path / "release"
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDING_INDEXER, str(db), str(tiny_model_dir), str(gate), str(release)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    lib = None
    try:
        _wait_for_file(gate, proc)   # the child is mid-run and holds the write lock
        lib = Library(path=db, model_path=tiny_model_dir)   # opening needs no write
        indexed = len(lib.catalog.documents())
        assert 5 <= indexed < 30
        hits = lib.searcher.search("quillback ledger", mode="keyword", k=3)
        assert hits and "quillback" in hits[0].text
        assert lib.searcher.search("cargo and tides", k=3)

        # A write that cannot wait long enough is refused in words, and changes nothing.
        monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 300)
        lib.store.conn.setbusytimeout(300)
        extra = tmp_path / "extra"
        extra.mkdir()
        with pytest.raises(LibraryBusyError) as refused:
            lib.add_folder(extra)
        words = describe(refused.value)
        assert words.startswith("Library busy: another Likewise") and "Nothing was lost" in words
        assert "database is locked" not in words
        assert [f.path for f in lib.folders()] == [str(folder)]

        # A write with the normal timeout waits for the other's and then succeeds.
        monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 10_000)
        lib.store.conn.setbusytimeout(10_000)
        outcome: list = []
        waiter = threading.Thread(target=lambda: outcome.append(_timed(lib.add_folder, extra)))
        waiter.start()
        release.touch()
        waiter.join(GATE_TIMEOUT_S)
        assert outcome and not isinstance(outcome[0], BaseException), outcome
        print(f"the window's write waited {outcome[0]:.2f} s for the indexer's")
    finally:
        release.touch()
        out, err = proc.communicate(timeout=GATE_TIMEOUT_S)
        if lib is not None:
            lib.close()
    assert proc.returncode == 0 and out.split() == ["30", "0"], err
    with Library(path=db, model_path=tiny_model_dir) as lib:
        assert sorted(f.path for f in lib.folders()) == sorted([str(folder), str(extra)])
        assert lib.store.get_meta("child") == "held"           # neither write was lost
        assert len(lib.catalog.documents(status="indexed")) == 30
    assert_consistent(db)


def _timed(fn, *args) -> float | BaseException:
    t0 = time.monotonic()
    try:
        fn(*args)
    except BaseException as exc:  # noqa: BLE001 - handed to the test thread
        return exc
    return time.monotonic() - t0
