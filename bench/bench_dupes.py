"""make bench-dupes: similar-paragraph mining (issue 8) over 10k, 100k and 300k passages.

Real text: the 5,183 SciFact abstracts and the MRPC sentences (12,999 passages), encoded
once with all-MiniLM-L6-v2 and cached under bench/out/. Larger libraries are made from
them (see make_library): rotated copies of the real vectors plus planted rewordings and
verbatim copies. Each measurement runs in its own child process (peak RSS its own):
Likewise's blocked mining; beside it the naive full n x n matrix where that fits in
memory; recall of near-duplicate relations against a plain blocked exact scan; and, at
100k, the incremental update after one new document.

Usage: python bench/bench_dupes.py [--sizes 10000,100000,300000]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))
OUT = ROOT / "bench" / "out"


def real_texts() -> list[str]:
    """Real passages: the 5,183 SciFact abstracts (title + text), then every distinct
    MRPC sentence (MRPC's positive pairs are real rewordings of each other)."""
    texts: list[str] = []
    with open(SHARED / "beir_scifact" / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            texts.append(f"{row['title']}\n\n{row['text']}".strip())
    seen: set[str] = set()
    for _, s1, s2 in _mrpc_rows():
        for s in (s1, s2):
            if s not in seen:
                seen.add(s)
                texts.append(s)
    return texts


def _mrpc_rows() -> list[tuple[int, str, str]]:
    rows = []
    with open(SHARED / "mrpc" / "msr_paraphrase_train.txt", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for r in reader:
            rows.append((int(r[0]), r[3], r[4]))
    return rows


def calibration_pairs() -> list[tuple[str, str, str, float]]:
    """(source, text1, text2, gold): MRPC train pairs (gold 1/0) and STSb dev (0-5)."""
    pairs = [("mrpc", s1, s2, float(q)) for q, s1, s2 in _mrpc_rows()]
    with open(SHARED / "stsbenchmark" / "sts-dev.csv", encoding="utf-8") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            pairs.append(("stsb", f[5], f[6], float(f[4])))
    return pairs


def cache_key(texts: list[str], cal: list[str]) -> str:
    h = hashlib.sha256()
    for t in texts + ["\0"] + cal:
        h.update(t.encode("utf-8") + b"\0")
    return h.hexdigest()


# -- vectors of the real passages ------------------------------------------------------------
def real_vectors() -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """(texts, vectors, calibration texts, their vectors), encoded once with
    all-MiniLM-L6-v2 through core.encoder and cached in bench/out/."""
    texts = real_texts()
    cal = sorted({t for p in calibration_pairs() for t in (p[1], p[2])})
    key = cache_key(texts, cal)
    cache = OUT / "dupes_vectors.npz"
    if cache.exists():
        data = np.load(cache)
        if str(data["key"]) == key:
            return texts, data["vectors"], cal, data["cal_vectors"]
    import core.offline  # noqa: F401
    from core.encoder import SentenceEncoder
    from core.paths import default_model_path

    print(f"encoding {len(texts) + len(cal)} passages once (cached in {cache}) ...", file=sys.stderr)
    enc = SentenceEncoder.load(default_model_path(), device="auto")
    vectors = enc.encode(texts, batch_size=32)
    cal_vectors = enc.encode(cal, batch_size=64)
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez(cache, key=key, vectors=vectors.astype(np.float32), cal_vectors=cal_vectors.astype(np.float32))
    return texts, vectors, cal, cal_vectors


def calibrate(cal: list[str], cal_vectors: np.ndarray) -> dict:
    """Where the defaults come from: cosine of MRPC paraphrase pairs (1) against MRPC
    non-paraphrase pairs (0), and of STSb dev pairs scored >= 3 against < 3."""
    index = {t: i for i, t in enumerate(cal)}
    out = {}
    for source, split in (("mrpc", 0.5), ("stsb", 3.0)):
        rows = [(s1, s2, g) for src, s1, s2, g in calibration_pairs() if src == source]
        cos = np.array([float(cal_vectors[index[a]] @ cal_vectors[index[b]]) for a, b, _ in rows])
        pos = np.array([g >= split for _, _, g in rows])
        best = max(np.arange(0.5, 0.99, 0.01), key=lambda t: ((cos >= t) == pos).mean())
        prec = [(t, float(pos[cos >= t].mean()), float((cos[pos] >= t).mean())) for t in (0.7, 0.75, 0.8, 0.85, 0.9)]
        out[source] = {"pairs": len(rows), "best_accuracy_threshold": round(float(best), 2),
                       "accuracy": round(float(((cos >= best) == pos).mean()), 3),
                       "median_cos_pos": round(float(np.median(cos[pos])), 3),
                       "median_cos_neg": round(float(np.median(cos[~pos])), 3),
                       "precision_recall_at": [(t, round(p, 3), round(r, 3)) for t, p, r in prec]}
    return out


# -- synthetic libraries from real vectors --------------------------------------------------------
def make_library(n: int, texts: list[str], vectors: np.ndarray, seed: int = 0) -> dict:
    """n passages, 20 per document. Copy 0 is the real passages (SciFact abstracts, MRPC
    sentences); each further copy is the same passages under a random rotation of the
    vector space (same neighbourhoods inside the copy, no likeness between copies) with
    the text tagged by the copy. Then 2% of the passages are replaced by planted near
    duplicates of another passage (vector moved to a cosine drawn in [0.88, 0.99], text
    with one word dropped) and 1% by verbatim copies (same text, same vector)."""
    rng = np.random.default_rng(seed)
    base, dim = vectors.shape
    out_v = np.empty((n, dim), np.float32)
    out_t: list[str] = []
    copy = 0
    while len(out_t) < n:
        take = min(base, n - len(out_t))
        if copy == 0:
            block = vectors[:take]
        else:
            q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
            block = vectors[:take] @ q.astype(np.float32)
        out_v[len(out_t): len(out_t) + take] = block
        out_t.extend(t if copy == 0 else f"{t} [{copy}]" for t in texts[:take])
        copy += 1
    planted_near = rng.choice(n, size=n // 50, replace=False)
    sources = rng.integers(0, n, size=planted_near.size)
    for dst, src in zip(planted_near, sources, strict=True):
        target = rng.uniform(0.88, 0.99)
        noise = rng.normal(size=dim).astype(np.float32)
        noise -= (noise @ out_v[src]) * out_v[src]
        noise /= np.linalg.norm(noise)
        out_v[dst] = target * out_v[src] + np.sqrt(1 - target**2) * noise
        words = out_t[src].split()
        if len(words) > 3:
            del words[int(rng.integers(1, len(words) - 1))]
        out_t[dst] = " ".join(words) + " ~"
    free = np.setdiff1d(np.arange(n), planted_near)
    planted_exact = rng.choice(free, size=n // 100, replace=False)
    for dst in planted_exact:
        src = int(rng.integers(0, n))
        out_v[dst] = out_v[src]
        out_t[dst] = out_t[src]
    out_v /= np.linalg.norm(out_v, axis=1, keepdims=True)
    return {"texts": out_t, "vectors": out_v}


def write_store(path: Path, texts: list[str], vectors: np.ndarray, per_doc: int = 20) -> None:
    """Write the passages straight into a library file (documents, chunks, vectors)."""
    import core.offline  # noqa: F401
    from core.catalog import text_hash
    from core.library import Library

    lib = Library(path=path)
    model_id = lib.versions.active_model_id()
    with lib.store.write() as conn:
        conn.execute("INSERT INTO folders(path, added_at) VALUES (?, ?)", ("/bench", time.time()))
        folder = conn.last_insert_rowid()
        for d0 in range(0, len(texts), per_doc):
            conn.execute(
                "INSERT INTO documents(folder_id, path, title, ext, size, mtime, status, indexed_at) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (folder, f"/bench/doc{d0 // per_doc:06d}.txt", None, ".txt", 1, 0.0, "indexed", time.time()),
            )
            doc = conn.last_insert_rowid()
            ids, pos = [], 0
            for i, t in enumerate(texts[d0: d0 + per_doc]):
                conn.execute(
                    "INSERT INTO chunks(document_id, ord, text, text_hash, char_start, char_end) "
                    "VALUES (?,?,?,?,?,?)",
                    (doc, i, t, text_hash(t), pos, pos + len(t)),
                )
                ids.append(conn.last_insert_rowid())
                pos += len(t) + 2
            lib.store.put_vectors(conn, model_id, ids, vectors[d0: d0 + len(ids)])
    lib.close()


# -- children: each measured in its own process ------------------------------------------------
def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_mine(db: Path) -> dict:
    import core.offline  # noqa: F401
    from core.library import Library

    lib = Library(path=db)
    start = time.perf_counter()
    report = lib.discovery.mine_duplicates(full=True)
    seconds = time.perf_counter() - start
    lib.close()
    return {"seconds": seconds, "peak_mb": _peak_mb(), "passages": report.passages,
            "exact": report.pairs_exact, "near": report.pairs_near, "related": report.pairs_related,
            "clusters": report.clusters, "near_threshold": report.near_threshold, "by_cells": report.by_cells}


def child_incremental(db: Path, texts: list[str], vectors: np.ndarray) -> dict:
    """Open the mined library, add one document of 20 passages (half of them rewordings
    of passages already there), and mine again."""
    import core.offline  # noqa: F401
    from core.catalog import text_hash
    from core.library import Library

    lib = Library(path=db)
    start = time.perf_counter()
    lib.discovery.mine_duplicates()          # nothing new: reads the vectors once (cold)
    cold = time.perf_counter() - start
    rng = np.random.default_rng(7)
    src = rng.integers(0, len(texts), size=20)
    new_v = vectors[src].copy()
    new_v[10:] += 0.02 * rng.normal(size=(10, new_v.shape[1])).astype(np.float32)
    new_v /= np.linalg.norm(new_v, axis=1, keepdims=True)
    new_t = [f"{texts[s]} (added)" for s in src]
    model_id = lib.versions.active_model_id()
    with lib.store.write() as conn:
        conn.execute("INSERT INTO documents(path, ext, size, mtime, status) VALUES (?,?,?,?,?)",
                     ("/bench/added.txt", ".txt", 1, 0.0, "indexed"))
        doc = conn.last_insert_rowid()
        ids = []
        for i, t in enumerate(new_t):
            conn.execute("INSERT INTO chunks(document_id, ord, text, text_hash, char_start, char_end) "
                         "VALUES (?,?,?,?,?,?)", (doc, i, t, text_hash(t), i * 10000, i * 10000 + len(t)))
            ids.append(conn.last_insert_rowid())
        lib.store.put_vectors(conn, model_id, ids, new_v)
    start = time.perf_counter()
    lib.events.documents_indexed.emit([doc])  # what the indexer tells after writing it
    report = lib.discovery.mine_duplicates()
    warm = time.perf_counter() - start
    found = len(lib.discovery.duplicate_pairs(document_id=doc, include_ignored=True))
    lib.close()
    return {"cold_open_s": cold, "incremental_s": warm, "mined": report.mined, "pairs_of_new_doc": found,
            "peak_mb": _peak_mb()}


def child_naive(db: Path, near: float) -> dict:
    """The naive peer: the full n x n similarity matrix in one product."""
    import core.offline  # noqa: F401
    from core.library import Library

    lib = Library(path=db)
    start = time.perf_counter()
    ids, vecs = lib.store.all_vectors(lib.versions.active_model_id())
    sims = vecs @ vecs.T
    np.fill_diagonal(sims, -1)
    rows, cols = np.nonzero(np.triu(sims >= near, 1))
    seconds = time.perf_counter() - start
    lib.close()
    return {"seconds": seconds, "peak_mb": _peak_mb(), "pairs_at_near": int(rows.size)}


# -- recall against an exact answer ------------------------------------------------------------------
def exact_relations(db: Path, near: float, sample: int | None, seed: int = 1) -> tuple[set, set, int, set]:
    """Near-duplicate relations by a plain blocked exact scan (every row against every
    row, no triangle, no grouping, no cap) and those the mining stored, both as pairs of
    normalized-text groups in different documents. With ``sample`` only that many random
    rows are scanned (each still against all). Last, the relations of the truth that an
    exact scan keeping each paragraph's MAX_PER_ROW nearest (as mining does) keeps: see
    ``within_cap``."""
    import core.offline  # noqa: F401
    from core.dupes.normalize import TRIVIAL
    from core.library import Library

    lib = Library(path=db)
    model_id = lib.versions.active_model_id()
    ids, vecs = lib.store.all_vectors(model_id)
    meta = {r[0]: (r[1], r[2]) for r in lib.store.query(
        "SELECT c.id, c.document_id, n.norm_hash FROM chunks c JOIN dupes_norm n ON n.chunk_id = c.id")}
    # Trivial paragraphs (issue 16: page numbers, single words) are never mined: not in the truth either.
    live = np.array([meta[int(c)][1] != TRIVIAL for c in ids], dtype=bool)
    ids, vecs = ids[live], vecs[live]
    docs = np.array([meta[int(c)][0] for c in ids])
    hashes = [meta[int(c)][1] for c in ids]
    _, group = np.unique(np.asarray(hashes), return_inverse=True)
    rows = np.arange(ids.size)
    if sample and sample < ids.size:
        rows = np.sort(np.random.default_rng(seed).choice(ids.size, sample, replace=False))
    truth: set = set()
    for s in range(0, rows.size, 1000):
        q = rows[s: s + 1000]
        sims = vecs[q] @ vecs.T
        r, c = np.nonzero(sims >= near)
        r = q[r]
        keep = (docs[r] != docs[c]) & (group[r] != group[c])
        truth.update(zip(np.minimum(group[r[keep]], group[c[keep]]).tolist(),
                         np.maximum(group[r[keep]], group[c[keep]]).tolist(), strict=True))
    row_of = {int(c): i for i, c in enumerate(ids)}
    found: set = set()
    qset = set(rows.tolist())
    members_by_group: dict[int, list[int]] = {}
    for i in rows.tolist():
        members_by_group.setdefault(int(group[i]), []).append(i)
    sampled_groups = set(int(group[i]) for i in qset)
    for a, b in lib.store.query("SELECT chunk_a, chunk_b FROM dupes_pairs WHERE model_id = ? AND kind != 'exact'",
                                (model_id,)):
        ga, gb = int(group[row_of[a]]), int(group[row_of[b]])
        if ga != gb and (ga in sampled_groups or gb in sampled_groups):
            found.add((min(ga, gb), max(ga, gb)))
    lib.close()
    return truth, found, rows.size, within_cap(truth, vecs, group)


def within_cap(truth: set, vecs: np.ndarray, group: np.ndarray) -> set:
    """The pairs of ``truth`` (group a, group b) that an exact scan keeping each
    paragraph's MAX_PER_ROW most similar paragraphs keeps: b is among a's nearest, or a
    among b's. A family of 500 near-identical paragraphs (a template with a number, as
    bench-archive's changed files add) has 124,750 near pairs; mining keeps 64 per
    paragraph, which links the family into one cluster without storing them all."""
    from core.dupes.mine import MAX_PER_ROW

    if not truth:
        return set()
    _, first = np.unique(group, return_index=True)       # a group's vector: its first row's
    reps = vecs[first].astype(np.float32, copy=False)
    pairs = np.array(sorted(truth), dtype=np.int64)
    asked = np.unique(pairs)
    rank: dict[tuple[int, int], int] = {}
    partners: dict[int, list[int]] = {}
    for a, b in pairs.tolist():
        partners.setdefault(a, []).append(b)
        partners.setdefault(b, []).append(a)
    for s in range(0, asked.size, 500):
        part = asked[s : s + 500]
        sims = reps[part] @ reps.T
        for i, g in enumerate(part.tolist()):
            row = sims[i]
            for h in partners[g]:
                # paragraphs more similar to g than h is (g itself apart)
                rank[(g, h)] = int(np.count_nonzero(row > row[h])) - (1 if row[g] > row[h] else 0)
    return {(a, b) for a, b in pairs.tolist() if rank[(a, b)] < MAX_PER_ROW or rank[(b, a)] < MAX_PER_ROW}


def _child(args: argparse.Namespace) -> None:
    db = Path(args.db)
    if args.child == "mine":
        result = child_mine(db)
    elif args.child == "naive":
        result = child_naive(db, args.near)
    else:
        data = make_library(args.size, *real_vectors()[:2])
        result = child_incremental(db, data["texts"], data["vectors"])
    print(json.dumps(result))


def _run_child(kind: str, db: Path, **extra: Any) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--db", str(db)]
    for k, v in extra.items():
        cmd += [f"--{k}", str(v)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000,100000,300000")
    ap.add_argument("--child")
    ap.add_argument("--db")
    ap.add_argument("--near", type=float, default=0.0)
    ap.add_argument("--size", type=int, default=0)
    ap.add_argument("--naive-limit", type=int, default=20000, help="largest n for the full n x n matrix")
    ap.add_argument("--exact-limit", type=int, default=100000, help="largest n for a full exact scan")
    args = ap.parse_args()
    if args.child:
        _child(args)
        return
    texts, vectors, cal, cal_vectors = real_vectors()
    print(f"real passages: {len(texts)} (SciFact abstracts + MRPC sentences), dim {vectors.shape[1]}")
    print("calibration (all-MiniLM-L6-v2):")
    for source, fig in calibrate(cal, cal_vectors).items():
        print(f"  {source}: {json.dumps(fig)}")
    OUT.mkdir(parents=True, exist_ok=True)
    for n in [int(s) for s in args.sizes.split(",")]:
        db = OUT / f"dupes_{n}.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        t0 = time.perf_counter()
        data = make_library(n, texts, vectors)
        write_store(db, data["texts"], data["vectors"])
        print(f"\n== {n} passages (library written in {time.perf_counter() - t0:.0f} s)")
        mined = _run_child("mine", db)
        print(f"  likewise mining (blocked, full): {json.dumps(mined)}")
        near = mined.get("near_threshold", 0.9)
        if n <= args.naive_limit:
            naive = _run_child("naive", db, near=near)
            print(f"  naive full n x n matrix:        {json.dumps(naive)}")
            if "seconds" in naive and "seconds" in mined:
                print(f"  time ratio likewise/naive: {mined['seconds'] / naive['seconds']:.2f}, "
                      f"peak memory ratio: {mined['peak_mb'] / naive['peak_mb']:.2f}")
        else:
            print(f"  naive full n x n matrix: not run ({n * n * 4 / 2**30:.0f} GiB of float32)")
        sample = None if n <= args.exact_limit else 3000
        t0 = time.perf_counter()
        truth, found, scanned, _capped = exact_relations(db, near, sample)
        hit = len(truth & found)
        recall = hit / len(truth) if truth else 1.0
        how = "all rows" if sample is None else f"{scanned} random rows against all"
        print(f"  recall of near-duplicate relations vs blocked exact scan ({how}, "
              f"{time.perf_counter() - t0:.0f} s): {hit}/{len(truth)} = {recall:.4f}")
        if n == 100000:
            inc = _run_child("incremental", db, size=n)
            print(f"  incremental, one new document of 20 passages: {json.dumps(inc)}")


if __name__ == "__main__":
    main()
