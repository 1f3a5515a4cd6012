"""make bench-index: Likewise's indexer against a naive pipeline, same files, same run.

Files: ../shared/data/pdf_real plus ../shared/data/docx/valid, from scratch.
Naive pipeline (the peer): pypdf text per page (python-docx paragraphs for .docx) ->
fixed windows of 200 words -> sentence-transformers encode (batch 32) -> one sqlite-vec
INSERT per row, each its own transaction. Both use all-MiniLM-L6-v2 on the CPU.
Each pipeline runs in its own child process so that peak RSS is its own.

Usage: python bench/bench_index.py [--limit N] [--no-ocr]
  --limit N   N files per folder, for a quick look
  --no-ocr    Likewise leaves scanned pages unread, as the naive pipeline does (by default
              it reads them by OCR: the corpus's scanned PDFs cost it about 50 s)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _files(limit: int | None) -> list[Path]:
    pdfs = sorted((SHARED / "pdf_real").rglob("*.pdf"))
    docx = sorted((SHARED / "docx" / "valid").rglob("*.docx"))
    if limit:
        pdfs, docx = pdfs[:limit], docx[:limit]
    return pdfs + docx


def linked_folder(folder: Path, files: list[Path]) -> Path:
    """A new folder of links to ``files``, numbered so that equal names stay apart."""
    folder.mkdir()
    for i, f in enumerate(files):
        os.symlink(f, folder / f"{i:04d}-{f.name}")
    return folder


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_likewise(limit: int | None, ocr: bool = True) -> dict:
    import core.offline  # noqa: F401
    from core.library import Library
    from core.settings import Settings

    files = _files(limit)
    with tempfile.TemporaryDirectory() as tmp:
        src = linked_folder(Path(tmp) / "docs", files)
        start = time.perf_counter()
        lib = Library(path=Path(tmp) / "lib.sqlite", settings=Settings(ocr_enabled=ocr))
        lib.add_folder(src, follow_links=True)   # the files are links to the shared data
        report = lib.indexer.index()
        seconds = time.perf_counter() - start
        counts = lib.status_counts()
        pages = lib.store.query_one(
            "SELECT COALESCE(SUM(pages), 0) FROM documents WHERE status = 'indexed' AND ext = '.pdf'"
        )[0]
        lib.close()     # ends the extraction workers, so their peak is counted below
    return {
        "seconds": seconds, "files": len(files), "pages": pages, "chunks": counts["chunks"],
        "documents": counts["indexed"], "peak_mb": _peak_mb(),
        "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0,
        "statuses": {k: counts[k] for k in ("indexed", "encrypted", "no_text", "error")},
        "encoded": report.chunks_encoded,
    }


def run_naive(limit: int | None) -> dict:
    import docx
    import pypdf
    from sentence_transformers import SentenceTransformer

    import core.offline  # noqa: F401
    from core.paths import default_model_path
    from core.store.db import connect

    files = _files(limit)
    start = time.perf_counter()
    model = SentenceTransformer(str(default_model_path()), device="cpu")
    pages = documents = chunks = 0
    with tempfile.TemporaryDirectory() as tmp:
        conn = connect(Path(tmp) / "naive.sqlite")
        conn.execute("CREATE TABLE chunks(id INTEGER PRIMARY KEY, path TEXT, page INT, text TEXT)")
        conn.execute("CREATE VIRTUAL TABLE vec USING vec0(embedding float[384])")
        for f in files:
            try:
                if f.suffix == ".pdf":
                    reader = pypdf.PdfReader(str(f))
                    texts = [(i + 1, p.extract_text() or "") for i, p in enumerate(reader.pages)]
                else:
                    d = docx.Document(str(f))
                    texts = [(None, "\n".join(p.text for p in d.paragraphs))]
            except Exception:  # noqa: BLE001 - the naive pipeline just skips a bad file
                continue
            windows = []
            for page, text in texts:
                # pypdf can return lone surrogates, which the tokenizer refuses
                words = text.encode("utf-8", "replace").decode("utf-8").split()
                windows += [(page, " ".join(words[i : i + 200])) for i in range(0, len(words), 200)]
            if not windows:
                continue
            documents += 1
            pages += sum(1 for p, _ in texts if p)
            vecs = model.encode([w for _, w in windows], batch_size=32)
            for (page, text), vec in zip(windows, vecs, strict=True):
                conn.execute("INSERT INTO chunks(path, page, text) VALUES (?,?,?)", (str(f), page, text))
                rowid = conn.last_insert_rowid()
                conn.execute("INSERT INTO vec(rowid, embedding) VALUES (?, ?)",
                             (rowid, vec.astype("float32").tobytes()))
                chunks += 1
        conn.close()
    return {
        "seconds": time.perf_counter() - start, "files": len(files), "pages": pages,
        "chunks": chunks, "documents": documents, "peak_mb": _peak_mb(),
    }


def _child(which: str, limit: int | None, ocr: bool = True) -> dict:
    cmd = ([sys.executable, __file__, "--child", which] + (["--limit", str(limit)] if limit else [])
           + ([] if ocr else ["--no-ocr"]))
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--child", choices=["likewise", "naive"])
    ap.add_argument("--no-ocr", action="store_true")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_likewise(args.limit, not args.no_ocr) if args.child == "likewise"
                         else run_naive(args.limit)))
        return
    print(f"bench-index: {len(_files(args.limit))} files from pdf_real + docx/valid, CPU, all-MiniLM-L6-v2, "
          f"Likewise's OCR {'off' if args.no_ocr else 'on'}")
    ours = _child("likewise", args.limit, not args.no_ocr)
    naive = _child("naive", args.limit)
    rows = [
        ("pages/s", ours["pages"] / ours["seconds"], naive["pages"] / naive["seconds"]),
        ("chunks/s", ours["chunks"] / ours["seconds"], naive["chunks"] / naive["seconds"]),
        ("documents/s", ours["documents"] / ours["seconds"], naive["documents"] / naive["seconds"]),
        ("seconds", ours["seconds"], naive["seconds"]),
        ("peak RSS MB", ours["peak_mb"], naive["peak_mb"]),
    ]
    print(f"{'':<14}{'likewise':>12}{'naive':>12}{'ratio':>9}")
    for name, a, b in rows:
        print(f"{name:<14}{a:>12.2f}{b:>12.2f}{(a / b if b else float('nan')):>9.2f}")
    print(f"likewise: {ours['documents']} documents, {ours['pages']} PDF pages, {ours['chunks']} chunks")
    print(f"naive:    {naive['documents']} documents, {naive['pages']} PDF pages, {naive['chunks']} chunks "
          "(200-word windows, no page-aware paragraphs, no isolation)")
    print("likewise statuses: " + ", ".join(f"{k} {v}" for k, v in ours["statuses"].items()))
    print(f"likewise extraction workers (separate processes; the naive pipeline has none): "
          f"peak RSS {ours['worker_peak_mb']:.0f} MB, the largest one")


if __name__ == "__main__":
    main()
