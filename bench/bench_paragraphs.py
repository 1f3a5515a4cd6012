"""Issue 16: passages as paragraphs, on the shared corpus (pdf_real + docx/valid).

Indexes the files from scratch into a fresh library, then mines similar paragraphs, and
prints: files, passages, how many of them hold more than one paragraph, encoding work
(encoded / reused by text hash), indexing seconds, pairs by kind, clusters, and a few
clusters to check by eye. ``--merge`` indexes the way of before issue 16 (a passage
groups paragraphs up to the token budget); run from an older checkout it measures that
checkout (the option is then ignored).

Usage: python bench/bench_paragraphs.py [--merge] [--limit N] [--show 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_index import _files, linked_folder  # noqa: E402 - the same files as make bench-index


def _short(text: str, n: int = 150) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def run(merge: bool, limit: int | None, show: int) -> dict:
    import core.offline  # noqa: F401
    from core.library import Library
    from core.settings import Settings

    options = {"chunk_merge_paragraphs": merge} if hasattr(Settings, "chunk_merge_paragraphs") else {}
    files = _files(limit)
    with tempfile.TemporaryDirectory() as tmp:
        src = linked_folder(Path(tmp) / "docs", files)
        lib = Library(path=Path(tmp) / "lib.sqlite", settings=Settings(**options))
        try:
            start = time.perf_counter()
            lib.add_folder(src, follow_links=True)
            report = lib.indexer.index()
            index_s = time.perf_counter() - start
            passages = lib.store.count("SELECT COUNT(*) FROM chunks")
            grouped = lib.store.count(
                "SELECT COUNT(*) FROM chunks WHERE instr(text, char(10) || char(10)) > 0")
            paragraphs = lib.store.query_one(
                "SELECT COALESCE(SUM(length(text) - length(replace(text, char(10) || char(10), '')))"
                " / 2, 0) FROM chunks")[0] + passages
            start = time.perf_counter()
            mined = lib.discovery.mine_duplicates()
            mine_s = time.perf_counter() - start
            clusters = lib.discovery.duplicate_clusters()
            pairs = lib.discovery.duplicate_pairs()
            by_kind: dict[str, int] = {}
            for p in pairs:
                by_kind[p.kind] = by_kind.get(p.kind, 0) + 1
            shown = []
            for c in sorted(clusters, key=lambda c: (-c.documents, -c.size))[:show]:
                shown.append({
                    "kind": c.kind, "size": c.size, "documents": c.documents, "score": round(c.score, 3),
                    "members": [f"{Path(m.path).name} p{m.page_start}: {_short(m.text)}" for m in c.members[:4]],
                })
        finally:
            lib.close()
    return {
        "mode": "merged passages" if merge or not options else "paragraph passages",
        "files": len(files), "indexed": report.indexed, "failed": report.failed,
        "passages": passages, "passages_grouping_paragraphs": grouped, "paragraphs": paragraphs,
        "encoded": report.chunks_encoded, "reused": report.chunks_reused,
        "index_seconds": round(index_s, 1), "mine_seconds": round(mine_s, 1),
        "pairs": by_kind, "clusters": len(clusters),
        "clusters_exact": sum(1 for c in clusters if c.kind == "exact"),
        "clusters_near": sum(1 for c in clusters if c.kind == "near"),
        "mined_passages": mined.passages, "shown": shown,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--merge", action="store_true")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--show", type=int, default=3)
    args = ap.parse_args()
    print(json.dumps(run(args.merge, args.limit, args.show), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
