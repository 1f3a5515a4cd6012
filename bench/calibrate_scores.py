"""Where search's floor and score scale come from (issue 30): cosines of the default
model (all-MiniLM-L6-v2, fp32) on held-out pairs with human judgements, printed so that
core/search/calibration.py can be checked against them.

- STSb dev + test (2,879 sentence pairs scored 0..5): for each cosine band, the share of
  pairs people scored >= 2 ("share some details"); the floor is where that share falls
  below one pair in ten.
- SciFact (test queries against their relevant abstracts, and against 1,000 abstracts
  drawn at random): the cosines a relevant query/passage pair reaches (its low
  percentiles must clear the floor) and the ones an unrelated pair reaches.
- Nonsense queries ("zz", "asdf qwer", ...) against the same abstracts: their best cosine.

    .venv/bin/python bench/calibrate_scores.py
"""

from __future__ import annotations

import csv
import json
import os
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))
NONSENSE = ["zz", "asdf qwer", "xkcd blorp", "qqq", "lorem ipsum", "aaaa bbbb", "j", "hmm"]


def stsb_pairs() -> list[tuple[str, str, float]]:
    pairs = []
    for name in ("sts-dev.csv", "sts-test.csv"):
        with open(SHARED / "stsbenchmark" / name, encoding="utf-8") as fh:
            for f in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(f) >= 7:
                    pairs.append((f[5], f[6], float(f[4])))
    return pairs


def scifact(sample: int = 1000, seed: int = 0) -> tuple[dict, dict, dict[str, dict[str, int]]]:
    from core.search.beir import load_beir

    data = load_beir(SHARED / "beir_scifact")
    docs = {d: (t + " " + x).strip() for d, (t, x) in data.corpus.items()}
    wanted = {d for rels in data.qrels.values() for d in rels}
    rng = random.Random(seed)
    wanted |= set(rng.sample(sorted(docs), sample))
    return {d: docs[d] for d in sorted(wanted)}, data.queries, data.qrels


def main() -> None:
    import core.offline  # noqa: F401
    from core.encoder import SentenceEncoder
    from core.paths import default_model_path

    enc = SentenceEncoder.load(default_model_path(), device="auto")
    out: dict = {}
    pairs = stsb_pairs()
    a = enc.encode([p[0] for p in pairs], batch_size=64)
    b = enc.encode([p[1] for p in pairs], batch_size=64)
    cos = np.sum(a * b, axis=1)
    gold = np.array([p[2] for p in pairs])
    bands = []
    for lo in np.arange(-0.1, 1.0, 0.05):
        inside = (cos >= lo) & (cos < lo + 0.05)
        if inside.sum() >= 10:
            bands.append((round(float(lo), 2), int(inside.sum()), round(float((gold[inside] >= 2).mean()), 3)))
    out["stsb_share_scored_2_or_more_by_cosine_band"] = bands
    out["stsb_floor_share_below_0.1"] = max((lo + 0.05 for lo, _n, share in bands if share < 0.1), default=None)
    docs, queries, qrels = scifact()
    ids = list(docs)
    mat = enc.encode([docs[d] for d in ids], batch_size=32)
    row = {d: i for i, d in enumerate(ids)}
    qids = sorted(qrels)
    qv = enc.encode([queries[q] for q in qids], batch_size=64)
    relevant, unrelated = [], []
    for i, q in enumerate(qids):
        sims = mat @ qv[i]
        for d, r in qrels[q].items():
            if r > 0 and d in row:
                relevant.append(float(sims[row[d]]))
        unrelated += [float(s) for j, s in enumerate(sims) if ids[j] not in qrels[q]]
    pct = (1, 2, 5, 10, 50)
    out["scifact_relevant_cosine_percentiles"] = {p: round(float(np.percentile(relevant, p)), 3) for p in pct}
    out["scifact_unrelated_cosine_percentiles"] = {
        p: round(float(np.percentile(unrelated, p)), 3) for p in (50, 90, 99, 99.9)}
    nv = enc.encode(NONSENSE, batch_size=16)
    out["nonsense_best_cosine"] = {q: round(float((mat @ nv[i]).max()), 3) for i, q in enumerate(NONSENSE)}
    out["stsb_pairs"] = len(pairs)
    out["scifact_queries"] = len(qids)
    out["scifact_abstracts"] = len(ids)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
