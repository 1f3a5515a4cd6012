"""A folder of hostile and odd files (tests/hostile.py): names that are not text, links
out of the folder and in loops, FIFOs, bombs, parser traps, truncated and mislabelled
files. Indexing it must finish, give every file its expected final status with a
reason, find every readable codeword, and never read anything outside the folder."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.library import Library
from core.pathnames import display, from_db, to_db
from core.settings import Settings
from tests.hostile import make_hostile_folder

ROOT = Path(__file__).resolve().parents[3]


def _keyword_hits(lib: Library, word: str) -> list[str]:
    return [r.path for r in lib.searcher.search(word, mode="keyword", k=20)]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, tiny_model_dir):
    """One indexing of the hostile folder, shared by the checks below."""
    base = tmp_path_factory.mktemp("hostile")
    chosen, outside, expects = make_hostile_folder(base)
    settings = Settings(extract_timeout_s=20, extract_memory_mb=1024)
    lib = Library(path=base / "lib.sqlite", model_path=tiny_model_dir, settings=settings)
    lib.add_folder(chosen)
    report = lib.indexer.index()
    yield lib, chosen, outside, expects, report
    lib.close()


def test_every_hostile_file_ends_with_its_expected_status(hostile):
    lib, chosen, _, expects, report = hostile
    assert not report.cancelled and lib.indexer.pending_jobs() == 0
    docs = {from_db(d.path): d for d in lib.catalog.documents()}
    wrong = []
    for e in expects:
        path = os.fsdecode(os.fsencode(chosen) + b"/" + e.name)
        doc = docs.get(path)
        got = doc.status if doc else None
        if got != e.status:
            wrong.append(f"{e.what}: expected {e.status}, got {got} ({doc.error if doc else ''})")
        elif doc is not None and doc.status != "indexed":
            assert doc.error and len(doc.error) > 5, f"{e.what}: no reason given"
    assert wrong == []
    # nothing but the expected documents, nothing from outside the folder
    chosen_s = str(chosen) + os.sep
    assert all(p.startswith(chosen_s) for p in docs), [p for p in docs if not p.startswith(chosen_s)]
    expected_docs = {os.fsdecode(os.fsencode(chosen) + b"/" + e.name) for e in expects if e.status}
    assert set(docs) == expected_docs


def test_codewords_are_found_or_never_found(hostile):
    lib, chosen, _, expects, _ = hostile
    for e in expects:
        if not e.codeword:
            continue
        hits = _keyword_hits(lib, e.codeword)
        if e.findable:
            assert hits, f"{e.what}: {e.codeword} not found"
            assert all(from_db(h).startswith(str(chosen)) for h in hits)
        else:
            assert hits == [], f"{e.what}: {e.codeword} must never be found, found in {hits}"
    # what the links lead to was never read: not searchable, not stored
    for word in ("zqoutsidesecret", "zqoutsidedir", "root:x:0:0"):
        assert lib.store.query_one(
            "SELECT COUNT(*) FROM chunks WHERE text LIKE ?", (f"%{word}%",))[0] == 0


def test_non_utf8_names_are_kept_exactly_and_opened(hostile):
    lib, chosen, _, _, _ = hostile
    raw = os.fsencode(chosen) + b"/caf\xe9 latin1.txt"
    doc = lib.catalog.document(os.fsdecode(raw))
    assert os.fsencode(from_db(doc.path)) == raw            # lossless
    assert "caf\ufffd latin1.txt" in display(from_db(doc.path))   # readable
    with open(from_db(doc.path), "rb") as fh:               # opens the same file
        assert b"zqlatinname" in fh.read()
    assert doc.title == "caf\ufffd latin1"                  # a readable title


def test_problems_are_reported_not_raised(hostile):
    lib, chosen, _, _, report = hostile
    problems = {from_db(p): r for p, r in lib.indexer.reconciler.scan_problems()}
    assert "outside the chosen folders" in problems[str(chosen / "link-to-secret.txt")]
    assert "outside the chosen folders" in problems[str(chosen / "link-to-outside-dir")]
    assert problems[str(chosen / "dangling.txt")] == "broken link"
    failures = {from_db(p) for p, _, _ in report.failures}
    assert str(chosen / "zipbomb.docx") in failures


def test_cli_index_and_search_over_hostile_names(hostile, tmp_path, tiny_model_dir):
    """`likewise index` exits 0 with no traceback; text and --json output show names
    readably (U+FFFD) and give the exact bytes of a name that is not UTF-8."""
    _, chosen, _, _, _ = hostile
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    lib_file = tmp_path / "cli.sqlite"

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", "--library", str(lib_file), "--model", str(tiny_model_dir),
             *args], cwd=ROOT, env=env, capture_output=True, timeout=600)

    added = cli("add-folder", str(chosen), "--no-index")
    assert added.returncode == 0, added.stderr.decode(errors="replace")
    run = cli("index")
    err = run.stderr.decode("utf-8", errors="replace")
    assert run.returncode == 0 and "Traceback" not in err, err
    status = cli("status", "--errors")
    assert status.returncode == 0
    text = status.stdout.decode("utf-8")            # valid UTF-8 whatever the names
    assert "zipbomb.docx" in text and "outside the chosen folders" in text
    found = cli("search", "zqlatinname", "--mode", "keyword", "--json")
    assert found.returncode == 0, found.stderr.decode(errors="replace")
    hits = json.loads(found.stdout)
    assert hits[0]["path"].endswith("caf\ufffd latin1.txt")
    import base64

    assert base64.b64decode(hits[0]["path_bytes_b64"]) == os.fsencode(chosen) + b"/caf\xe9 latin1.txt"
    plain = cli("search", "zqlatinname", "--mode", "keyword")
    assert plain.returncode == 0 and "caf\ufffd latin1.txt" in plain.stdout.decode("utf-8")


def test_stored_names_round_trip_for_every_byte():
    names = [os.fsdecode(bytes([b]) + b"x") for b in range(1, 256) if b != ord("/")]
    names += ["\U0010f7ff\U0010f800\U0010ffff plain", "ok.txt", "\ud800\udfff win"]
    for name in names:
        stored = to_db(name)
        stored.encode("utf-8")                      # valid text for SQLite
        assert from_db(stored) == name
    # a name that would reverse itself on screen is shown in its real order
    assert display("\u202eevil\u202dgnp.txt") == "evilgnp.txt"
    # prefixes stay prefixes (folder range queries)
    folder = os.fsdecode(b"/d\xe9/")
    assert to_db(folder + "a.txt").startswith(to_db(folder))


def test_unreadable_file_ends_as_permission_denied(tmp_path, tiny_model_dir, monkeypatch):
    """(Root reads every file, so the refusal is made at the OS boundary.)"""
    import core.index.prepare as prepare

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "locked.txt").write_text("Locked away zqlocked.\n")
    (folder / "open.txt").write_text("Open to all zqopen.\n")
    real_hash = prepare.file_hash

    def refusing_hash(path, *a, **kw):
        if os.path.basename(path) == "locked.txt":
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_hash(path, *a, **kw)

    monkeypatch.setattr(prepare, "file_hash", refusing_hash)
    lib = Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir)
    try:
        lib.add_folder(folder)
        lib.indexer.index()
        locked = lib.catalog.document(folder / "locked.txt")
        assert (locked.status, locked.error) == ("error", "permission denied")
        assert lib.catalog.document(folder / "open.txt").status == "indexed"
    finally:
        lib.close()


def test_unlistable_folder_is_reported(tmp_path, tiny_model_dir, monkeypatch):
    import core.index.scan as scan

    folder = tmp_path / "docs"
    (folder / "private").mkdir(parents=True)
    (folder / "private" / "a.txt").write_text("Private zqprivate.\n")
    (folder / "b.txt").write_text("Public zqpublic.\n")
    real_scandir = os.scandir

    def refusing_scandir(path):
        if os.path.basename(os.fspath(path)) == "private":
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(scan.os, "scandir", refusing_scandir)
    lib = Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir)
    try:
        lib.add_folder(folder)
        lib.indexer.index()
        assert dict(lib.indexer.reconciler.scan_problems()) == {str(folder / "private"): "permission denied"}
        assert [d.status for d in lib.catalog.documents()] == ["indexed"]
    finally:
        lib.close()


def test_follow_links_setting_allows_outside_links(tmp_path, tiny_model_dir):
    folder, outside = tmp_path / "docs", tmp_path / "elsewhere"
    folder.mkdir()
    outside.mkdir()
    (outside / "far.md").write_text("Far notes zqfarnote.\n")
    os.symlink(outside, folder / "shortcut")
    lib = Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir)
    try:
        lib.add_folder(folder, follow_links=True)
        lib.indexer.index()
        assert _keyword_hits(lib, "zqfarnote") == [str(folder / "shortcut" / "far.md")]
    finally:
        lib.close()


def test_a_file_swapped_for_an_outside_link_after_the_scan_is_not_read(tmp_path, tiny_model_dir):
    folder, outside = tmp_path / "docs", tmp_path / "elsewhere"
    folder.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret zqswapsecret.\n")
    target = folder / "note.txt"
    target.write_text("Harmless zqharmless.\n")
    lib = Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir)
    try:
        lib.add_folder(folder, )
        lib.indexer.reconcile()
        target.unlink()
        os.symlink(outside / "secret.txt", target)
        lib.indexer.process_jobs()
        assert _keyword_hits(lib, "zqswapsecret") == []
        assert "outside the chosen folders" in lib.catalog.document(target).error
    finally:
        lib.close()
