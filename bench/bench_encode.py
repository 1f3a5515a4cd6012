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


def mean_rates(peers: list, texts: list[str], rounds: int = 2) -> dict[str, float]:
    """Texts per second of each (name, encode) peer, averaged over ``rounds`` rounds run
    in turn, so that the machine's load falls on every peer alike."""
    rates: dict[str, list[float]] = {n: [] for n, _ in peers}
    for _ in range(rounds):
        for n, fn in peers:
            rates[n].append(_rate(fn, texts))
    return {n: sum(r) / len(r) for n, r in rates.items()}


def _st_onnx(path: Path):
    """sentence-transformers' own ONNX backend, where it can be had offline (it needs optimum)."""
    try:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(str(path), device="cpu", backend="onnx")
    except Exception as exc:  # noqa: BLE001 - reported, not fatal
        print(f"(sentence-transformers onnx backend not measured: {type(exc).__name__}: {str(exc)[:120]})")
        return None


def _other_runtimes(fast) -> list:
    """The export's model for the runtime not chosen on this CPU, measured beside it."""
    from core.encoder.onnx_backend import OnnxEncoder, runtimes_of

    if not isinstance(fast, OnnxEncoder):
        return []
    return [OnnxEncoder(fast.folder, runtime=r) for r in runtimes_of(fast.manifest) if r != fast.runtime]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", type=int, default=1000)
    ap.add_argument("--paragraphs", type=int, default=200)
    args = ap.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    from core.encoder import SentenceEncoder
    from core.encoder.precision import load_encoder
    from core.evaluation.stats import cosine_rows
    from core.paths import default_model_path

    path = default_model_path()
    fp32 = SentenceEncoder.load(path, device="cpu")
    fast = load_encoder(path, device="cpu", precision="auto", notify=print)
    theirs = SentenceTransformer(str(path), device="cpu")
    st_onnx = _st_onnx(path)
    sentences = _sentences(args.sentences)
    paragraphs = _paragraphs(args.paragraphs, fp32.tokenizer)
    print(f"bench-encode: all-MiniLM-L6-v2, CPU ({torch.get_num_threads()} threads), batch 32; "
          f"Likewise default = {fast.precision} on {getattr(fast, 'runtime', 'torch')}; "
          f"load average {os.getloadavg()[0]:.2f}")
    default_name = f"likewise {fast.precision} {getattr(fast, 'runtime', '')}".strip()
    peers = [(default_name, lambda t: fast.encode(t, batch_size=32))]
    for other in _other_runtimes(fast):
        peers.append((f"likewise int8 {other.runtime}", lambda t, o=other: o.encode(t, batch_size=32)))
    peers += [("likewise fp32", lambda t: fp32.encode(t, batch_size=32)),
              ("sent-tr fp32", lambda t: theirs.encode(t, batch_size=32))]
    if st_onnx is not None:
        peers.append(("sent-tr onnx", lambda t: st_onnx.encode(t, batch_size=32)))
    print(f"{'texts':<28}" + "".join(f"{n + '/s':>29}" for n, _ in peers) + f"{'default/st':>12}{'cos':>8}")
    for name, texts in ((f"{len(sentences)} short sentences", sentences),
                        (f"{len(paragraphs)} 256-token paragraphs", paragraphs)):
        mean = mean_rates(peers, texts)
        cos = cosine_rows(fast.encode(texts), fp32.encode(texts)).mean()
        default, st = mean[peers[0][0]], mean["sent-tr fp32"]
        print(f"{name:<28}" + "".join(f"{mean[n]:>29.1f}" for n, _ in peers) + f"{default / st:>12.2f}{cos:>8.4f}")


if __name__ == "__main__":
    main()
