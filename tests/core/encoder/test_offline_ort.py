"""ONNX Runtime (the OCR engine and the int8 encoder) leaves no trace of telemetry: no
device id written under the user's cache, no network connection attempted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
from core.extract.ocr import OcrEngine
import numpy as np
engine = OcrEngine(threads=1)
print(type(engine).__name__)
"""


def test_loading_onnx_runtime_writes_no_device_id_and_sends_nothing(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("CI", "GITHUB_ACTIONS", "TF_BUILD", "ORT_TELEMETRY_DISABLED")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "OcrEngine" in out.stdout
    left = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    assert not [p for p in left if "Microsoft" in p or "onnxruntime" in p.lower()], left
