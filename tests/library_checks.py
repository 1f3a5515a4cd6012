"""Checks and documents shared by the robustness tests (full disk, two processes, damage)."""

from __future__ import annotations

import os
from pathlib import Path

from core.library import Library
from core.store import vec_table
from core.store.db import connect

CODEWORDS = ["quillback", "marrowfat", "tinderbox", "gallowglass", "pennywhistle"]


def write_notes(folder: Path, start: int, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        word = CODEWORDS[i % len(CODEWORDS)]
        paras = [
            f"Note {i} about the {word} ledger, entry {i * 13}, kept by clerk number {i}.",
            f"The second paragraph of note {i} lists cargo, tides and weather {i * 7} times over.",
            " ".join(f"Sentence {j} of note {i} fills the page with words {i + j}." for j in range(12)),
        ]
        (folder / f"note{i:03d}.md").write_text(f"# Note {i}\n\n" + "\n\n".join(paras), encoding="utf-8")


def passages(lib: Library, root: Path) -> set[tuple[str, int, str]]:
    rows = lib.store.query(
        "SELECT d.path, c.ord, c.text FROM chunks c JOIN documents d ON d.id = c.document_id"
    )
    return {(os.path.relpath(p, root), o, t) for p, o, t in rows}


def assert_consistent(db: Path) -> None:
    """integrity_check ok, and every document complete or absent: its chunks and words
    together, and a vector for each chunk or an embed job that will bring it (words first,
    meaning next); a copy (core/copies.py) holds no chunks of its own."""
    conn = connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        (mid,) = conn.execute("SELECT value FROM meta WHERE key = 'active_model_id'").fetchone()
        rows = conn.execute(
            "SELECT id, status, (SELECT COUNT(*) FROM chunks WHERE document_id = documents.id), copy_of "
            "FROM documents").fetchall()
        for doc_id, status, n, copy_of in rows:
            if status != "indexed":
                continue
            if copy_of is not None:
                assert n == 0, (doc_id, n)
                continue
            (nv,) = conn.execute(
                f"SELECT COUNT(*) FROM {vec_table(int(mid))} v JOIN chunks c ON c.id = v.chunk_id "
                "WHERE c.document_id = ?", (doc_id,)).fetchone()
            (nf,) = conn.execute(
                "SELECT COUNT(*) FROM chunks_fts WHERE rowid IN "
                "(SELECT id FROM chunks WHERE document_id = ?)", (doc_id,)).fetchone()
            (queued,) = conn.execute("SELECT COUNT(*) FROM jobs WHERE kind = 'embed' AND document_id = ? "
                                     "AND model_id = ?", (doc_id, int(mid))).fetchone()
            assert n > 0 and n == nf and (nv == n or queued), (doc_id, n, nv, nf, queued)
    finally:
        conn.close()
