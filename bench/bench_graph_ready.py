"""The first `likewise search` after indexing, with and without the search graph that the
indexing run now leaves (issue 27).

A library of N passages (bench_dupes's perturbed SciFact vectors, 20 per document) is
written straight into a file. Then, in one table:
- the first `likewise search` process with no saved graph (what it paid before: it builds
  the graph; its close saves it, so the file is removed again after it);
- what the end of an indexing run now costs (core/search/graph_keeper.py: the keeper of a
  Library told that the run wrote these vectors, then that it finished);
- the first `likewise search` process after that (it opens the saved graph).

    python bench/bench_graph_ready.py --passages 100000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_archive  # noqa: E402
import bench_dupes  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passages", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="likewise-graph-ready-") as tmp:
        db = Path(tmp) / "lib.sqlite"
        texts, vectors = bench_archive.scifact_vectors()
        data = bench_dupes.make_library(args.passages, texts, vectors)
        bench_dupes.write_store(db, data["texts"], data["vectors"])
        del data
        query = bench_archive._queries(3)[2]
        graphs = lambda: sorted(db.parent.glob(db.name + ".m*.usearch*"))  # noqa: E731
        before = bench_archive._cli(db, "search", query)
        for p in graphs():
            p.unlink()

        import core.offline  # noqa: F401
        from core.library import Library

        lib = Library(path=db)
        model = lib.versions.active_model_id()
        t = time.monotonic()
        lib.searcher.graph_keeper.vectors_written((model, args.passages))
        lib.searcher.graph_keeper.index_finished(None)
        keep_s = time.monotonic() - t
        lib.close()
        saved = [p.name for p in graphs()]
        after = bench_archive._cli(db, "search", query)
    print(f"{args.passages:,} passages")
    print(f"first `likewise search`, no saved graph (before)   {before[0]:.1f} s (CPU {before[1]:.1f} s)")
    print(f"end of the indexing run: graph made and saved       {keep_s:.1f} s ({', '.join(saved)})")
    print(f"first `likewise search` after the run (now)         {after[0]:.1f} s (CPU {after[1]:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
