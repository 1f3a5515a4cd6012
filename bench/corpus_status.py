"""Status counts of the whole shared corpus (pdf_real, pdf_edgecases, docx) with OCR off
and on: every file through the isolated workers, as the indexer extracts it. Prints the
counts, the files whose status changed, and the time OCR took.

    .venv/bin/python bench/corpus_status.py [--workers 2] [--timeout 60]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.extract.isolated import extract_many  # noqa: E402
from core.extract.options import ExtractOptions  # noqa: E402

SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def run(files: list[Path], ocr: bool, workers: int, timeout: float) -> tuple[dict, float]:
    started = time.perf_counter()
    results = dict(extract_many(files, workers=workers, timeout_s=timeout, memory_mb=2048,
                                options=ExtractOptions(ocr=ocr)))
    return results, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    files = []
    for sub in ("pdf_real", "pdf_edgecases", "docx"):
        files += sorted(p for p in (SHARED / sub).rglob("*") if p.suffix.lower() in (".pdf", ".docx"))
    print(f"{len(files)} files; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    off, off_s = run(files, False, args.workers, args.timeout)
    print(f"OCR off: {dict(Counter(r.status for r in off.values()))} in {off_s:.0f} s")
    on, on_s = run(files, True, args.workers, args.timeout)
    print(f"OCR on:  {dict(Counter(r.status for r in on.values()))} in {on_s:.0f} s")
    ocr_pages = sum(len({b.page for b in r.blocks if b.ocr}) for r in on.values())
    print(f"pages read by OCR: {ocr_pages}; extra time {on_s - off_s:.0f} s "
          f"({(on_s - off_s) / max(ocr_pages, 1):.1f} s per page with {args.workers} workers)")
    for path in files:
        before, after = off[str(path)], on[str(path)]
        if before.status != after.status:
            where = path.relative_to(SHARED)
            print(f"  {before.status:>8} -> {after.status:<8} {where}  {after.error or ''}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
