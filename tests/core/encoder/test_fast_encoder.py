"""The fast CPU encoder (int8 on ONNX Runtime or OpenVINO): export, quality gates for
each runtime, the choice of runtime, fallback, the default path of the CLI and the
library, and start-up without torch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.encoder.gates import GateSpec, check_gates
from core.encoder.precision import load_encoder
from core.evaluation.stats import cosine_rows
from core.evaluation.sts import StsData, read_sts
from tests.conftest import ROOT

LENIENT = GateSpec(min_cosine=0.5, max_sts_drop=100.0)   # for the tiny random model
IMPOSSIBLE = GateSpec(min_cosine=1.01)


@pytest.fixture(scope="session")
def fast_cache(shipped_fast_cache) -> Path:
    """The session's one cache of int8 exports (conftest): the bundled model is exported
    and gated once per session, for these tests and the quality tests alike."""
    return shipped_fast_cache


@pytest.fixture
def use_fast(monkeypatch, fast_cache):
    monkeypatch.setenv("LIKEWISE_PRECISION", "auto")
    monkeypatch.setenv("LIKEWISE_FAST_CACHE", str(fast_cache))
    return fast_cache


@pytest.fixture(scope="session")
def real_export(fast_cache, default_model_dir, shipped_encoder):
    """The bundled model's int8 export (made once per session by conftest's shipped_encoder,
    both runtimes gated) and its fp32 encoder."""
    from core.encoder.model import SentenceEncoder
    from core.encoder.precision import gate_verdict
    from core.model_identity import content_hash as model_content_hash

    ref = SentenceEncoder.load(default_model_dir, device="cpu")
    folder = fast_cache / model_content_hash(default_model_dir)
    assert shipped_encoder.folder == folder
    verdict = gate_verdict(folder)
    assert verdict["passed"], verdict
    assert set(verdict["runtimes"]) == {"onnxruntime", "openvino"}, verdict
    assert all(v["passed"] for v in verdict["runtimes"].values()), verdict
    return folder, ref


@pytest.fixture(scope="session", params=["onnxruntime", "openvino"])
def real_pair(request, real_export, default_model_dir):
    """Each runtime's int8 encoder of the bundled model, and its fp32 torch encoder."""
    from core.encoder.onnx_backend import OnnxEncoder

    folder, ref = real_export
    return OnnxEncoder(folder, path=default_model_dir, runtime=request.param), ref


# -- the real model: quality gates --------------------------------------------------------
@pytest.mark.slow
def test_int8_export_of_the_bundled_model_holds_quality_on_sts_test(real_pair, shared_data):
    fast, ref = real_pair
    sts = read_sts(shared_data / "stsbenchmark" / "sts-test.csv")
    sample = StsData(sts.sentences1[:600], sts.sentences2[:600], sts.scores[:600])
    report = check_gates(fast, ref, sample)
    assert report.cosine_mean >= 0.99, report.describe()
    assert report.sts_fast >= report.sts_fp32 - 0.5, report.describe()
    assert report.passed


@pytest.mark.slow
def test_int8_retrieval_on_scifact_matches_fp32(real_pair, shared_data):
    """Dense nDCG@10 on 40 SciFact test queries over their relevant abstracts and 300
    others: int8 no more than 0.5 points (x100) below fp32."""
    from core.evaluation.beir import load_beir, ndcg_at

    fast, ref = real_pair
    data = load_beir(shared_data / "beir_scifact")
    qids = sorted(data.qrels)[:40]
    wanted = {d for q in qids for d in data.qrels[q]}
    doc_ids = [d for d in data.corpus if d in wanted] + [d for d in data.corpus if d not in wanted][:300]
    texts = [(data.corpus[d][0] + " " + data.corpus[d][1]).strip() for d in doc_ids]
    queries = [data.queries[q] for q in qids]
    scores = {}
    for name, enc in (("int8", fast), ("fp32", ref)):
        docs, qv = enc.encode(texts), enc.encode(queries)
        ranked = np.argsort(-(qv @ docs.T), axis=1)[:, :10]
        scores[name] = 100 * np.mean([ndcg_at([doc_ids[j] for j in row], data.qrels[q])
                                      for q, row in zip(qids, ranked, strict=True)])
    assert scores["int8"] >= scores["fp32"] - 0.5, scores


@pytest.mark.slow
def test_int8_handles_any_batch_size_and_length(real_pair):
    fast, ref = real_pair
    texts = ["a", "A man is playing a guitar on stage.", "word " * 400, "Short one.", "x y z " * 30]
    together = fast.encode(texts, batch_size=5)
    alone = np.vstack([fast.encode([t], batch_size=1) for t in texts])
    if fast.runtime == "openvino":
        # Static int8: a text's vector does not depend on its batch-mates.
        assert cosine_rows(together, alone).min() > 0.9999
    else:
        # Dynamic int8 scales activations per batch: a text's vector moves a little with
        # its batch-mates, never more than the gate allows.
        assert cosine_rows(together, alone).min() > 0.98
    assert cosine_rows(together, ref.encode(texts)).min() > 0.97
    assert fast.count_tokens(["word " * 400])[0] == ref.count_tokens(["word " * 400])[0]


# -- the CLI and the library use the fast path by default ---------------------------------
@pytest.mark.slow
def test_cli_encode_defaults_to_int8_and_fp32_gives_torch_vectors(real_pair, use_fast, capsys, monkeypatch):
    from app.cli import main

    fast, ref = real_pair
    monkeypatch.setenv("LIKEWISE_RUNTIME", fast.runtime)
    texts = ["The cat sits on the mat.", "Quarterly revenue grew by four percent."]
    os.environ.pop("LIKEWISE_PRECISION")
    assert main(["encode", *texts]) == 0
    default = json.loads(capsys.readouterr().out)
    assert main(["encode", "--precision", "fp32", *texts]) == 0
    exact = json.loads(capsys.readouterr().out)
    assert default["precision"] == "int8" and exact["precision"] == "fp32"
    assert np.allclose(np.array(default["vectors"]), fast.encode(texts), atol=1e-5)
    assert np.allclose(np.array(exact["vectors"]), ref.encode(texts), atol=1e-5)
    assert cosine_rows(np.array(default["vectors"]), np.array(exact["vectors"])).min() > 0.98


@pytest.mark.slow
def test_library_records_precision_and_cli_search_runs_without_torch(real_pair, use_fast, tmp_path,
                                                                    monkeypatch):
    from core.library import Library

    runtime = real_pair[0].runtime
    monkeypatch.setenv("LIKEWISE_RUNTIME", runtime)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cats.txt").write_text("Cats sleep most of the day and purr when content.\n", encoding="utf-8")
    (docs / "tax.txt").write_text("Income tax returns are due at the end of April.\n", encoding="utf-8")
    library = tmp_path / "lib.sqlite"
    with Library(path=library) as lib:
        lib.add_folder(docs)
        lib.indexer.index()
        assert lib.versions.encoder().precision == "int8" and lib.versions.encoder().runtime == runtime
        assert lib.versions.vector_precisions() == {f"int8-{runtime}": 2}
    probe = ("import sys, json; from app.cli import main; code = main(sys.argv[1:]); "
             "print(json.dumps({'torch': 'torch' in sys.modules, 'transformers': 'transformers' in sys.modules,"
             " 'nncf': 'nncf' in sys.modules, 'onnxruntime': 'onnxruntime' in sys.modules,"
             " 'openvino': 'openvino' in sys.modules}), file=sys.stderr); sys.exit(code)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for mode, loads_model in (("dense", True), ("keyword", False)):
        run = subprocess.run([sys.executable, "-c", probe, "--library", str(library), "search",
                              "--mode", mode, "-k", "1", "--json", "sleeping cats"],
                             capture_output=True, text=True, env=env, timeout=120)
        assert run.returncode == 0, run.stderr
        modules = json.loads(run.stderr.strip().splitlines()[-1])
        assert "cats.txt" in run.stdout
        assert modules == {"torch": False, "transformers": False, "nncf": False,
                           "onnxruntime": loads_model and runtime == "onnxruntime",
                           "openvino": loads_model and runtime == "openvino"}, mode


# -- export, cache and fallback (the tiny model: what it means does not matter) ---------------
def test_export_is_cached_by_content_and_reused_from_a_moved_folder(tiny_model_dir, use_fast, tmp_path):
    from core.encoder.onnx_backend import OnnxEncoder

    first = load_encoder(tiny_model_dir, spec=LENIENT)
    assert isinstance(first, OnnxEncoder) and first.precision == "int8"
    moved = tmp_path / "elsewhere" / "model"
    shutil.copytree(tiny_model_dir, moved)
    again = load_encoder(moved, spec=IMPOSSIBLE)       # no new export, so no new gate
    assert isinstance(again, OnnxEncoder)
    assert again.folder == first.folder
    texts = ["one text", "another, somewhat longer text than the first"]
    assert np.allclose(first.encode(texts), again.encode(texts))


def test_a_model_failing_its_gate_falls_back_to_fp32_with_a_message(tiny_model_dir, use_fast, tmp_path):
    from core.encoder.model import SentenceEncoder

    model = tmp_path / "tiny-copy"
    shutil.copytree(tiny_model_dir, model)
    (model / "note.json").write_text("{}", encoding="utf-8")    # other content, other export
    told: list[str] = []
    enc = load_encoder(model, spec=IMPOSSIBLE, notify=told.append)
    assert isinstance(enc, SentenceEncoder) and enc.precision == "fp32"
    assert told and "did not pass its quality gate" in told[0] and "fp32" in told[0]
    told.clear()
    assert isinstance(load_encoder(model, notify=told.append), SentenceEncoder)   # verdict kept
    assert told and "did not pass" in told[0]


def test_fp32_setting_and_environment_choose_the_torch_encoder(tiny_model_dir, use_fast, monkeypatch):
    from core.encoder.model import SentenceEncoder

    assert load_encoder(tiny_model_dir, precision="auto", spec=LENIENT).precision == "int8"
    monkeypatch.setenv("LIKEWISE_PRECISION", "fp32")
    assert isinstance(load_encoder(tiny_model_dir, spec=LENIENT), SentenceEncoder)
    monkeypatch.delenv("LIKEWISE_PRECISION")
    assert isinstance(load_encoder(tiny_model_dir, precision="fp32"), SentenceEncoder)


def test_a_library_reopened_loads_its_encoder_without_hashing_the_model_again(tiny_model_dir, use_fast,
                                                                             tmp_path, monkeypatch):
    """The library keeps each model's content hash with a stamp of its files; while the
    stamp holds, loading the encoder (each CLI search, each window start) reads no weights
    to find its export (hashing the bundled model took ~50 ms of a 0.6 s search)."""
    from core.encoder import precision
    from core.library import Library

    shutil.copytree(tiny_model_dir, tmp_path / "model")
    model = tmp_path / "model"
    with Library(path=tmp_path / "lib.sqlite", model_path=model) as lib:
        first = lib.versions.encoder()
    hashed: list[Path] = []
    real_hash = precision.content_hash
    monkeypatch.setattr(precision, "content_hash", lambda folder: hashed.append(Path(folder)) or real_hash(folder))
    with Library(path=tmp_path / "lib.sqlite", model_path=model) as lib:
        again = lib.versions.encoder()
    assert hashed == [] and type(again) is type(first) and again.precision == first.precision
    (model / "config.json").write_text((model / "config.json").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with Library(path=tmp_path / "lib.sqlite", model_path=model) as lib:
        lib.versions.encoder()
    assert hashed and {p.resolve() for p in hashed} == {model.resolve()}    # a changed file: hashed again
