"""make bench-watch: how quickly the watcher follows the file system, and what it costs.

1. Save -> searchable: a file is written into a watched folder; we time until its one
   unique word is found by keyword search (FTS5, on a separate connection). Median and
   p90 over N files, with the real default model (all-MiniLM-L6-v2, CPU) and the default
   debounce of 1 s. Peer: the same kind of file indexed directly (enqueue_paths +
   process_jobs, no watcher): latency = debounce + indexing + the watcher's own overhead.
2. Idle CPU: the watcher over a folder of 10,000 files (100 sub-folders), everything
   indexed, nothing changing, CPU time of the whole process (all threads) over 30 s;
   native events against polling (every 1 s) of the same folder.
3. Reconcile scan of unchanged files: 1k, 10k, 50k. The 1k library is really indexed
   with the tiny BERT (fast; the reconcile itself never encodes). For 10k and 50k the
   document rows are written directly with each file's path, size and mtime (all that
   the reconcile compares), to build the library in seconds; the 1k row shows both ways
   give the same scan time. Peer: a bare os.scandir walk with stat of the same tree.

Usage: python bench/bench_watch.py [--files 50] [--idle-seconds 30] [--sizes 1000,10000,50000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import core.offline  # noqa: E402, F401


def _wait(cond, timeout: float = 120.0, step: float = 0.005) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if cond():
            return time.perf_counter() - start
        time.sleep(step)
    raise TimeoutError("condition not met")


def _note(word: str) -> str:
    return (f"Meeting notes. We talked about {word} and the budget for next year.\n\n"
            f"Action items: send the {word} report to the team by Friday.\n")


def _found(conn, word: str) -> bool:
    found = conn.execute("SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT 1", (f'"{word}"',))
    return found.fetchone() is not None


# -- 1. save -> searchable ------------------------------------------------------------------------
def bench_latency(n: int, tmp: Path) -> dict:
    from core.library import Library
    from core.store.db import connect

    folder = tmp / "latency"
    folder.mkdir()
    lib = Library(path=tmp / "latency.sqlite")
    lib.add_folder(folder)
    lib.versions.encoder()                            # load the model before timing
    lib.watching.start_watching(debounce_s=1.0, reconcile_interval_s=0)
    lib.watching.watcher.wait_started(120)
    reader = connect(tmp / "latency.sqlite")
    latencies = []
    for i in range(n):
        word = f"latencyword{i}z"
        path = folder / f"saved{i}.txt"
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(_note(word))
        saved = time.perf_counter()
        _wait(lambda w=word: _found(reader, w))
        latencies.append(time.perf_counter() - saved)
    reader.close()
    lib.watching.stop_watching(60)
    # Peer: the same kind of file indexed directly, no watcher (enqueue + process_jobs).
    direct = []
    for i in range(10):
        p = folder / f"direct{i}.txt"
        p.write_text(_note(f"directword{i}q"), encoding="utf-8")
        t0 = time.perf_counter()
        lib.indexer.enqueue_paths([p])
        lib.indexer.process_jobs()
        direct.append(time.perf_counter() - t0)
    lib.close()
    # Part of both: process_jobs starts a fresh extraction worker process each call.
    from core.extract.isolated import IsolatedExtractor

    starts = []
    for _ in range(3):
        t0 = time.perf_counter()
        ex = IsolatedExtractor(timeout_s=60, memory_mb=2048)
        ex.extract(str(folder / "direct0.txt"))
        starts.append(time.perf_counter() - t0)
        ex.close()
    latencies.sort()
    return {
        "median": statistics.median(latencies),
        "p90": latencies[int(0.9 * (len(latencies) - 1))],
        "min": latencies[0], "max": latencies[-1],
        "direct": statistics.median(direct), "extractor_start": statistics.median(starts), "n": n,
    }


# -- building big folders and libraries quickly -----------------------------------------------------
def _make_tree(root: Path, n: int, per_dir: int = 100) -> None:
    for i in range(n):
        d = root / f"d{i // per_dir:04d}"
        if i % per_dir == 0:
            d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:06d}.txt").write_text(f"file {i} text body\n", encoding="utf-8")


def _rows_library(lib_path: Path, folder: Path, model_path: Path):
    """A library whose document rows match the files (path, size, mtime), written
    directly: what a reconcile compares, without encoding anything."""
    from core.index.scan import walk_files
    from core.library import Library

    lib = Library(path=lib_path, model_path=model_path)
    lib.add_folder(folder)
    fid = lib.folders()[0].id
    now = time.time()
    rows = [(fid, p, Path(p).stem, ".txt", size, mtime, "indexed", now)
            for p, size, mtime in walk_files(folder.resolve())]
    with lib.store.write() as conn:
        conn.executemany(
            "INSERT INTO documents(folder_id, path, title, ext, size, mtime, status, indexed_at) "
            "VALUES (?,?,?,?,?,?,?,?)", rows)
    return lib


def _bare_walk(root: Path) -> int:
    n = 0
    stack = [str(root)]
    while stack:
        for e in os.scandir(stack.pop()):
            if e.is_dir():
                stack.append(e.path)
            else:
                e.stat()
                n += 1
    return n


def _best_of(fn, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


# -- 2. idle CPU ---------------------------------------------------------------------------------------
def bench_idle(tmp: Path, model_path: Path, seconds: float) -> dict:
    import psutil

    folder = tmp / "idle"
    _make_tree(folder, 10_000)
    lib = _rows_library(tmp / "idle.sqlite", folder, model_path)
    proc = psutil.Process()
    out = {}
    base0 = proc.cpu_times()
    time.sleep(min(seconds, 5))
    base1 = proc.cpu_times()
    out["nothing"] = ((base1.user + base1.system) - (base0.user + base0.system)) / min(seconds, 5)
    for label, polling in (("native", False), ("polling 1 s", True)):
        lib.watching.start_watching(debounce_s=1.0, reconcile_interval_s=0, use_polling=polling, poll_interval_s=1.0)
        lib.watching.watcher.wait_started(300)
        assert lib.indexer.pending_jobs() == 0, "the start reconcile found changes"
        state = lib.watching.watch_status()[0].state
        time.sleep(2.0)                               # let observers settle (polling: first snapshot)
        t0 = proc.cpu_times()
        time.sleep(seconds)
        t1 = proc.cpu_times()
        out[label] = ((t1.user + t1.system) - (t0.user + t0.system)) / seconds
        out[label + " state"] = state
        lib.watching.stop_watching(60)
    lib.close()
    return out


# -- 3. reconcile scan -------------------------------------------------------------------------------
def bench_reconcile(tmp: Path, model_path: Path, sizes: list[int]) -> list[dict]:
    from core.library import Library

    rows = []
    for n in sizes:
        folder = tmp / f"rec{n}"
        _make_tree(folder, n)
        lib = _rows_library(tmp / f"rec{n}.sqlite", folder, model_path)
        assert lib.indexer.reconcile() == 0
        scan = _best_of(lambda lib=lib: lib.indexer.reconcile())
        walk = _best_of(lambda folder=folder: _bare_walk(folder))
        lib.close()
        row = {"n": n, "rows": scan, "walk": walk, "indexed": None}
        if n <= 1000:
            real = Library(path=tmp / f"rec{n}-indexed.sqlite", model_path=model_path)
            real.add_folder(folder)
            t0 = time.perf_counter()
            real.indexer.index()
            row["index_s"] = time.perf_counter() - t0
            assert real.indexer.reconcile() == 0
            row["indexed"] = _best_of(lambda real=real: real.indexer.reconcile())
            real.close()
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=50)
    ap.add_argument("--idle-seconds", type=float, default=30.0)
    ap.add_argument("--sizes", default="1000,10000,50000")
    ap.add_argument("--parts", default="latency,idle,reconcile")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        os.environ.setdefault("LIKEWISE_DATA_DIR", str(tmp / "data"))
        os.environ.setdefault("LIKEWISE_CONFIG_DIR", str(tmp / "config"))
        sys.path.insert(0, str(ROOT / "tests"))
        from conftest import build_tiny_bert

        tiny = build_tiny_bert(tmp / "tiny-bert")
        print(f"bench-watch: {os.cpu_count()} CPUs, {sys.platform}; temp folders under {tmp}")

        if "latency" in parts:
            report_latency(bench_latency(args.files, tmp))
        if "idle" in parts:
            report_idle(bench_idle(tmp, tiny, args.idle_seconds), args.idle_seconds)
        if "reconcile" in parts:
            report_reconcile(bench_reconcile(tmp, tiny, sizes))


def report_latency(lat: dict) -> None:
    print(f"\n1. save -> keyword-searchable, {lat['n']} files, all-MiniLM-L6-v2 CPU, debounce 1.0 s")
    print(f"{'':<34}{'seconds':>10}")
    print(f"{'median':<34}{lat['median']:>10.3f}")
    print(f"{'p90':<34}{lat['p90']:>10.3f}")
    print(f"{'min / max':<34}{lat['min']:>5.2f} / {lat['max']:.2f}")
    print(f"{'debounce (quiet period)':<34}{1.0:>10.3f}")
    print(f"{'peer: index one file, no watcher':<34}{lat['direct']:>10.3f}")
    print(f"{'  of which extractor worker start':<34}{lat['extractor_start']:>10.3f}")
    print(f"ratio median / (debounce + peer): {lat['median'] / (1.0 + lat['direct']):.2f}")


def report_idle(idle: dict, seconds: float) -> None:
    print(f"\n2. idle CPU over 10,000 files in 100 folders, {seconds:.0f} s, whole process")
    print(f"{'':<22}{'CPU %':>8}{'state':>12}")
    print(f"{'no watcher':<22}{100 * idle['nothing']:>8.2f}{'':>12}")
    for label in ("native", "polling 1 s"):
        print(f"{label:<22}{100 * idle[label]:>8.2f}{idle[label + ' state']:>12}")
    if idle["native"] > 0:
        print(f"ratio polling / native: {idle['polling 1 s'] / max(idle['native'], 1e-4):.0f}x")


def report_reconcile(rec: list[dict]) -> None:
    print("\n3. reconcile scan of unchanged files (best of 3), nothing queued")
    print(f"{'files':>8}{'reconcile s':>13}{'per 1k files':>14}{'bare walk s':>13}{'ratio':>8}{'indexed lib s':>15}")
    for r in rec:
        indexed = f"{r['indexed']:.3f}" if r["indexed"] is not None else "-"
        print(f"{r['n']:>8}{r['rows']:>13.3f}{1000 * r['rows'] / r['n']:>14.3f}{r['walk']:>13.3f}"
              f"{r['rows'] / r['walk']:>8.1f}{indexed:>15}")
    for r in rec:
        if r.get("index_s"):
            print(f"(building the {r['n']}-file library by really indexing with the tiny BERT took "
                  f"{r['index_s']:.1f} s; larger ones get their document rows written directly)")


if __name__ == "__main__":
    main()
