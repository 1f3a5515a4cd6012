"""Window figures (``make bench-gui``): launch to a visible window and to the first
possible search, memory of the idle application on a 10,000-passage library, and the
UI thread's latency while the library indexes.

Each measurement runs in a fresh child process (``--child NAME``) so that imports and
memory are those of a real launch. Every figure is printed beside a peer measured in
the same run: a bare Qt window (launch), the same process before the library opened
(memory), the same timer with nothing indexing (latency).

The 10,000-passage library is made of real text (SciFact abstracts, split into
sentences groups) with random unit vectors in the model's dimension: what is measured
is the window, the store and the in-memory search index, not the encoder's quality.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

T0 = time.monotonic()
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))
PASSAGES = 10_000


def _pump(app, cond, timeout: float) -> bool:
    from PySide6.QtCore import QEventLoop

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if cond():
            return True
        time.sleep(0.002)
    return cond()


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


# -- children ---------------------------------------------------------------------------------

def child_bare() -> dict:
    """Peer: a bare QApplication + QMainWindow shown."""
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication([])
    w = QMainWindow()
    w.resize(1180, 760)
    w.show()
    _pump(app, lambda: w.isVisible() and w.windowHandle() is not None and w.windowHandle().isExposed(), 30)
    app.processEvents()
    return {"visible_s": time.monotonic() - T0, "rss_mb": _rss_mb()}


def child_launch(library: str, model: str, query: str) -> dict:
    from PySide6.QtWidgets import QApplication

    import core.offline  # noqa: F401
    from app.gui.main_window import MainWindow
    from core.settings import Settings

    app = QApplication([])
    w = MainWindow(settings=Settings(), library_path=library, model_path=model, watch=False)
    w.show()
    w.start()
    _pump(app, lambda: w.windowHandle() is not None and w.windowHandle().isExposed(), 30)
    app.processEvents()
    visible = time.monotonic() - T0
    rss_window = _rss_mb()
    _pump(app, lambda: w.lib is not None, 120)
    opened = time.monotonic() - T0
    _pump(app, lambda: w.model_loaded, 300)
    ready = time.monotonic() - T0
    shown: list = []
    listed: list = []
    w.results_shown.connect(shown.append)
    w.results.modelReset.connect(lambda: listed.append(time.monotonic()))
    timings = []
    for q in (query, "protein folding in the cell membrane"):
        shown.clear()
        listed.clear()
        t = time.monotonic()
        w.set_query(q)
        w.search_now()
        _pump(app, lambda: bool(shown), 300)
        timings.append(((listed[-1] if listed else time.monotonic()) - t, time.monotonic() - t))
    first, second = timings
    _pump(app, lambda: False, 3.0)          # idle
    rss_idle = _rss_mb()
    passages = w.counts.get("chunks", 0)
    w.close()
    _pump(app, lambda: w.shutdown_done, 60)
    return {"visible_s": visible, "library_open_s": opened, "search_ready_s": ready,
            "first_search_s": first, "second_search_s": second, "rss_window_mb": rss_window,
            "rss_idle_mb": rss_idle, "passages": passages}


def child_latency(library: str, model: str, folder: str, seconds: float) -> dict:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import core.offline  # noqa: F401
    from app.gui.main_window import MainWindow
    from core.settings import Settings

    app = QApplication([])
    w = MainWindow(settings=Settings(), library_path=library, model_path=model)
    w.show()
    w.start()
    _pump(app, lambda: w.lib is not None and w.model_loaded, 300)
    gaps: list[float] = []
    last = [time.monotonic()]

    def tick() -> None:
        now = time.monotonic()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    last[0] = time.monotonic()
    timer.start()
    _pump(app, lambda: False, 2.0)
    idle = list(gaps)
    gaps.clear()
    w.add_folder(folder)
    _pump(app, lambda: w.progress.last is not None and w.progress.last.phase == "indexing", 120)
    gaps.clear()
    last[0] = time.monotonic()
    searches: list[float] = []
    shown: list = []
    w.results_shown.connect(shown.append)
    end = time.monotonic() + seconds
    words = ["table", "list of items", "document heading", "a comment on the text"]
    i = 0
    while time.monotonic() < end and w.progress.last.phase == "indexing":
        shown.clear()
        t = time.monotonic()
        w.set_query(words[i % len(words)])
        w.search_now()
        _pump(app, lambda: bool(shown) or time.monotonic() > end, max(end - time.monotonic(), 0.1))
        if shown:
            searches.append(time.monotonic() - t)
        _pump(app, lambda: False, 0.5)
        i += 1
    busy = list(gaps)
    timer.stop()
    files = w.progress.last.files_done
    w.close()
    _pump(app, lambda: w.shutdown_done, 60)
    return {"idle_gaps_ms": _stats(idle), "indexing_gaps_ms": _stats(busy), "files_indexed": files,
            "searches_during_indexing": len(searches),
            "search_during_indexing_s": sorted(searches)[len(searches) // 2] if searches else None}


def _stats(gaps: list[float]) -> dict:
    if not gaps:
        return {}
    g = sorted(x * 1000 for x in gaps)
    return {"n": len(g), "median": round(g[len(g) // 2], 1), "p99": round(g[int(len(g) * 0.99) - 1], 1),
            "max": round(g[-1], 1)}


# -- the synthetic library ----------------------------------------------------------------------

def build_library(path: Path, model: Path, n: int) -> None:
    """A library of ``n`` passages of real text with random unit vectors."""
    import numpy as np

    import core.offline  # noqa: F401
    from core.catalog import text_hash
    from core.library import Library

    texts: list[str] = []
    with open(SHARED / "beir_scifact" / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            words = doc["text"].split()
            for start in range(0, len(words), 120):
                if len(words[start:]) > 20:
                    texts.append(" ".join(words[start:start + 120]))
            if len(texts) >= n:
                break
    texts = texts[:n]
    rng = np.random.default_rng(0)
    lib = Library(path=path, model_path=model)
    try:
        mid = lib.versions.active_model_id()
        dim = lib.versions.model_row(mid)["dim"]
        per_doc = 50
        with lib.store.write() as conn:
            conn.execute("INSERT INTO folders(path, added_at, available) VALUES (?, ?, 0)",
                         ("/nonexistent/likewise-bench", time.time()))
            fid = conn.last_insert_rowid()
            for d in range(0, len(texts), per_doc):
                part = texts[d:d + per_doc]
                conn.execute(
                    "INSERT INTO documents(folder_id, path, title, ext, size, mtime, content_hash, status, "
                    "pages, indexed_at, available) VALUES (?,?,?,?,?,?,?,?,?,?,0)",
                    (fid, f"/nonexistent/likewise-bench/doc{d // per_doc:04d}.pdf", f"Paper {d // per_doc}",
                     ".pdf", 100_000, time.time(), f"h{d}", "indexed", len(part) // 5 + 1, time.time()))
                doc_id = conn.last_insert_rowid()
                ids = []
                pos = 0
                for i, t in enumerate(part):
                    conn.execute(
                        "INSERT INTO chunks(document_id, ord, text, text_hash, page_start, page_end, heading, "
                        "char_start, char_end) VALUES (?,?,?,?,?,?,?,?,?)",
                        (doc_id, i, t, text_hash(t), i // 5 + 1, i // 5 + 1, None, pos, pos + len(t)))
                    ids.append(conn.last_insert_rowid())
                    pos += len(t) + 2
                vecs = rng.standard_normal((len(ids), dim)).astype(np.float32)
                vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                lib.store.put_vectors(conn, mid, ids, vecs)
    finally:
        lib.close()


def _run_child(args: list[str]) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=1800)
    for line in proc.stdout.splitlines()[::-1]:
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"child {args[0]} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--child", nargs="+")
    p.add_argument("--passages", type=int, default=PASSAGES)
    p.add_argument("--latency-seconds", type=float, default=20.0)
    p.add_argument("--latency-files", type=int, default=40)
    args = p.parse_args()
    if args.child:
        name, *rest = args.child
        result = {"bare": child_bare, "launch": child_launch, "latency": child_latency}[name](
            *[float(x) if name == "latency" and i == 3 else x for i, x in enumerate(rest)])
        print("RESULT " + json.dumps(result))
        return 0

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from core.paths import default_model_path

    model = default_model_path()
    with tempfile.TemporaryDirectory(prefix="likewise-bench-gui-") as tmp:
        work = Path(tmp)
        os.environ["LIKEWISE_DATA_DIR"] = str(work / "data")
        os.environ["LIKEWISE_CONFIG_DIR"] = str(work / "config")
        lib_path = work / "big.sqlite"
        t = time.monotonic()
        build_library(lib_path, model, args.passages)
        print(f"built a {args.passages:,}-passage library in {time.monotonic() - t:.1f} s")

        bare = _run_child(["bare"])
        launch = _run_child(["launch", str(lib_path), str(model), "how do cells respond to stress"])
        print("\n== launch (bundled model, 10k-passage library, cold process)")
        print(f"bare Qt window visible after     {bare['visible_s']:.2f} s  (peer)")
        print(f"Likewise window visible after    {launch['visible_s']:.2f} s  "
              f"(x{launch['visible_s'] / bare['visible_s']:.2f} of the bare window)")
        print(f"library open after               {launch['library_open_s']:.2f} s")
        print(f"first search possible after      {launch['search_ready_s']:.2f} s  (model loaded)")
        for name, key in (("first", "first_search_s"), ("second", "second_search_s")):
            listed, full = launch[key]
            print(f"{name} search: list shown after {listed * 1000:6.0f} ms, best sentences after "
                  f"{full * 1000:6.0f} ms")
        print("\n== memory")
        print(f"bare Qt window                   {bare['rss_mb']:.0f} MiB  (peer)")
        print(f"window shown, library not open   {launch['rss_window_mb']:.0f} MiB")
        print(f"idle with {launch['passages']:,} passages, model loaded, searched: "
              f"{launch['rss_idle_mb']:.0f} MiB (x{launch['rss_idle_mb'] / bare['rss_mb']:.1f} of bare)")

        folder = work / "docs"
        folder.mkdir()
        for f in sorted((SHARED / "docx" / "valid").rglob("*.docx"))[:args.latency_files]:
            shutil.copy(f, folder / f.name)
        lat = _run_child(["latency", str(work / "lat.sqlite"), str(model), str(folder),
                          str(args.latency_seconds)])
        print("\n== UI thread latency (10 ms timer; real model indexing "
              f"{args.latency_files} .docx files, searching every ~0.5 s)")
        print(f"idle (peer)        {lat['idle_gaps_ms']}")
        print(f"while indexing     {lat['indexing_gaps_ms']}  files indexed meanwhile: {lat['files_indexed']}")
        med = lat["search_during_indexing_s"]
        print(f"searches during indexing: {lat['searches_during_indexing']}, median "
              f"{med * 1000:.0f} ms" if med is not None else "no search finished during indexing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
