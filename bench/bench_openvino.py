"""Issue 17: other CPU inference routes beside the shipped one, same texts, same run.

Routes, all on the bundled all-MiniLM-L6-v2, the same tokenizer, the same length-sorted
batches (32 texts, or more short ones up to the tokens of 32 full-length texts) and the
same pooling (core/encoder/onnx_backend.py); only the graph and the runtime differ:

- sentence-transformers fp32 (torch): the peer of every ratio;
- Likewise int8: the shipped route (ONNX Runtime, BERT fusion, dynamic int8 per channel);
- ONNX Runtime, static int8 (QDQ, per-channel weights, calibrated on STS train sentences and
  SciFact abstracts that are not among the measured texts);
- OpenVINO fp32, and OpenVINO int8 quantized with NNCF (static, transformer preset, the
  same calibration texts).

Quality: mean cosine to our torch fp32 encoder on the measured texts, and Spearman on the
STS benchmark test set (the gate the shipped export passes is cosine >= 0.99).

Since issue 17's last step, Likewise ships the OpenVINO int8 route too (core/encoder/runtimes.py),
calibrated on its own shipped texts; this study keeps its own calibration (below).
    python bench/bench_openvino.py [--paragraphs 200] [--sentences 1000]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))

import core.offline  # noqa: E402,F401
from bench.bench_encode import _paragraphs, _sentences, mean_rates  # noqa: E402


class _Runtime:
    """What OnnxEncoder asks of its runner, answered by another graph or runtime."""

    name = "study"

    def __init__(self, run_fn) -> None:
        self._run_fn = run_fn

    def run(self, feed: dict) -> np.ndarray:
        return self._run_fn(feed)


def _calibration_texts(n: int) -> list[str]:
    import json

    out = []
    with open(SHARED / "stsbenchmark" / "sts-train.csv", encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 7:
                out.append(parts[5])
            if len(out) >= n // 2:
                break
    with open(SHARED / "beir_scifact" / "corpus.jsonl", encoding="utf-8") as fh:
        rows = fh.readlines()
    for line in rows[-(n - len(out)):]:          # the last abstracts: not among the measured ones
        out.append(json.loads(line)["text"])
    return out


def _feeds(enc, texts: list[str], batch: int = 16) -> list[dict]:
    """Calibration batches as the encoder would feed them."""
    ids = enc.token_ids(texts)
    feeds = []
    for at in range(0, len(ids), batch):
        seqs = ids[at:at + batch]
        width = max(len(s) for s in seqs)
        input_ids = np.full((len(seqs), width), enc._pad_id, dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for row, seq in enumerate(seqs):
            input_ids[row, :len(seq)] = seq
            mask[row, :len(seq)] = 1
        feed = {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
        feeds.append({k: feed[k] for k in enc._inputs})
    return feeds


def _ort_static(fp32_onnx: Path, out: Path, feeds: list[dict]) -> Path:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter(feeds)

        def get_next(self):
            return next(self.it, None)

    quantize_static(str(fp32_onnx), str(out), Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    op_types_to_quantize=["MatMul", "Gemm"])
    return out


def _stsb_spearman(encode) -> float:
    from scipy.stats import spearmanr

    a, b, gold = [], [], []
    with open(SHARED / "stsbenchmark" / "sts-test.csv", encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 7:
                gold.append(float(row[4]))
                a.append(row[5])
                b.append(row[6])
    va, vb = encode(a), encode(b)
    return float(spearmanr((va * vb).sum(axis=1), gold).correlation)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", type=int, default=1000)
    ap.add_argument("--paragraphs", type=int, default=200)
    ap.add_argument("--calibration", type=int, default=300)
    args = ap.parse_args()

    import nncf
    import onnxruntime as ort
    import openvino as ov
    import torch
    from sentence_transformers import SentenceTransformer

    from core.encoder import SentenceEncoder
    from core.encoder.export import _trace
    from core.encoder.onnx_backend import OnnxEncoder, cpu_cores
    from core.encoder.precision import load_encoder
    from core.evaluation.stats import cosine_rows
    from core.paths import default_model_path

    path = default_model_path()
    fp32 = SentenceEncoder.load(path, device="cpu")
    os.environ["LIKEWISE_RUNTIME"] = "onnxruntime"   # the study's base: ONNX Runtime's dynamic int8
    shipped = load_encoder(path, device="cpu", precision="int8", notify=print)
    theirs = SentenceTransformer(str(path), device="cpu")
    work = Path(tempfile.mkdtemp(prefix="likewise-ov-"))
    plain = work / "fp32.onnx"
    _trace(fp32, path, plain)

    def clone(run_fn) -> OnnxEncoder:
        enc = OnnxEncoder(shipped.folder, runtime="onnxruntime")
        enc._runner = _Runtime(run_fn)
        return enc

    calib = _feeds(shipped, _calibration_texts(args.calibration))
    started = time.perf_counter()
    static = _ort_static(plain, work / "static-int8.onnx", calib)
    ort_static_s = time.perf_counter() - started
    options = ort.SessionOptions()
    options.intra_op_num_threads = cpu_cores()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    static_session = ort.InferenceSession(str(static), options, providers=["CPUExecutionProvider"])

    core = ov.Core()
    core.set_property("CPU", {"INFERENCE_NUM_THREADS": cpu_cores()})
    ov_model = core.read_model(str(plain))
    ov_fp32 = core.compile_model(ov_model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    started = time.perf_counter()
    quantized = nncf.quantize(core.read_model(str(plain)), nncf.Dataset(calib),
                              model_type=nncf.ModelType.TRANSFORMER, subset_size=len(calib))
    nncf_s = time.perf_counter() - started
    ov_int8 = core.compile_model(quantized, "CPU")

    def ov_run(compiled):
        request = compiled.create_infer_request()
        return lambda feed: np.asarray(request.infer(feed)[0])

    routes = [
        ("sent-tr fp32", lambda t: theirs.encode(t, batch_size=32)),
        ("likewise int8", lambda t: shipped.encode(t, batch_size=32)),
        ("ort static int8", clone(lambda feed: static_session.run(None, feed)[0]).encode),
        ("openvino fp32", clone(ov_run(ov_fp32)).encode),
        ("openvino int8", clone(ov_run(ov_int8)).encode),
    ]
    print(f"bench-openvino: all-MiniLM-L6-v2, CPU ({torch.get_num_threads()} threads), OpenVINO "
          f"{ov.__version__}, NNCF {nncf.__version__}, ONNX Runtime {ort.__version__}; load average "
          f"{os.getloadavg()[0]:.2f}; calibration {len(calib)} batches of {args.calibration} texts "
          f"(ORT static {ort_static_s:.0f} s, NNCF {nncf_s:.0f} s)")
    sentences = _sentences(args.sentences)
    paragraphs = _paragraphs(args.paragraphs, fp32.tokenizer)
    for name, texts in ((f"{len(sentences)} short sentences", sentences),
                        (f"{len(paragraphs)} 256-token paragraphs", paragraphs)):
        rates = mean_rates(routes, texts)
        reference = fp32.encode(texts)
        peer = rates["sent-tr fp32"]
        print(f"\n{name}")
        print(f"{'route':<18}{'texts/s':>10}{'x sent-tr':>11}{'cosine':>9}")
        for n, fn in routes:
            rate = rates[n]
            cos = cosine_rows(np.asarray(fn(texts)), reference).mean()
            print(f"{n:<18}{rate:>10.1f}{rate / peer:>11.2f}{cos:>9.4f}")
    print("\nSTS benchmark test, Spearman x 100")
    for n, fn in routes:
        print(f"{n:<18}{100 * _stsb_spearman(lambda t, fn=fn: np.asarray(fn(t))):>10.2f}")


if __name__ == "__main__":
    main()
