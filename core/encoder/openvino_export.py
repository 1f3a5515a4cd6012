"""The OpenVINO half of a fast export: static int8, calibrated by NNCF on shipped texts.

From the plain (unfused) fp32 ONNX graph that core.encoder.export traces, NNCF's
post-training quantization (transformer preset: SmoothQuant, then per-channel int8
weights and per-tensor int8 activations, then bias correction) writes an OpenVINO IR,
``model.xml`` + ``model.bin``. Unlike dynamic int8, a text's vector does not depend on
the other texts of its batch.

Calibration texts are shipped with the application (resources/calibration.txt: STS
Benchmark train sentences, never the dev or test ones the gates and benchmarks use):
short sentences as they are, and paragraphs joined from the rest, so that activations
of long sequences are measured too. Needs ``nncf`` (the dev and package extras); where
it is missing, the export holds the ONNX Runtime model alone.

The quantization runs in a child Python (``python -m core.encoder.openvino_export``):
NNCF's imports and calibration buffers leave a few hundred MB behind in the process that
ran them, which would otherwise stay in the window for the rest of its life, and a crash
inside NNCF costs only the OpenVINO half of the export.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

import core.offline  # noqa: F401  (NNCF's telemetry off, before it is imported)

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
CALIBRATION = RESOURCES / "calibration.txt"
XML_FILE = "model.xml"
SHORT_TEXTS = 250
LONG_TEXTS = 40
LONG_WORDS = 160
CHILD_TIMEOUT_S = 1800


def calibration_texts(path: Path = CALIBRATION) -> list[str]:
    from core.encoder.gates import paragraphs_from

    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    sentences = [ln for ln in lines if ln and not ln.startswith("#")]
    return (sentences[:SHORT_TEXTS] + paragraphs_from(sentences[SHORT_TEXTS:], LONG_TEXTS, LONG_WORDS)
            + odd_texts(sentences))


def odd_texts(sentences: list[str]) -> list[str]:
    """What documents hold beside prose: one word repeated, columns of figures, lists of
    references, runs of punctuation. Left out, their activations fall outside the ranges
    calibrated on sentences, and such passages lose most of their meaning in int8."""
    words = " ".join(sentences).split()
    out = []
    for i, word in enumerate(words[:SHORT_TEXTS:25]):
        out.append(" ".join([word.strip(".,;:!?\"'")] * (20 + 37 * i % 230)))
    for i in range(8):
        out.append(" ".join(f"{(i * 7919 + j * 104729) % 100000 / 100:.2f}" for j in range(30 + 20 * i)))
    for i in range(8):
        out.append(" ".join(f"[{k}] {words[(i * 31 + k) % len(words)]} et al. ({1990 + k % 30}), "
                            f"pp. {k * 13}-{k * 13 + 9}." for k in range(1, 6 + 3 * i)))
    for mark in (". ", "- ", "_", "=", "* ", "… "):
        out.append(mark * 120)
    return out


def quantize_openvino(fp32_onnx: Path, target_dir: Path, tokenizer: Any, inputs: list[str]) -> Path:
    """Write ``target_dir/model.xml`` (and .bin): the NNCF int8 model of ``fp32_onnx``.

    ``tokenizer`` is the export's truncating `tokenizers` Tokenizer."""
    import nncf
    import openvino as ov

    nncf.set_log_level(logging.ERROR)
    feeds = [_feed(tokenizer.encode(text).ids, inputs) for text in calibration_texts()]
    model = ov.Core().read_model(str(fp32_onnx))
    # NNCF draws progress bars on standard output, which `likewise encode` prints JSON on.
    with contextlib.redirect_stdout(io.StringIO()):
        quantized = nncf.quantize(model, nncf.Dataset(feeds), model_type=nncf.ModelType.TRANSFORMER,
                                  preset=nncf.QuantizationPreset.PERFORMANCE, subset_size=len(feeds))
    target = target_dir / XML_FILE
    ov.save_model(quantized, str(target), compress_to_fp16=False)
    return target


def quantize_openvino_in_child(fp32_onnx: Path, target_dir: Path, tokenizer_file: Path, max_len: int,
                               inputs: list[str]) -> Path:
    """quantize_openvino in a child Python; its error, if any, is raised here as
    RuntimeError with the child's last words."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [sys.executable, "-m", "core.encoder.openvino_export", str(fp32_onnx), str(target_dir),
           str(tokenizer_file), str(max_len), ",".join(inputs)]
    done = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S,
                          check=False)
    target = target_dir / XML_FILE
    if done.returncode != 0 or not target.is_file():
        last = " ".join((done.stderr or "").strip().splitlines()[-3:])[-300:]
        raise RuntimeError(f"the quantizing process ended with code {done.returncode}: {last}")
    return target


def _child(argv: list[str]) -> int:
    from tokenizers import Tokenizer

    fp32_onnx, target_dir, tokenizer_file, max_len, inputs = argv
    tokenizer = Tokenizer.from_file(tokenizer_file)
    tokenizer.no_padding()
    tokenizer.enable_truncation(int(max_len))
    quantize_openvino(Path(fp32_onnx), Path(target_dir), tokenizer, inputs.split(","))
    return 0


def _feed(ids: list[int], inputs: list[str]) -> dict[str, np.ndarray]:
    """One text as a batch of one: no padding enters the activation ranges."""
    row = np.asarray([ids], dtype=np.int64)
    feed = {"input_ids": row, "attention_mask": np.ones_like(row), "token_type_ids": np.zeros_like(row)}
    return {name: feed[name] for name in inputs}


def nncf_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("nncf") is not None and importlib.util.find_spec("openvino") is not None


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
