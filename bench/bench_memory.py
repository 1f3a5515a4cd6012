"""Resident memory of one session that indexes, trains and re-encodes (issue 18, F).

In one process, as the window does it (the window's own Qt memory aside): index PDFs
with the default model, train on 300 scored pairs (STS benchmark train), activate the new
version and re-encode the library, search a little; RSS after each step and at the end,
idle. Prints JSON.

With --window the steps run on the library of a real main window (offscreen Qt), so
Qt's own memory is counted too.

Usage: python bench/bench_memory.py [--files N] [--pairs N] [--precision P] [--window] [--idle-s S]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--pairs", type=int, default=300)
    ap.add_argument("--precision", default="fp32", help="fp32, int8 or auto (the window's default)")
    ap.add_argument("--window", action="store_true", help="in a main window (offscreen Qt)")
    ap.add_argument("--idle-s", type=float, default=0.0,
                    help="then stay idle this long and measure again (the extraction worker exits after 60 s)")
    args = ap.parse_args()
    os.environ["LIKEWISE_PRECISION"] = args.precision
    from bench.bench_progress import pick_files
    from core.memory import rss_mb

    out: dict = {"rss_mb": {}}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LIKEWISE_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["LIKEWISE_CONFIG_DIR"] = str(Path(tmp) / "config")
        from core.library import Library

        folder = Path(tmp) / "pdfs"
        folder.mkdir()
        for p in pick_files(args.files):
            (folder / p.name).symlink_to(p)
        labels = Path(tmp) / "pairs.tsv"
        with open(SHARED / "stsbenchmark" / "sts-train.csv", encoding="utf-8") as f, \
                open(labels, "w", encoding="utf-8") as g:
            g.write("sentence1\tsentence2\tlabel\n")
            n = 0
            for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(row) >= 7 and n < args.pairs:
                    g.write(f"{row[5]}\t{row[6]}\t{row[4]}\n")
                    n += 1
        out["rss_mb"]["start"] = rss_mb()
        window = _open_window(Path(tmp) / "lib.sqlite") if args.window else None
        if window is not None:
            out["rss_mb"]["window_open"] = rss_mb()
        with (window.lib if window is not None else Library(path=Path(tmp) / "lib.sqlite")) as lib:
            lib.add_folder(folder, follow_links=True)
            report = lib.indexer.index()
            out["passages"] = report.chunks_encoded
            out["rss_mb"]["after_indexing"] = rss_mb()
            lib.label_table.import_labels(labels)
            result = lib.training.train(epochs=1)
            out["rss_mb"]["after_training"] = rss_mb()
            lib.versions.activate(result.model_id)
            lib.indexer.process_jobs()
            out["switched"] = lib.versions.active_model_id() == result.model_id
            out["rss_mb"]["after_re_encoding"] = rss_mb()
            for q in ("how a trace compiler works", "a cat sits on a mat", "income tax form"):
                lib.searcher.search(q, k=10)
            if window is not None:
                _pump(2.0)
            out["rss_mb"]["idle_after_session"] = rss_mb()
            out["rss_mb"]["extraction_worker_after_session"] = _children_rss_mb()
            if args.idle_s:
                # the extraction worker ends after IDLE_EXIT_S without a file
                _pump(args.idle_s) if window is not None else __import__("time").sleep(args.idle_s)
                out["rss_mb"][f"idle_{args.idle_s:g}_s_later"] = rss_mb()
                out["rss_mb"][f"extraction_worker_{args.idle_s:g}_s_later"] = _children_rss_mb()
    print(json.dumps(out, indent=2))
    return 0


def _children_rss_mb() -> float:
    """Resident memory of this process's children (the extraction workers), MB."""
    import psutil

    return round(sum(c.memory_info().rss for c in psutil.Process().children(recursive=True)
                     if c.status() != psutil.STATUS_ZOMBIE) / 1048576, 1)


def _pump(seconds: float, until=None) -> None:
    import time

    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + seconds
    while time.monotonic() < end and not (until and until()):
        QApplication.processEvents()
        time.sleep(0.02)


def _open_window(library: Path):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow

    _app = QApplication.instance() or QApplication([])
    w = MainWindow(library_path=library, watch=False)
    w.resize(1100, 700)
    w.show()
    w.start()
    _pump(900.0, lambda: w.lib is not None and w.model_loaded)   # a first int8 export included
    if w.lib is None:
        raise SystemExit("the window did not open its library")
    w._bench_app = _app   # kept alive with the window
    return w


if __name__ == "__main__":
    raise SystemExit(main())
