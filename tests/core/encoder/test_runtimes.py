"""Which runtime runs a fast export (ONNX Runtime or OpenVINO), and what happens when one
is missing, fails its gate or cannot be opened. The tiny random model: what its vectors
mean does not matter, only which model file serves them."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from core.encoder import runtimes
from core.encoder.gates import GateSpec
from core.encoder.onnx_backend import MANIFEST, OnnxEncoder
from core.encoder.precision import GATE_FILE, load_encoder
from core.errors import ModelError

LENIENT = GateSpec(min_cosine=0.5, max_sts_drop=100.0)
TEXTS = ["one text", "another, somewhat longer text than the first"]


@pytest.fixture
def use_fast(monkeypatch, tmp_path):
    monkeypatch.setenv("LIKEWISE_PRECISION", "auto")
    monkeypatch.setenv("LIKEWISE_FAST_CACHE", str(tmp_path / "fast-models"))
    monkeypatch.delenv("LIKEWISE_RUNTIME", raising=False)


@pytest.fixture
def model(tmp_path, tiny_model_dir):
    """A copy of the tiny model (its own content hash, so its own export)."""
    copy = tmp_path / "model"
    shutil.copytree(tiny_model_dir, copy)
    return copy


def test_openvino_serves_where_the_cpu_has_int8_dot_products(monkeypatch):
    monkeypatch.delenv("LIKEWISE_RUNTIME", raising=False)
    monkeypatch.setattr(runtimes, "cpu_has_int8_dot", lambda: True)
    assert runtimes.choose_runtime(["onnxruntime", "openvino"]) == "openvino"
    assert runtimes.choose_runtime(["onnxruntime"]) == "onnxruntime"
    monkeypatch.setattr(runtimes, "cpu_has_int8_dot", lambda: False)
    assert runtimes.choose_runtime(["onnxruntime", "openvino"]) == "onnxruntime"
    assert runtimes.choose_runtime(["openvino"]) == "openvino"   # the only one that passed


def test_the_environment_chooses_among_the_runtimes_that_passed(monkeypatch):
    monkeypatch.setattr(runtimes, "cpu_has_int8_dot", lambda: False)
    monkeypatch.setenv("LIKEWISE_RUNTIME", "openvino")
    assert runtimes.choose_runtime(["onnxruntime", "openvino"]) == "openvino"
    assert runtimes.choose_runtime(["onnxruntime"]) == "onnxruntime"
    monkeypatch.setenv("LIKEWISE_RUNTIME", "tensorrt")
    with pytest.raises(ModelError, match="unknown runtime"):
        runtimes.choose_runtime(["onnxruntime"])


def test_an_export_holds_a_gated_model_for_each_runtime(model, use_fast, monkeypatch):
    enc = load_encoder(model, spec=LENIENT)
    folder = enc.folder
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["runtimes"] == {"onnxruntime": "model.onnx", "openvino": "model.xml"}
    verdict = json.loads((folder / GATE_FILE).read_text(encoding="utf-8"))
    assert {r: v["passed"] for r, v in verdict["runtimes"].items()} == {"onnxruntime": True, "openvino": True}
    ort = OnnxEncoder(folder, runtime="onnxruntime")
    ov = OnnxEncoder(folder, runtime="openvino", compile_cache=folder.parent / "compiled")
    assert (ort.runtime, ov.runtime) == ("onnxruntime", "openvino")
    a, b = ort.encode(TEXTS), ov.encode(TEXTS)
    assert a.shape == b.shape and not np.allclose(a, b, atol=1e-6)   # two models, two sets of vectors
    assert np.allclose(ov.encode(TEXTS), b, atol=1e-6)               # ... each repeatable
    assert any((folder.parent / "compiled").iterdir())               # the compiled model, cached


def test_a_runtime_failing_its_gate_is_dropped_and_the_other_serves(model, use_fast, monkeypatch):
    import core.encoder.gates as gates

    real_gate = gates.shipped_gate

    def failing_openvino(fast, ref, spec=None, **kw):
        report = real_gate(fast, ref, LENIENT, **kw)
        if fast.runtime == "openvino":
            report.passed, report.failures = False, ["made to fail"]
        return report

    monkeypatch.setattr(gates, "shipped_gate", failing_openvino)
    monkeypatch.setenv("LIKEWISE_RUNTIME", "openvino")
    enc = load_encoder(model)
    assert isinstance(enc, OnnxEncoder) and enc.runtime == "onnxruntime"
    assert not (enc.folder / "model.xml").exists() and not (enc.folder / "model.bin").exists()
    verdict = json.loads((enc.folder / GATE_FILE).read_text(encoding="utf-8"))
    assert verdict["passed"] and not verdict["runtimes"]["openvino"]["passed"]


def test_without_nncf_the_export_holds_the_onnx_runtime_model_alone(model, use_fast, monkeypatch):
    import core.encoder.export as export

    monkeypatch.setattr(export, "nncf_available", lambda: False)
    monkeypatch.setenv("LIKEWISE_RUNTIME", "openvino")
    enc = load_encoder(model, spec=LENIENT)
    assert isinstance(enc, OnnxEncoder) and enc.runtime == "onnxruntime"
    manifest = json.loads((enc.folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["runtimes"] == {"onnxruntime": "model.onnx"}
    assert "nncf" in manifest["not_made"]["openvino"]


def test_openvino_that_cannot_open_gives_way_to_onnx_runtime(model, use_fast, monkeypatch):
    enc = load_encoder(model, spec=LENIENT)

    def broken(*args, **kwargs):
        raise ModelError("cannot load the exported model: no CPU plugin")

    monkeypatch.setattr(runtimes.OpenVinoRunner, "__init__", broken)
    monkeypatch.setattr(runtimes, "cpu_has_int8_dot", lambda: True)
    assert OnnxEncoder(enc.folder).runtime == "onnxruntime"
    with pytest.raises(ModelError, match="no CPU plugin"):   # asked for by name: said plainly
        OnnxEncoder(enc.folder, runtime="openvino")


def test_an_export_of_the_older_format_is_made_again(model, use_fast, monkeypatch):
    import core.encoder.export as export

    monkeypatch.setattr(export, "nncf_available", lambda: False)
    first = load_encoder(model, spec=LENIENT)
    manifest_path = first.folder / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format"] = 1
    del manifest["runtimes"]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")   # as version 0.1 wrote it
    monkeypatch.undo()
    monkeypatch.setenv("LIKEWISE_PRECISION", "auto")
    monkeypatch.setenv("LIKEWISE_FAST_CACHE", str(first.folder.parent))
    again = load_encoder(model, spec=LENIENT)
    remade = json.loads((again.folder / MANIFEST).read_text(encoding="utf-8"))
    assert again.folder == first.folder and remade["format"] == 2
    assert set(remade["runtimes"]) == {"onnxruntime", "openvino"}
