"""Indexing: statuses on real hostile files, incremental work, moves, deletes, crash safety."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from core.library import Library
from core.store import vec_table
from core.store.db import connect

ROOT = Path(__file__).resolve().parents[3]


def _counts(lib: Library) -> dict:
    mid = lib.versions.active_model_id()
    q = lib.store.query_one
    return {
        "docs": q("SELECT COUNT(*) FROM documents")[0],
        "chunks": q("SELECT COUNT(*) FROM chunks")[0],
        "fts": q("SELECT COUNT(*) FROM chunks_fts")[0],
        "vectors": q(f"SELECT COUNT(*) FROM {vec_table(mid)}")[0],
    }


def _fts_hits(lib: Library, phrase: str) -> list[str]:
    rows = lib.store.query(
        "SELECT d.path FROM chunks_fts f JOIN chunks c ON c.id = f.rowid "
        "JOIN documents d ON d.id = c.document_id WHERE chunks_fts MATCH ?",
        ('"' + phrase.replace('"', '""') + '"',),
    )
    return [r[0] for r in rows]


def _write_notes(folder: Path, n: int = 6) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"note{i}.md"
        p.write_text(
            f"# Note {i}\n\nThe harbour pilot number {i} boarded the ship at dawn.\n\n"
            f"Paragraph two of note {i} talks about tides, cargo and weather number {i * 7}.\n",
            encoding="utf-8",
        )
        paths.append(p)
    return paths


def test_every_shared_file_gets_a_final_status(tmp_path, tiny_model_dir, shared_data):
    """All of pdf_real, pdf_edgecases and docx: each file ends indexed, encrypted, no text
    or error, with a reason when not indexed; the bomb and malformed files do not stop
    the run; encrypted files with an empty user password are indexed."""
    from core.settings import Settings

    # OCR off: the scans would cost minutes here; tests/core/extract/test_ocr.py reads them.
    settings = Settings(extract_timeout_s=30, extract_memory_mb=1536, ocr_enabled=False)
    lib = Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir, settings=settings)
    try:
        files = []
        for sub in ("pdf_real", "pdf_edgecases", "docx"):
            lib.add_folder(shared_data / sub)
            files += [p for p in (shared_data / sub).rglob("*") if p.suffix.lower() in (".pdf", ".docx")]
        report = lib.indexer.index()
        docs = {d.path: d for d in lib.catalog.documents()}
        missing = [str(p) for p in files if str(p.resolve()) not in docs and str(p) not in docs]
        assert missing == []
        assert lib.indexer.pending_jobs() == 0
        for d in docs.values():
            assert d.status in ("indexed", "encrypted", "no_text", "error"), d
            if d.status != "indexed":
                assert d.error and len(d.error) > 5, d
            else:
                assert d.chunks > 0, d
        by_status: dict[str, int] = {}
        for d in docs.values():
            by_status[d.status] = by_status.get(d.status, 0) + 1
        assert by_status.get("indexed", 0) > 250
        assert by_status.get("encrypted", 0) >= 1 and by_status.get("no_text", 0) >= 1
        empty_pw = [d for p, d in docs.items() if "encrypted_empty_user_password" in p]
        # Opened with the empty password: none is left "encrypted"; those with text are indexed.
        assert empty_pw and all(d.status in ("indexed", "no_text") for d in empty_pw)
        assert sum(d.status == "indexed" for d in empty_pw) >= 5
        assert all(d.status == "error" for p, d in docs.items() if "/docx/malformed/" in p)
        assert report.failed == sum(1 for d in docs.values() if d.status != "indexed")

        # A phrase from a known page lands in a chunk with that page number.
        row = lib.store.query_one(
            "SELECT c.page_start, c.page_end FROM chunks_fts f JOIN chunks c ON c.id = f.rowid "
            "JOIN documents d ON d.id = c.document_id WHERE chunks_fts MATCH ? AND d.path LIKE ?",
            ('"Tracing just-in-time compilation"', "%tracemonkey%"),
        )
        if row is None:  # the phrase as pypdf renders the paper's title page
            row = lib.store.query_one(
                "SELECT c.page_start, c.page_end FROM chunks c JOIN documents d ON d.id = c.document_id "
                "WHERE d.path LIKE ? AND c.text LIKE ?", ("%tracemonkey%", "%Trace-based Just-in-Time%"),
            )
        assert row is not None and row[0] == 1
        row = lib.store.query_one(
            "SELECT c.page_start, c.page_end FROM chunks c JOIN documents d ON d.id = c.document_id "
            "WHERE d.path LIKE ? AND c.text LIKE ?", ("%tracemonkey%", "%Acknowledgments%"),
        )
        assert row is not None and row[0] >= 10        # the acknowledgments close the paper
        (ok,) = lib.store.query_one("PRAGMA integrity_check")
        assert ok == "ok"
    finally:
        lib.close()


def test_unchanged_folder_encodes_nothing_and_changes_cost_only_themselves(tmp_path, tiny_library):
    lib = tiny_library
    folder = tmp_path / "docs"
    notes = _write_notes(folder)
    lib.add_folder(folder)
    first = lib.indexer.index()
    assert first.indexed == len(notes) and first.chunks_encoded > 0
    base = _counts(lib)
    assert base["chunks"] == base["fts"] == base["vectors"] > 0

    again = lib.indexer.index()
    assert again.chunks_encoded == 0 and again.indexed == 0

    # Touch without changing content: nothing encoded.
    os.utime(notes[0], (time.time() + 5, time.time() + 5))
    assert lib.indexer.index().chunks_encoded == 0

    # Change one file: only its new text is encoded.
    notes[1].write_text("# Note 1\n\nA completely new paragraph about lighthouses and fog.\n", encoding="utf-8")
    changed = lib.indexer.index()
    assert changed.indexed == 1
    assert 0 < changed.chunks_encoded <= len(lib.catalog.chunks_of(lib.catalog.document(str(notes[1])).id))
    assert _fts_hits(lib, "lighthouses") == [str(notes[1])]
    assert _fts_hits(lib, "harbour pilot number 1") == []


def test_move_and_rename_encode_nothing_and_delete_removes_everything(tmp_path, tiny_library):
    lib = tiny_library
    folder = tmp_path / "docs"
    notes = _write_notes(folder)
    lib.add_folder(folder)
    lib.indexer.index()
    doc_before = lib.catalog.document(str(notes[2]))

    target = folder / "sub" / "renamed.md"
    target.parent.mkdir()
    shutil.move(notes[2], target)
    moved = lib.indexer.index()
    assert moved.moved == 1 and moved.chunks_encoded == 0
    doc_after = lib.catalog.document(str(target))
    assert doc_after.id == doc_before.id
    assert _fts_hits(lib, "harbour pilot number 2") == [str(target)]

    before = _counts(lib)
    n = doc_after.chunks
    target.unlink()
    removed = lib.indexer.index()
    assert removed.removed == 1
    after = _counts(lib)
    assert after["docs"] == before["docs"] - 1
    assert after["chunks"] == after["fts"] == after["vectors"] == before["chunks"] - n
    assert _fts_hits(lib, "harbour pilot number 2") == []


def test_skips_hidden_temp_and_symlink_loops(tmp_path, tiny_library):
    lib = tiny_library
    folder = tmp_path / "docs"
    _write_notes(folder, 2)
    for name in ("~$draft.docx", ".~lock.report.docx#", "movie.part", "x.tmp", ".hidden.md"):
        (folder / name).write_text("ignored text", encoding="utf-8")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD.md").write_text("ignored", encoding="utf-8")
    os.symlink(folder, folder / "loop")
    lib.add_folder(folder)
    report = lib.indexer.index()
    assert report.indexed == 2
    assert sorted(Path(d.path).name for d in lib.catalog.documents()) == ["note0.md", "note1.md"]


def test_cancel_returns_quickly_and_leaves_library_consistent(tmp_path, tiny_library):
    from core.cancel import CancelToken

    lib = tiny_library
    folder = tmp_path / "docs"
    _write_notes(folder, 40)
    lib.add_folder(folder)
    token = CancelToken()
    seen = []

    def progress(p):
        seen.append(p.files_done)
        if p.files_done >= 3:
            token.cancel()

    report = lib.indexer.index(progress=progress, cancel=token)
    assert report.cancelled
    assert lib.indexer.pending_jobs() > 0
    for d in lib.catalog.documents():
        assert d.status == "indexed" and d.chunks > 0
    rest = lib.indexer.index()
    assert not rest.cancelled and lib.indexer.pending_jobs() == 0
    assert len(lib.catalog.documents()) == 40


_KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from core.library import Library
    lib = Library(path=sys.argv[1], model_path=sys.argv[2])
    if len(lib.folders()) == 0:
        lib.add_folder(sys.argv[3])
    lib.indexer.index()
    lib.close()
    """
)


def _complete_or_absent(db: Path) -> None:
    conn = connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    (mid,) = conn.execute("SELECT value FROM meta WHERE key = 'active_model_id'").fetchone()
    for doc_id, status, n_expected, copy_of in conn.execute(
        "SELECT id, status, (SELECT COUNT(*) FROM chunks WHERE document_id = documents.id), copy_of "
        "FROM documents"
    ).fetchall():
        if status == "indexed" and copy_of is None:
            # words first: passages and words are there together; a passage without its
            # vector has its document's embed job (meaning next)
            assert n_expected > 0
            (nv,) = conn.execute(
                f"SELECT COUNT(*) FROM {vec_table(int(mid))} v JOIN chunks c ON c.id = v.chunk_id "
                "WHERE c.document_id = ?", (doc_id,)).fetchone()
            (nf,) = conn.execute(
                "SELECT COUNT(*) FROM chunks_fts WHERE rowid IN (SELECT id FROM chunks WHERE document_id = ?)",
                (doc_id,)).fetchone()
            (queued,) = conn.execute("SELECT COUNT(*) FROM jobs WHERE kind = 'embed' AND document_id = ? "
                                     "AND model_id = ?", (doc_id, int(mid))).fetchone()
            assert n_expected == nf
            assert nv == n_expected or (queued and nv < n_expected)
    conn.close()


def _wait_for(db: Path, kind: str, threshold: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    table = "jobs" if kind == "jobs" else "documents"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists():
            try:
                conn = connect(db)
                n = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                conn.close()
                if n >= threshold:
                    return
            except Exception:  # noqa: BLE001 - schema not there yet
                pass
        time.sleep(0.05)
    assert proc.poll() is None, "the indexer finished before it could be killed"


def test_sigkill_at_several_points_then_resume(tmp_path, tiny_model_dir, shared_data):
    folder = tmp_path / "docs"
    folder.mkdir()
    for i, p in enumerate(sorted((shared_data / "docx" / "valid").rglob("*.docx"))[:40]):
        shutil.copy(p, folder / f"{i:02d}-{p.name}")
    _write_notes(folder / "notes", 30)
    db = tmp_path / "lib.sqlite"
    script = tmp_path / "run.py"
    script.write_text(_KILL_SCRIPT.format(root=str(ROOT)))
    env = dict(os.environ)
    # Kill points: as soon as jobs are queued (before any document), after a few
    # documents, and deeper into the run.
    for kind, threshold in (("jobs", 1), ("docs", 5), ("docs", 25)):
        proc = subprocess.Popen([sys.executable, str(script), str(db), str(tiny_model_dir), str(folder)], env=env)
        _wait_for(db, kind, threshold, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _complete_or_absent(db)
    done_before = {}
    if db.exists():
        conn = connect(db)
        done_before = dict(conn.execute("SELECT path, indexed_at FROM documents").fetchall())
        conn.close()
    lib = Library(path=db, model_path=tiny_model_dir)
    try:
        if not lib.folders():
            lib.add_folder(folder)
        lib.indexer.index()
        assert lib.indexer.pending_jobs() == 0
        docs = {d.path: d for d in lib.catalog.documents()}
        assert len(docs) == 70
        for path, indexed_at in done_before.items():
            assert docs[path].indexed_at == indexed_at, f"{path} was indexed again"
        _complete_or_absent(db)
    finally:
        lib.close()


def test_cli_add_folder_index_status(tmp_path, tiny_model_dir, capsys):
    import json

    from app.cli import main

    folder = tmp_path / "docs"
    _write_notes(folder, 3)
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 this is not a real docx")
    lib_file = str(tmp_path / "cli.sqlite")
    common = ["--library", lib_file, "--model", str(tiny_model_dir)]
    assert main(common + ["add-folder", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "3 indexed" in out and "1 not indexed" in out
    assert main(common + ["status", "--errors", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["counts"]["indexed"] == 3 and status["counts"]["error"] == 1
    assert status["errors"][0]["path"].endswith("broken.docx") and status["errors"][0]["reason"]
    assert main(common + ["index", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["chunks_encoded"] == 0
    assert main(common + ["remove-folder", str(folder)]) == 0
    assert "3 indexed" not in capsys.readouterr().out
    assert main(common + ["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["chunks"] == 0
