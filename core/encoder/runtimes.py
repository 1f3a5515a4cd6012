"""The two runtimes a fast (int8) export can be run by, and the choice between them.

- ONNX Runtime runs ``model.onnx``: BERT fusion, dynamic int8 (activations scaled per
  batch). Measured the faster of the two on CPUs without int8 dot-product instructions.
- OpenVINO runs ``model.xml``: static int8 calibrated by NNCF (core.encoder.openvino_export).
  Where the CPU has int8 dot products (AVX-512 VNNI, AVX-VNNI, AMX) it measured 1.6-1.8x
  ONNX Runtime's speed at a higher cosine to fp32 (bench/bench_openvino.py);
  without them it measured slower.

LIKEWISE_RUNTIME ("onnxruntime" or "openvino") overrides the choice; a runtime whose
export is absent or failed its gate is never chosen.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ModelError

RUNTIME_ENV = "LIKEWISE_RUNTIME"
ONNXRUNTIME = "onnxruntime"
OPENVINO = "openvino"
RUNTIMES = (ONNXRUNTIME, OPENVINO)
INT8_DOT_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")


def cpu_has_int8_dot() -> bool:
    """Whether the CPU multiplies int8 vectors in one instruction (VNNI or AMX)."""
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    if line.startswith("flags"):
                        flags = set(line.split(":", 1)[1].split())
                        return any(f in flags for f in INT8_DOT_FLAGS)
        except OSError:
            return False
        return False
    if sys.platform == "darwin":
        return False   # Apple silicon: MPS serves; Intel Macs predate VNNI
    try:   # Windows: OpenVINO's own reading of the CPU; BF16 is listed only on AVX-512 BF16
        import openvino as ov  # and AMX CPUs, all of which have VNNI

        return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception:  # noqa: BLE001 - no OpenVINO: no choice to make
        return False


def choose_runtime(available: list[str]) -> str:
    """The runtime to run an export with, among those whose export passed its gate."""
    if not available:
        raise ModelError("no runtime passed the export's gate")
    wanted = os.environ.get(RUNTIME_ENV, "").strip().lower()
    if wanted:
        if wanted not in RUNTIMES:
            raise ModelError(f"unknown runtime {wanted!r}; choose one of {', '.join(RUNTIMES)}")
        if wanted in available:
            return wanted
    if OPENVINO in available and cpu_has_int8_dot() and _importable("openvino"):
        return OPENVINO
    return ONNXRUNTIME if ONNXRUNTIME in available else available[0]


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


class OrtRunner:
    """``model.onnx`` on ONNX Runtime's CPU provider."""

    name = ONNXRUNTIME

    def __init__(self, model: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # Idle threads sleep rather than spin: while indexing, the extraction worker (and
        # its OCR) needs the same cores. Whole shared corpus (bench/bench_index.py):
        # 150 s with sleeping threads, 162-166 s spinning; encoding alone is no slower.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own kinds
            raise ModelError(f"cannot load the exported model {model}: {exc}") from exc
        self.inputs = [i.name for i in self._session.get_inputs()]

    def run(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        return self._session.run(None, feed)[0]


class OpenVinoRunner:
    """``model.xml`` (int8) on OpenVINO's CPU plugin, compiled once and cached on disk:
    a cached compile loads in ~0.15 s instead of ~0.7 s, which the CLI's search feels.
    The model is read first and compiled from memory, so that the cache is keyed by its
    content: compiled from a path, the key is the path and the file's time, and a moved
    application (or export) compiled anew (package-test: search 1.94 s after a move)."""

    name = OPENVINO

    def __init__(self, model: Path, threads: int, compile_cache: Path | None = None) -> None:
        try:
            import openvino as ov

            core = ov.Core()
            config: dict[str, Any] = {"INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"}
            if compile_cache is not None and _writable(compile_cache):
                config["CACHE_DIR"] = str(compile_cache)
            graph = core.read_model(str(model))
            try:
                compiled = core.compile_model(graph, "CPU", config)
            except RuntimeError:
                if "CACHE_DIR" not in config:
                    raise
                del config["CACHE_DIR"]   # a cache that cannot be written or read: compile anew
                compiled = core.compile_model(graph, "CPU", config)
        except Exception as exc:  # noqa: BLE001 - OpenVINO raises its own kinds
            raise ModelError(f"cannot load the exported model {model}: {exc}") from exc
        self.inputs = [p.get_any_name() for p in compiled.inputs]
        self._request = compiled.create_infer_request()

    def run(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        result = self._request.infer(feed)
        return np.array(result[0], dtype=np.float32)


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return os.access(folder, os.W_OK)
    except OSError:
        return False
