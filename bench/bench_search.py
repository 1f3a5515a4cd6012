"""Search speed at scale: KNN latency and recall of the accelerator beside sqlite-vec
brute force and numpy exact search, in one run, plus end-to-end query latency through
Searcher.search and the accelerator's memory.

Vectors: the SciFact abstract vectors (all-MiniLM-L6-v2, cached by `likewise eval beir`
in bench/out/), each copied with a small Gaussian perturbation (sigma 0.03 per
dimension, cosine ~0.85 to its source) and renormalized, up to the library size.
Queries: the SciFact test claims encoded by the same model. Chunk texts are the source
abstracts, so keyword search and snippets work on real text.

    python bench/bench_search.py [--sizes 100000 1000000] [--queries 100] [--reuse]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import core.offline  # noqa: F401,E402
from core.catalog import text_hash  # noqa: E402
from core.library import Library  # noqa: E402
from core.search.accel import Accelerator  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.store import vec_table  # noqa: E402

OUT = ROOT / "bench" / "out"
DATA = ROOT.parent / "shared" / "data" / "beir_scifact"
SIGMA = 0.03


def anon_rss() -> int:
    """Private (anonymous) resident memory: unlike RSS, it leaves out the library file's
    pages that SQLite's memory map brings in, which the OS can drop at any time."""
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return psutil.Process().memory_info().rss


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, p))


def perturbed(base: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    src = np.arange(n) % len(base)
    mat = np.empty((n, base.shape[1]), np.float32)
    for s in range(0, n, 100_000):
        e = min(n, s + 100_000)
        block = base[src[s:e]] + rng.normal(0, SIGMA, (e - s, base.shape[1])).astype(np.float32)
        mat[s:e] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return src, mat


def build_library(path: Path, texts: list[str], titles: list[str], src: np.ndarray, mat: np.ndarray) -> None:
    for p in path.parent.glob(path.name + "*"):
        p.unlink()
    lib = Library(path=path, settings=Settings())
    mid = lib.versions.active_model_id()
    now = time.time()
    with lib.store.write() as conn:
        for i, title in enumerate(titles):
            conn.execute(
                "INSERT INTO documents(id, path, title, ext, size, mtime, status, indexed_at) VALUES (?,?,?,?,?,?,?,?)",
                (i + 1, f"/bench/scifact/{i}.txt", title, ".txt", 1, now, "indexed", now),
            )
    for s in range(0, len(src), 20_000):
        e = min(len(src), s + 20_000)
        with lib.store.write() as conn:
            conn.executemany(
                "INSERT INTO chunks(id, document_id, ord, text, text_hash, char_start, char_end) "
                "VALUES (?,?,?,?,?,?,?)",
                [(i + 1, int(src[i]) + 1, i // len(titles), texts[src[i]], text_hash(texts[src[i]]), 0,
                  len(texts[src[i]])) for i in range(s, e)],
            )
            lib.store.put_vectors(conn, mid, list(range(s + 1, e + 1)), mat[s:e])
    lib.close()


def library_is_complete(path: Path, n: int) -> bool:
    """The library of an earlier run holds the same n chunks (the vectors are seeded)."""
    if not path.exists():
        return False
    lib = Library(path=path, settings=Settings())
    try:
        row = lib.store.query_one(f"SELECT COUNT(*) FROM {vec_table(lib.versions.active_model_id())}")
        return row is not None and int(row[0]) == n
    except Exception:  # noqa: BLE001 - any doubt: build it again
        return False
    finally:
        lib.close()


def bench_size(n: int, base: np.ndarray, texts: list[str], titles: list[str], qvecs: np.ndarray,
               qtexts: list[str], nq: int, reuse: bool) -> dict:
    src, mat = perturbed(base, n)
    path = OUT / f"bench-search-{n}.sqlite"
    t = time.monotonic()
    if not (reuse and library_is_complete(path, n)):
        build_library(path, texts, titles, src, mat)
    build_s = time.monotonic() - t
    row: dict = {"n": n, "library_build_s": build_s}
    lib = Library(path=path, settings=Settings())
    mid = lib.versions.active_model_id()
    q = qvecs[:nq]
    truth = [np.argsort(-(mat @ v))[:10] + 1 for v in q]

    gc.collect()
    rss0 = anon_rss()
    t = time.monotonic()
    acc = Accelerator(lib.store, mid)
    acc.sync()
    row["accel_build_s"] = time.monotonic() - t
    gc.collect()
    row["accel_rss_mb"] = (anon_rss() - rss0) / 2**20
    row["accel_index_mb"] = acc.memory_bytes() / 2**20
    row["accel_engine"] = "usearch HNSW i8 + exact rescore" if acc.uses_ann else "numpy exact"
    lat, rec = [], []
    for v, tr in zip(q, truth, strict=True):
        t = time.perf_counter()
        hits = acc.search(v, 10)
        lat.append(time.perf_counter() - t)
        rec.append(len(set(hits.ids.tolist()) & set(tr.tolist())) / 10)
    row["accel"] = (pct(lat, 50), pct(lat, 95), float(np.mean(rec)))

    lat = []
    for v in q[:50]:
        t = time.perf_counter()
        s = mat @ v
        top = np.argpartition(-s, 10)[:10]
        top[np.argsort(-s[top])]
        lat.append(time.perf_counter() - t)
    row["numpy"] = (pct(lat, 50), pct(lat, 95), 1.0)

    lat, rec = [], []
    conn = lib.store.reader()
    for v, tr in list(zip(q, truth, strict=True))[:20]:
        t = time.perf_counter()
        ids = [r[0] for r in conn.execute(
            f"SELECT chunk_id FROM {vec_table(mid)} WHERE embedding MATCH ? AND k = 10 ORDER BY distance",
            (v.astype(np.float32).tobytes(),))]
        lat.append(time.perf_counter() - t)
        rec.append(len(set(ids) & set(tr.tolist())) / 10)
    row["sqlite_vec"] = (pct(lat, 50), pct(lat, 95), float(np.mean(rec)))

    lib.searcher._accels[mid] = acc
    lib.searcher.search(qtexts[0], mode="hybrid")  # load the encoder
    for label, mode, snip in (("e2e dense, no snippets", "dense", False),
                              ("e2e hybrid, no snippets", "hybrid", False),
                              ("e2e hybrid + best sentences", "hybrid", True)):
        lat = []
        for text in qtexts[1:21]:
            t = time.perf_counter()
            lib.searcher.search(text, mode=mode, k=10, snippets=snip)
            lat.append(time.perf_counter() - t)
        row[label] = (pct(lat, 50), pct(lat, 95))
    lib.close()
    return row


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--reuse", action="store_true",
                    help="keep a library of an earlier run when it has the same size")
    args = ap.parse_args()
    caches = sorted(OUT.glob("beir-beir_scifact-*.npy"))
    if not caches:
        print("run `likewise eval beir --data ../shared/data/beir_scifact` first (it caches the vectors)")
        return 1
    base = np.load(caches[-1])
    docs = [json.loads(line) for line in open(DATA / "corpus.jsonl", encoding="utf-8")]
    texts = [(d.get("title", "") + " " + d.get("text", "")).strip() for d in docs]
    titles = [d.get("title") or d["_id"] for d in docs]
    with open(DATA / "queries.jsonl", encoding="utf-8") as fh:
        queries = {row["_id"]: row["text"] for row in map(json.loads, fh)}
    test_ids = [line.split("\t")[0] for line in open(DATA / "qrels" / "test.tsv", encoding="utf-8")][1:]
    qtexts = [queries[q] for q in dict.fromkeys(test_ids)][: args.queries]
    enc = Library(path=OUT / "bench-search-enc.sqlite", settings=Settings()).versions.encoder()
    qvecs = enc.encode(qtexts)
    print(f"vectors: {len(base)} SciFact abstract vectors + Gaussian noise sigma {SIGMA}, renormalized; "
          f"{len(qtexts)} SciFact test queries; k=10; {psutil.cpu_count()} CPUs")
    for n in args.sizes:
        r = bench_size(n, base, texts, titles, qvecs, qtexts, args.queries, args.reuse)
        print(f"\n== {n:,} chunks (library built in {r['library_build_s']:.0f} s) ==")
        print(f"accelerator: {r['accel_engine']}, built in {r['accel_build_s']:.1f} s, "
              f"private memory +{r['accel_rss_mb']:.0f} MiB, index {r['accel_index_mb']:.0f} MiB")
        print(f"{'KNN':<28}{'p50 ms':>9}{'p95 ms':>9}{'recall@10':>11}")
        for key in ("accel", "numpy", "sqlite_vec"):
            p50, p95, rc = r[key]
            print(f"{key:<28}{p50:>9.1f}{p95:>9.1f}{rc:>11.3f}")
        a = r["accel"][0]
        print(f"ratios (p50): sqlite-vec / accelerator = {r['sqlite_vec'][0] / a:.1f}x, "
              f"numpy exact / accelerator = {r['numpy'][0] / a:.1f}x")
        for label in ("e2e dense, no snippets", "e2e hybrid, no snippets", "e2e hybrid + best sentences"):
            p50, p95 = r[label]
            print(f"{label:<28}{p50:>9.1f}{p95:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
