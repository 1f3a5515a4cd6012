"""Rescan cost: a library of many tiny unchanged files, then 1 % of them changed.

Generates ``--files`` tiny .txt files (default 50,000) in nested folders under a fresh
folder in /tmp, makes a library that knows them, then times:

  unchanged   `lib.indexer.index()` (scan every folder + process the queue) with nothing changed:
              the target is <= 30 s for 50,000 files, no file opened (files read = 0)
  changed     the same after rewriting ``--changed`` percent of the files (default 1 %):
              the scan finds them (jobs queued), the queue reads, extracts and encodes them
              (files read = the changed ones); cost should follow the number changed

The library is made either by writing the documents' rows directly through the Catalog
(default: quick, a passage each, what a rescan compares is the same), or by a real first
index (``--index``: minutes on 2 cores). Changed files are read, extracted and encoded for
real, with the model given (``--model``, default: the settings' model).

Usage: python bench/bench_rescan.py [--files N] [--changed PCT] [--index] [--model PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.machine import cpu_model  # noqa: E402

PER_FOLDER = 100


def make_files(root: Path, n: int) -> list[Path]:
    out = []
    for i in range(n):
        folder = root / f"year {2015 + i // 5000}" / f"box {i // PER_FOLDER:04d}"
        if i % PER_FOLDER == 0:
            folder.mkdir(parents=True, exist_ok=True)
        p = folder / f"note {i:06d}.txt"
        p.write_text(f"Note {i}: the ledger of crate {i * 7} lists {i % 97} barrels of tar.\n", encoding="utf-8")
        out.append(p)
    return out


def known_directly(lib, files: list[Path]) -> None:
    """Rows for every file as a first index would leave them (one passage each)."""
    from core.catalog import FileFacts
    from core.index.scan import file_hash
    from core.pathnames import to_db
    from core.types import Chunk

    folder_id = lib.folders()[0].id
    for start in range(0, len(files), 2000):
        with lib.store.write() as conn:
            for p in files[start : start + 2000]:
                st = p.stat()
                text = p.read_text(encoding="utf-8").strip()
                facts = FileFacts(to_db(str(p)), folder_id, st.st_size, st.st_mtime, file_hash(p))
                lib.catalog.write_document(conn, facts, None, None,
                                           [Chunk(ord=0, text=text, char_start=0, char_end=len(text))], {})


def timed_index(lib) -> tuple[float, object]:
    start = time.perf_counter()
    report = lib.indexer.index()
    return time.perf_counter() - start, report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=50_000)
    ap.add_argument("--changed", type=float, default=1.0, help="percent of the files changed (default 1)")
    ap.add_argument("--index", action="store_true", help="make the library by a real first index")
    ap.add_argument("--model", default=None, help="model folder (default: the settings' model)")
    args = ap.parse_args()

    import core.offline  # noqa: F401
    from core.library import Library

    with tempfile.TemporaryDirectory(prefix="likewise-rescan-") as tmp:
        root = Path(tmp) / "archive"
        t0 = time.perf_counter()
        files = make_files(root, args.files)
        made = time.perf_counter() - t0
        lib = Library(path=Path(tmp) / "lib.sqlite", model_path=args.model)
        try:
            lib.add_folder(root)
            t0 = time.perf_counter()
            if args.index:
                lib.indexer.index()
            else:
                known_directly(lib, files)
            built = time.perf_counter() - t0
            unchanged_s, unchanged = timed_index(lib)
            n_changed = max(1, int(round(len(files) * args.changed / 100)))
            step = max(len(files) // n_changed, 1)
            changed_files = files[::step][:n_changed]
            later = time.time() + 10
            for p in changed_files:
                p.write_text(p.read_text(encoding="utf-8") + "Amended: two more barrels.\n", encoding="utf-8")
                os.utime(p, (later, later))
            t0 = time.perf_counter()
            queued = lib.indexer.reconcile()
            scan_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            changed = lib.indexer.process_jobs()
            process_s = time.perf_counter() - t0
        finally:
            lib.close()
    cpu = cpu_model()
    print(f"bench_rescan on {cpu}: {len(files):,} files in {len(files) // PER_FOLDER:,} folders "
          f"(made in {made:.1f} s; library {'indexed' if args.index else 'written directly'} in {built:.1f} s)")
    print(f"{'rescan':<34}{'seconds':>9}{'files read':>12}{'jobs':>8}{'encoded':>9}")
    print(f"{'unchanged (scan + queue)':<34}{unchanged_s:>9.2f}{unchanged.files_seen:>12,}{0:>8}"
          f"{unchanged.chunks_encoded:>9,}")
    print(f"{f'{args.changed:g} % changed: scan':<34}{scan_s:>9.2f}{'':>12}{queued:>8,}{'':>9}")
    print(f"{f'{args.changed:g} % changed: read + encode':<34}{process_s:>9.2f}{changed.files_seen:>12,}"
          f"{'':>8}{changed.chunks_encoded:>9,}")
    print(f"per changed file: {process_s / max(n_changed, 1) * 1000:.1f} ms; "
          f"per unchanged file: {unchanged_s / len(files) * 1e6:.0f} us")
    ok = unchanged.files_seen == 0 and unchanged_s <= 30 and changed.files_seen == n_changed
    print("target (<= 30 s unchanged, no file read, only the changed read):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
