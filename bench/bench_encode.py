"""make bench-encode: Likewise's encoder beside sentence-transformers, same texts, same run.

Texts: short sentences (STS Benchmark test, first column) and ~256-token paragraphs
(SciFact abstracts packed and cut to the model's 256-token budget). Both encoders load
the bundled all-MiniLM-L6-v2 on the CPU, batch 32, after a warm-up batch.

Usage: python bench/bench_encode.py [--sentences N] [--paragraphs N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))

import core.offline  # noqa: E402,F401


def _sentences(n: int) -> list[str]:
    out = []
    with open(SHARED / "stsbenchmark" / "sts-test.csv", encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 7:
                out.append(parts[5])
    return out[:n]


def _paragraphs(n: int, tokenizer, budget: int = 254) -> list[str]:
    out = []
    words: list[str] = []
    with open(SHARED / "beir_scifact" / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            words += json.loads(line)["text"].split()
            while len(words) > 400 and len(out) < n:
                ids = tokenizer(" ".join(words[:400]), add_special_tokens=False)["input_ids"][:budget]
                out.append(tokenizer.decode(ids))
                words = words[400:]
            if len(out) >= n:
                break
    return out


def _rate(fn, texts: list[str]) -> float:
    fn(texts[:32])  # warm-up
    start = time.perf_counter()
    fn(texts)
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", type=int, default=1000)
    ap.add_argument("--paragraphs", type=int, default=200)
    args = ap.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    from core.encoder import SentenceEncoder
    from core.paths import default_model_path

    path = default_model_path()
    ours = SentenceEncoder.load(path, device="cpu")
    theirs = SentenceTransformer(str(path), device="cpu")
    sentences = _sentences(args.sentences)
    paragraphs = _paragraphs(args.paragraphs, ours.tokenizer)
    print(f"bench-encode: all-MiniLM-L6-v2, CPU ({torch.get_num_threads()} threads), batch 32")
    print(f"{'texts':<28}{'likewise/s':>12}{'sent-tr/s':>12}{'ratio':>8}")
    for name, texts in ((f"{len(sentences)} short sentences", sentences),
                        (f"{len(paragraphs)} 256-token paragraphs", paragraphs)):
        a = _rate(lambda t: ours.encode(t, batch_size=32), texts)
        b = _rate(lambda t: theirs.encode(t, batch_size=32), texts)
        print(f"{name:<28}{a:>12.1f}{b:>12.1f}{a / b:>8.2f}")


if __name__ == "__main__":
    main()
