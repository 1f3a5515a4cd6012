"""Watching folders, on the real file system in temporary folders.

The library is the real one (SQLite, FTS5, sqlite-vec, the isolated extractor) with the
tiny BERT; the encoder is wrapped to count every text it encodes, so "indexed exactly
once" and "no re-encoding" are checked by what the encoder actually did.
"""

from __future__ import annotations

import collections
import errno
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.library import Library
from core.store import vec_table
from core.watch.debounce import Debouncer
from core.watch.events import RootGone, Touch, translate
from tests.library_checks import assert_consistent as check_library

ROOT = Path(__file__).resolve().parents[3]


# -- helpers ----------------------------------------------------------------------------------
def wait_until(condition: Callable[[], object], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")


class CountingEncoder:
    """The real encoder, counting each text it is asked to encode."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self.counts: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    def encode(self, texts, *args, **kwargs):
        with self._lock:
            self.counts.update(texts)
        return self._inner.encode(texts, *args, **kwargs)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.counts.values())

    def __getattr__(self, name):
        return getattr(self._inner, name)


class Recorder:
    def __init__(self) -> None:
        self.events = []
        self._lock = threading.Lock()

    def __call__(self, event) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: str, path: str | None = None) -> list:
        with self._lock:
            return [e for e in self.events if e.kind == kind and (path is None or e.path == path)]


@pytest.fixture
def env(tmp_path, tiny_model_dir):
    """A library on the tiny BERT (counted), a watched folder and an event recorder."""
    from core.encoder import SentenceEncoder

    encoders: list[CountingEncoder] = []

    def factory(path):
        enc = CountingEncoder(SentenceEncoder.load(path, device="cpu"))
        encoders.append(enc)
        return enc

    folder = tmp_path / "docs"
    folder.mkdir()
    lib = Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir, encoder_factory=factory)
    lib.add_folder(folder)
    recorder = Recorder()
    ns = SimpleNamespace(lib=lib, folder=folder.resolve(), events=recorder, tmp=tmp_path,
                         encoder=lambda: lib.versions.encoder())
    yield ns
    lib.watching.stop_watching(timeout=60)
    lib.close()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def note(word: str) -> str:
    return f"A note about {word}. The {word} appears only in this file, nowhere else.\n"


def fts_paths(lib: Library, word: str) -> set[str]:
    rows = lib.store.query(
        "SELECT d.path FROM chunks_fts f JOIN chunks c ON c.id = f.rowid "
        "JOIN documents d ON d.id = c.document_id WHERE chunks_fts MATCH ?",
        (f'"{word}"',),
    )
    return {r[0] for r in rows}


def doc_paths(lib: Library) -> dict[str, int]:
    return {p: i for i, p in lib.store.query("SELECT id, path FROM documents")}


def indexed_count(lib: Library) -> int:
    return lib.store.query_one("SELECT COUNT(*) FROM documents WHERE status = 'indexed'")[0]


def settled(lib: Library) -> bool:
    return lib.indexer.pending_jobs() == 0 and all(s.pending == 0 for s in lib.watching.watch_status())


def start(env, **kw) -> None:
    kw.setdefault("debounce_s", 0.3)
    kw.setdefault("reconcile_interval_s", 0)
    env.lib.watching.start_watching(on_event=env.events, **kw)
    assert env.lib.watching.watcher.wait_started(timeout=120)


def assert_consistent(lib: Library) -> None:
    """integrity_check ok; every document complete (chunks, words, and vectors or the embed
    jobs that bring them) or absent (tests/library_checks.py, on a fresh connection)."""
    check_library(lib.path)


# -- the debouncer, on a fake clock ---------------------------------------------------------------
class FakeFs:
    def __init__(self) -> None:
        self.now = 0.0
        self.files: dict[str, tuple[int, int]] = {}

    def clock(self) -> float:
        return self.now

    def stat(self, path: str):
        return self.files.get(path)


def test_debouncer_waits_for_quiet_and_stable_size():
    fs = FakeFs()
    d = Debouncer(quiet_s=1.0, recheck_s=0.25, clock=fs.clock, stat=fs.stat)
    fs.files["/w/a.txt"] = (10, 1)
    d.touch("/w/a.txt")
    for _ in range(8):               # events keep coming: never ready
        fs.now += 0.5
        fs.files["/w/a.txt"] = (fs.files["/w/a.txt"][0] + 10, int(fs.now * 1000))
        d.touch("/w/a.txt")
        assert d.ready() == []
    fs.now += 1.0                     # quiet, same size as at the last event
    assert d.ready() == ["/w/a.txt"]
    assert len(d) == 0 and d.ready() == []


def test_debouncer_holds_a_file_that_grows_without_events():
    fs = FakeFs()
    d = Debouncer(quiet_s=1.0, recheck_s=0.25, clock=fs.clock, stat=fs.stat)
    fs.files["/w/big.pdf"] = (100, 1)
    d.touch("/w/big.pdf")
    fs.now = 1.0
    fs.files["/w/big.pdf"] = (5000, 2)        # a copy in progress that sent nothing
    assert d.ready() == []
    fs.now = 1.25
    fs.files["/w/big.pdf"] = (9000, 3)
    assert d.ready() == []
    fs.now = 1.5                              # unchanged across two checks: settled
    assert d.ready() == ["/w/big.pdf"]


def test_debouncer_deleted_path_settles_and_move_source_travels_with_target():
    fs = FakeFs()
    d = Debouncer(quiet_s=1.0, recheck_s=0.25, clock=fs.clock, stat=fs.stat)
    d.touch("/w/gone.txt")                    # does not exist: a delete
    fs.files["/w/new.txt"] = (5, 5)
    d.touch("/w/new.txt", companions=["/w/old.txt"])
    assert d.next_due() == 1.0
    fs.now = 1.0
    assert d.ready() == ["/w/gone.txt", "/w/new.txt", "/w/old.txt"]


def test_debouncer_forgets_a_vanished_folder():
    fs = FakeFs()
    d = Debouncer(quiet_s=1.0, clock=fs.clock, stat=fs.stat)
    d.touch("/mnt/usb/a.txt")
    d.touch("/mnt/usb2/b.txt")
    assert d.pending_under("/mnt/usb") == 1
    assert d.discard_under("/mnt/usb") == 1
    assert "/mnt/usb2/b.txt" in d and len(d) == 1


# -- translating watchdog events -----------------------------------------------------------------
def test_translate_applies_the_scanner_skip_rules():
    from watchdog.events import (
        DirDeletedEvent,
        DirModifiedEvent,
        DirMovedEvent,
        FileCreatedEvent,
        FileMovedEvent,
        FileOpenedEvent,
    )

    r = "/w"
    assert translate(FileCreatedEvent("/w/a.txt"), 1, r) == [Touch(1, "/w/a.txt")]
    for skipped in ("/w/~$report.docx", "/w/.~lock.a.docx#", "/w/x.pdf.part", "/w/.hidden.txt",
                    "/w/.git/notes.md", "/w/setup.exe", "/w/a.txt.crdownload"):
        assert translate(FileCreatedEvent(skipped), 1, r) == [], skipped
    assert translate(FileOpenedEvent("/w/a.txt"), 1, r) == []
    assert translate(DirModifiedEvent("/w/sub"), 1, r) == []
    # an editor writes a temp file and renames it over the real one
    assert translate(FileMovedEvent("/w/.a.txt.swp", "/w/a.txt"), 1, r) == [Touch(1, "/w/a.txt")]
    # a file renamed to a backup name is gone for the library
    assert translate(FileMovedEvent("/w/a.txt", "/w/a.txt~"), 1, r) == [Touch(1, "/w/a.txt")]
    assert translate(FileMovedEvent("/w/a.txt", "/w/b.txt"), 1, r) == [Touch(1, "/w/b.txt", ("/w/a.txt",))]
    assert translate(DirMovedEvent("/w/s", "/w/t"), 1, r) == [Touch(1, "/w/t", ("/w/s",))]
    assert translate(DirMovedEvent("/w/s", "/w/.trash"), 1, r) == [Touch(1, "/w/s")]
    assert translate(DirDeletedEvent("/w"), 1, r) == [RootGone(1)]


def test_network_file_systems_are_polled(monkeypatch):
    import psutil

    from core.watch import fs

    part = SimpleNamespace(device="srv:/export", mountpoint="/mnt/share", fstype="nfs4", opts="rw")
    root = SimpleNamespace(device="/dev/sda1", mountpoint="/", fstype="ext4", opts="rw")
    monkeypatch.setattr(psutil, "disk_partitions", lambda all=False: [root, part])
    monkeypatch.setattr(os.path, "realpath", lambda p: p)
    assert "nfs4" in fs.polling_reason("/mnt/share/docs")
    assert fs.polling_reason("/home/me/docs") is None
    assert "max_user_watches" in fs.describe_start_error(OSError(errno.ENOSPC, "limit"))


# -- watching for real ------------------------------------------------------------------------------
def test_burst_of_500_files_is_indexed_exactly_once(env):
    staging = env.tmp / "staging"
    words = [f"burstword{i:03d}x" for i in range(500)]
    for i, w in enumerate(words):
        write(staging / f"f{i:03d}.txt", note(w))
    start(env)
    for i in range(500):
        shutil.copy(staging / f"f{i:03d}.txt", env.folder / f"f{i:03d}.txt")
    wait_until(lambda: indexed_count(env.lib) == 500 and settled(env.lib), timeout=150,
               what="500 files indexed")
    assert env.lib.watching.stop_watching(timeout=60)  # the worker has reported all it did
    enc = env.encoder()
    texts = [t for t in enc.counts if "burstword" in t]
    assert len(texts) == 500 and max(enc.counts[t] for t in texts) == 1   # each encoded once
    indexed = collections.Counter(e.path for e in env.events.of("indexed"))
    assert len(indexed) == 500 and set(indexed.values()) == {1}
    assert fts_paths(env.lib, words[123]) == {str(env.folder / "f123.txt")}
    assert_consistent(env.lib)


def test_file_written_slowly_is_indexed_once_with_its_final_content(env):
    start(env, debounce_s=1.0)
    path = env.folder / "slow.txt"
    pieces = [f"Piece number {k} of the slow file mentions slowword{k}y.\n" for k in range(10)]
    with open(path, "w", encoding="utf-8") as fh:
        for piece in pieces:
            fh.write(piece)
            fh.flush()
            os.fsync(fh.fileno())
            time.sleep(0.2)
    wait_until(lambda: indexed_count(env.lib) == 1 and settled(env.lib), what="slow file indexed")
    # nothing left that could index it again: no job queued, no change still settling
    watcher = env.lib.watching.watcher
    wait_until(lambda: settled(env.lib) and watcher.pending_of(0, str(env.folder)) == 0,
               what="no change left to settle")
    assert env.lib.watching.stop_watching(timeout=60)
    assert fts_paths(env.lib, "slowword9y") == {str(path)}
    assert fts_paths(env.lib, "slowword0y") == {str(path)}
    # Only the chunks of the final text were ever encoded, each once: no partial version.
    counts = env.encoder().counts
    encoded = sorted(t for t in counts if "slowword" in t)
    final = sorted(r[0] for r in env.lib.store.query("SELECT text FROM chunks"))
    assert encoded == final and all(counts[t] == 1 for t in encoded), encoded
    assert len(env.events.of("indexed", str(path))) == 1


def test_editor_save_through_a_temp_file_and_a_lock_file_is_one_update(env):
    f = env.folder
    target = write(f / "report.md", note("draftword"))
    start(env)
    wait_until(lambda: env.events.of("indexed", str(target)) and settled(env.lib), what="initial index")
    doc_id = doc_paths(env.lib)[str(target)]
    write(f / "~$report.docx", "owner lock")                    # Office lock file
    write(f / ".report.md.swp", "swap")                         # editor swap file
    tmp = write(f / "report.md.tmp", note("finalword"))         # save to a temp file ...
    os.replace(tmp, target)                                     # ... renamed over the original
    (f / ".report.md.swp").unlink()
    wait_until(lambda: fts_paths(env.lib, "finalword") == {str(target)} and settled(env.lib),
               what="saved content indexed")
    assert env.lib.watching.stop_watching(timeout=60)
    assert doc_paths(env.lib) == {str(target): doc_id}          # no lock/temp documents
    assert fts_paths(env.lib, "draftword") == set()
    assert len(env.events.of("indexed", str(target))) == 2     # the first index, then one update
    assert sum(n for t, n in env.encoder().counts.items() if "finalword" in t) == 1


def test_rename_and_move_of_files_and_folders_do_not_reencode(env):
    f = env.folder
    write(f / "alpha.txt", note("alphaword"))
    write(f / "sub" / "beta.txt", note("betaword"))
    write(f / "sub" / "deep" / "gamma.md", note("gammaword"))
    write(f / "other" / "keep.txt", note("keepword"))
    start(env)
    wait_until(lambda: indexed_count(env.lib) == 4 and settled(env.lib), what="initial index")
    ids = doc_paths(env.lib)
    encoded = env.encoder().total

    os.rename(f / "alpha.txt", f / "alpha-renamed.txt")              # rename a file
    os.rename(f / "sub" / "beta.txt", f / "other" / "beta.txt")      # move a file
    os.rename(f / "sub", f / "moved-sub")                            # move a folder
    expect = {
        str(f / "alpha-renamed.txt"): ids[str(f / "alpha.txt")],
        str(f / "other" / "beta.txt"): ids[str(f / "sub" / "beta.txt")],
        str(f / "moved-sub" / "deep" / "gamma.md"): ids[str(f / "sub" / "deep" / "gamma.md")],
        str(f / "other" / "keep.txt"): ids[str(f / "other" / "keep.txt")],
    }
    wait_until(lambda: doc_paths(env.lib) == expect and settled(env.lib), what="paths follow moves")
    assert env.encoder().total == encoded                     # nothing encoded again
    assert fts_paths(env.lib, "alphaword") == {str(f / "alpha-renamed.txt")}
    assert fts_paths(env.lib, "betaword") == {str(f / "other" / "beta.txt")}
    assert fts_paths(env.lib, "gammaword") == {str(f / "moved-sub" / "deep" / "gamma.md")}
    wait_until(lambda: {str(f / "alpha-renamed.txt"), str(f / "other" / "beta.txt")}
               <= {e.path for e in env.events.of("moved")}, what="moved events")
    assert_consistent(env.lib)


def _knn(lib: Library, vector, k: int = 20) -> set[int]:
    rows = lib.store.query(
        f"SELECT chunk_id FROM {vec_table(lib.versions.active_model_id())} WHERE embedding MATCH ? AND k = ?",
        (vector.astype("float32").tobytes(), k),
    )
    return {r[0] for r in rows}


def test_deleted_files_and_folders_leave_keyword_and_semantic_search(env):
    f = env.folder
    write(f / "gone.txt", note("goneword"))
    write(f / "dir" / "one.txt", note("dironeword"))
    write(f / "dir" / "two" / "two.md", note("dirtwoword"))
    write(f / "stays.txt", note("staysword"))
    start(env)
    wait_until(lambda: indexed_count(env.lib) == 4 and settled(env.lib), what="initial index")
    doomed = {r[0]: r[1] for r in env.lib.store.query(
        "SELECT c.id, c.text FROM chunks c JOIN documents d ON d.id = c.document_id "
        "WHERE d.path != ?", (str(f / "stays.txt"),))}
    vectors = env.lib.store.get_vectors(env.lib.versions.active_model_id(), list(doomed))
    assert all(_knn(env.lib, v) & set(doomed) for v in vectors)       # found before

    (f / "gone.txt").unlink()
    shutil.rmtree(f / "dir")
    wait_until(lambda: set(doc_paths(env.lib)) == {str(f / "stays.txt")} and settled(env.lib),
               what="deleted documents purged")
    for word in ("goneword", "dironeword", "dirtwoword"):
        assert fts_paths(env.lib, word) == set()
    for v in vectors:                                                    # semantic: no vector left
        assert not (_knn(env.lib, v) & set(doomed))
    assert fts_paths(env.lib, "staysword") == {str(f / "stays.txt")}
    wait_until(lambda: {e.path for e in env.events.of("removed")}
               >= {str(f / "gone.txt"), str(f / "dir" / "one.txt")}, what="removed events")
    assert_consistent(env.lib)


def test_changes_made_while_not_watching_are_caught_up_at_start(env):
    f = env.folder
    write(f / "edit.txt", note("beforeedit"))
    write(f / "delete.txt", note("deleteword"))
    write(f / "rename.txt", note("renameword"))
    env.lib.indexer.index()
    encoded = env.encoder().total
    write(f / "edit.txt", note("afteredit"))
    (f / "delete.txt").unlink()
    os.rename(f / "rename.txt", f / "renamed.txt")
    write(f / "new" / "new.txt", note("newword"))
    start(env)
    wait_until(lambda: settled(env.lib), what="catch-up")
    assert set(doc_paths(env.lib)) == {str(f / "edit.txt"), str(f / "renamed.txt"), str(f / "new" / "new.txt")}
    assert fts_paths(env.lib, "afteredit") == {str(f / "edit.txt")}
    assert fts_paths(env.lib, "beforeedit") == set()
    assert fts_paths(env.lib, "renameword") == {str(f / "renamed.txt")}
    assert env.encoder().total == encoded + 2      # the edited and the new file only
    status = env.lib.watching.watch_status()[0]
    assert status.state == "watching" and status.last_reconcile is not None


def test_dropped_events_are_repaired_by_the_periodic_reconcile(env):
    f = env.folder
    write(f / "a.txt", note("droppeda"))
    write(f / "b.txt", note("droppedb"))
    start(env, reconcile_interval_s=1.5)
    wait_until(lambda: indexed_count(env.lib) == 2 and settled(env.lib), what="initial index")
    watcher = env.lib.watching.watcher
    watcher.suspend_observers()               # from here on, no event reaches the watcher
    write(f / "c.txt", note("droppedc"))
    write(f / "a.txt", note("droppedaprime"))
    (f / "b.txt").unlink()
    time.sleep(0.3)
    watcher.resume_observers()
    wait_until(lambda: set(doc_paths(env.lib)) == {str(f / "a.txt"), str(f / "c.txt")}
               and fts_paths(env.lib, "droppedaprime") and settled(env.lib), what="reconcile repair")
    assert fts_paths(env.lib, "droppedb") == set()
    assert fts_paths(env.lib, "droppeda") == set()


def test_folder_removed_and_restored_keeps_documents_without_reencoding(env):
    f = env.folder
    for i in range(3):
        write(f / f"n{i}.txt", note(f"unplugword{i}"))
    start(env)
    wait_until(lambda: indexed_count(env.lib) == 3 and settled(env.lib), what="initial index")
    ids = doc_paths(env.lib)
    encoded = env.encoder().total
    away = env.tmp / "unplugged"
    os.rename(f, away)                        # the drive goes away
    wait_until(lambda: env.lib.watching.watch_status()[0].state == "unavailable", what="unavailable")
    wait_until(lambda: not any(d.available for d in env.lib.catalog.documents()), what="docs unavailable")
    assert doc_paths(env.lib) == ids          # kept, not deleted
    assert env.lib.folders()[0].state == "unavailable"
    os.rename(away, f)                        # and comes back
    wait_until(lambda: env.lib.watching.watch_status()[0].state == "watching"
               and all(d.available for d in env.lib.catalog.documents()) and settled(env.lib),
               what="available again")
    assert doc_paths(env.lib) == ids
    assert env.encoder().total == encoded     # nothing re-embedded
    assert fts_paths(env.lib, "unplugword1") == {str(f / "n1.txt")}
    wait_until(lambda: env.events.of("unavailable") and env.events.of("available"), what="events")
    write(f / "after.txt", note("afterreturn"))   # and it is watched again
    wait_until(lambda: fts_paths(env.lib, "afterreturn"), what="watched after return")


def test_stopping_during_indexing_leaves_the_library_consistent(env):
    staging = env.tmp / "staging"
    para = " ".join(f"sentence {k} about stopword{{i}} and more words here." for k in range(30))
    for i in range(80):
        write(staging / f"s{i:02d}.txt", "\n\n".join([para.format(i=i)] * 4))
    start(env)
    for p in sorted(staging.iterdir()):
        shutil.copy(p, env.folder / p.name)
    wait_until(lambda: env.events.of("indexed") or indexed_count(env.lib) > 0, timeout=60,
               what="indexing under way")
    assert env.lib.watching.stop_watching(timeout=60)
    assert not env.lib.watching.is_watching
    assert_consistent(env.lib)
    assert indexed_count(env.lib) < 80   # really stopped midway (the rest queued or still settling)
    start(env)                                 # picks up where it stopped
    wait_until(lambda: indexed_count(env.lib) == 80 and settled(env.lib), timeout=120,
               what="all indexed after restart")
    assert_consistent(env.lib)


def test_inotify_limit_falls_back_to_polling_and_says_how_to_fix_it(env, monkeypatch):
    from core.watch import watcher as watcher_mod

    def no_inotify():
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watcher_mod, "native_observer", no_inotify)
    start(env, poll_interval_s=0.3)
    status = env.lib.watching.watch_status()[0]
    assert status.state == "polling"
    assert "fs.inotify.max_user_watches" in status.message
    assert env.events.of("polling")
    write(env.folder / "polled.txt", note("polledword"))
    wait_until(lambda: fts_paths(env.lib, "polledword"), what="indexed through polling")


def test_forced_polling_follows_changes(env):
    start(env, use_polling=True, poll_interval_s=0.3)
    assert env.lib.watching.watch_status()[0].state == "polling"
    write(env.folder / "p.txt", note("pollone"))
    wait_until(lambda: fts_paths(env.lib, "pollone") and settled(env.lib), what="polled create")
    os.rename(env.folder / "p.txt", env.folder / "q.txt")
    wait_until(lambda: fts_paths(env.lib, "pollone") == {str(env.folder / "q.txt")}, what="polled move")


def test_watch_command_logs_and_stops_cleanly_on_ctrl_c(tmp_path, tiny_model_dir):
    folder = tmp_path / "docs"
    folder.mkdir()
    lib_path = tmp_path / "lib.sqlite"
    with Library(path=lib_path, model_path=tiny_model_dir) as lib:
        lib.add_folder(folder)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--library", str(lib_path), "--model", str(tiny_model_dir),
         "--device", "cpu", "watch", "--debounce", "0.3"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        wait_until(lambda: any("Ctrl-C" in ln for ln in lines) or proc.poll() is not None, timeout=90,
                   what="watch started")
        assert proc.poll() is None, proc.stderr.read()
        write(folder / "cli.txt", note("cliword"))
        wait_until(lambda: any("indexed" in ln and "cli.txt" in ln for ln in lines), timeout=60,
                   what="indexed line")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        assert "Stopped." in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    with Library(path=lib_path, model_path=tiny_model_dir) as lib:
        assert fts_paths(lib, "cliword") == {str(folder.resolve() / "cli.txt")}
        assert_consistent(lib)


def test_a_file_arriving_in_a_paused_folder_waits_counted_and_runs_on_resume(env):
    """The Library tab's "Waiting" stayed empty when a file arrived in a paused folder:
    the folder was not watched. It is now; the file waits in the queue until resume."""
    f = env.folder
    write(f / "first.txt", note("firstword"))
    env.lib.indexer.index()
    env.lib.catalog.set_folder_paused(f, True)
    start(env)
    write(f / "arrived.txt", note("arrivedword"))
    wait_until(lambda: env.lib.folders()[0].pending == 1, what="the arrival counted")
    assert env.lib.indexer.pending_jobs() == 0         # nothing an indexing run would take
    assert env.lib.indexer.process_jobs().indexed == 0  # a run leaves it waiting
    assert fts_paths(env.lib, "arrivedword") == set()
    env.lib.catalog.set_folder_paused(f, False)
    wait_until(lambda: fts_paths(env.lib, "arrivedword") == {str(f / "arrived.txt")}, what="indexed on resume")
    wait_until(lambda: env.lib.folders()[0].pending == 0, what="nothing waits")
    assert_consistent(env.lib)


def test_what_the_watcher_writes_is_told_by_the_window_not_through_changed(env):
    """The watcher's thread calls the indexer's marked writes; they tell nothing through
    ``events.changed`` (the window's session announces the watcher's work on its own), so
    a file indexed by the watcher is not announced twice."""
    heard: list = []
    env.lib.events.changed.subscribe(heard.append)
    start(env)
    write(env.folder / "a.txt", note("lighthouseword"))
    wait_until(lambda: indexed_count(env.lib) == 1 and settled(env.lib), what="a.txt indexed")
    assert env.lib.watching.stop_watching(timeout=60)
    assert env.events.of("indexed") and heard == []
