"""Indexing progress and best-sentence cost, measured (issue 18).

1. Progress: index 12 PDFs (pdf.js test files, tracemonkey.pdf among them) from scratch
   with the default model on the CPU, recording every progress report. Reports:
   the longest time the window would have gone without a new report while indexing, and
   the ETA's error against the time that was really left, for every report after the
   first 10 % of the passages (median, 90th percentile, worst, share within 25 %), and
   the share of the run's time, after its first 10 %, when the ETA was within 25 %.
   With --files 40 the run holds TAMReview.pdf, 23 scanned pages read by OCR for ~50 s.
2. Best sentences: for 30 queries (STS benchmark sentences and words taken from the
   library), the cost of the best sentences that come with one result list (query words,
   no encoding), and of the second pass that encodes sentences (sentence cache emptied
   before each list): p50 and p90 in ms, and how many results got a sentence.

Usage: python bench/bench_progress.py [--files N | --corpus] [--precision fp32|int8|auto]
  --corpus   index the whole of pdf_real + docx/valid (bench-index's 342 files) instead
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def pick_files(n: int, max_bytes: int = 700_000) -> list[Path]:
    pdfs = sorted((SHARED / "pdf_real" / "pdfjs").glob("*.pdf"))
    chosen = [p for p in pdfs if p.name == "tracemonkey.pdf"]
    rest = [p for p in pdfs if p not in chosen and 20_000 < p.stat().st_size < max_bytes]
    step = max(len(rest) // max(n - 1, 1), 1)
    chosen += rest[::step][: n - 1]
    return sorted(chosen)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(int(round(q * (len(values) - 1))), len(values) - 1)]


def measure_progress(lib, folder: Path) -> dict:
    reports = []
    started = time.monotonic()

    log = open(os.environ.get("BENCH_PROGRESS_LOG", os.devnull), "w", encoding="utf-8")  # noqa: SIM115

    def progress(p):
        reports.append((time.monotonic() - started, p.phase, p.chunks_done, p.chunks_total, p.eta_s,
                        p.files_done, p.files_total))
        print(*reports[-1], sep="\t", file=log, flush=True)

    lib.add_folder(folder, follow_links=True)
    lib.indexer.index(progress=progress)
    total_s = time.monotonic() - started
    log.close()
    indexing = [r for r in reports if r[1] == "indexing"]
    final = max(r[2] for r in reports)
    first = next(r[0] for r in indexing if r[2] > 0)
    last = indexing[-1][0]
    times = [r[0] for r in indexing if first <= r[0] <= last]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    errors = []
    for t, _phase, done, _total, eta, _fd, _ft in indexing:
        if done < 0.1 * final or eta is None:
            continue
        left = total_s - t
        if left > 1.0:
            errors.append(abs(eta - left) / left)
    # the share of the run's time (after its first 10 %) when the ETA shown was within 25 %
    shown = good = 0.0
    for (t, _ph, _d, _tot, eta, _fd, _ft), nxt in zip(indexing, indexing[1:], strict=False):
        left = total_s - t
        if t < 0.1 * total_s or eta is None or left <= 1.0:
            continue
        shown += nxt[0] - t
        good += (nxt[0] - t) * (abs(eta - left) / left <= 0.25)
    file_gaps = []     # what the old line did: it changed with files only
    last_files = None
    prev_t = first
    for t, _ph, _d, _tot, _e, fd, _ft in indexing:
        if fd != last_files:
            file_gaps.append(t - prev_t)
            prev_t, last_files = t, fd
    return {
        "files": len(list(folder.iterdir())), "passages": final, "seconds": round(total_s, 1),
        "reports": len(indexing),
        "longest_gap_s": round(max(gaps), 2) if gaps else None,
        "longest_gap_between_file_changes_s": round(max(file_gaps), 2) if file_gaps else None,
        "eta_error_after_10pct": {
            "n": len(errors),
            "median": round(statistics.median(errors), 3) if errors else None,
            "p90": round(pct(errors, 0.9), 3) if errors else None,
            "worst": round(max(errors), 3) if errors else None,
            "within_25pct": round(sum(e <= 0.25 for e in errors) / len(errors), 3) if errors else None,
        },
        "eta_within_25pct_share_of_time_after_10pct_of_time": round(good / shown, 3) if shown else None,
    }


def queries(lib, n: int) -> list[str]:
    out = []
    with open(SHARED / "stsbenchmark" / "sts-test.csv", encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 6 and len(out) < n // 2:
                out.append(row[5])
    docs = lib.catalog.documents()
    for d in docs:
        for c in lib.searcher.search(d.title or "document", mode="keyword", k=3):
            words = [w for w in c.text.split() if w.isalpha() and len(w) > 4]
            if len(words) >= 8:
                out.append(" ".join(words[3:7]))
            if len(out) >= n:
                return out
    return out


def measure_sentences(lib, qs: list[str]) -> dict:
    """With the list: the sentence with the most query words (what the window shows at
    once, app/gui/search_page.py); then the second pass, sentences encoded and compared
    with the query vector (sentence cache emptied before each list)."""
    from core.search.snippets import by_words

    first, second, filled_first, filled = [], [], 0, 0
    for q in qs:
        results = lib.searcher.search(q, mode="hybrid", k=10, snippets=False)
        if not results:
            continue
        t = time.perf_counter()
        for r in results:
            r.best_sentence = by_words(r.text, r.word_spans or [])
        first.append((time.perf_counter() - t) * 1000)
        filled_first += sum(r.best_sentence is not None for r in results)
        lib.searcher._sentence_cache.clear()
        t = time.perf_counter()
        lib.searcher.add_best_sentences(results, q)
        second.append((time.perf_counter() - t) * 1000)
        filled += sum(r.best_sentence is not None for r in results)
    return {"lists": len(first), "with_list_p50_ms": round(statistics.median(first), 2),
            "with_list_p90_ms": round(pct(first, 0.9), 2),
            "results_with_a_sentence_with_the_list": filled_first,
            "second_pass_p50_ms": round(statistics.median(second), 1),
            "results_with_a_sentence_after_second_pass": filled, "results": len(first) * 10}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=12)
    ap.add_argument("--precision", default="fp32")
    ap.add_argument("--no-sentences", action="store_true", help="measure the progress only")
    ap.add_argument("--corpus", action="store_true", help="the whole of pdf_real + docx/valid")
    args = ap.parse_args()
    os.environ["LIKEWISE_PRECISION"] = args.precision
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("LIKEWISE_DATA_DIR", str(Path(tmp) / "data"))
        os.environ.setdefault("LIKEWISE_CONFIG_DIR", str(Path(tmp) / "config"))
        from core.library import Library

        if args.corpus:
            from bench.bench_index import _files, linked_folder

            folder = linked_folder(Path(tmp) / "pdfs", _files(None))
        else:
            folder = Path(tmp) / "pdfs"
            folder.mkdir()
            for p in pick_files(args.files):
                (folder / p.name).symlink_to(p)
        with Library(path=Path(tmp) / "lib.sqlite") as lib:
            out = {"progress": measure_progress(lib, folder)}
            if not args.no_sentences:
                out["best_sentences"] = measure_sentences(lib, queries(lib, 30))
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
