"""`likewise encode`, `likewise doctor` and `likewise eval sts` errors, run in-process
with the tiny BERT (the STSb figure itself is checked in test_encoder.py)."""

from __future__ import annotations

import io
import json

import numpy as np

from app.cli import main
from core.encoder import SentenceEncoder


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_encode_arguments_to_json(capsys, tiny_model_dir):
    rc, out, err = _run(capsys, "--model", str(tiny_model_dir), "--device", "cpu", "encode", "one", "two words")
    assert rc == 0, err
    data = json.loads(out)
    assert data["dim"] == 32 and len(data["vectors"]) == 2
    expected = SentenceEncoder.load(tiny_model_dir, device="cpu").encode(["one", "two words"])
    assert np.abs(np.asarray(data["vectors"], dtype=np.float32) - expected).max() <= 1e-5


def test_encode_stdin_lines_to_npy(capsys, monkeypatch, tiny_model_dir, tmp_path):
    monkeypatch.setattr("sys.stdin", io.StringIO("first line\n\nthird line\n"))
    target = tmp_path / "out" / "v.npy"
    rc, _, err = _run(capsys, "--model", str(tiny_model_dir), "--device", "cpu", "encode", "--out", str(target))
    assert rc == 0, err
    vectors = np.load(target)
    assert vectors.shape == (3, 32) and vectors.dtype == np.float32
    assert "3 vectors" in err


def test_encode_rejects_a_non_npy_output(capsys, tiny_model_dir, tmp_path):
    rc, _, err = _run(capsys, "--model", str(tiny_model_dir), "encode", "x", "--out", str(tmp_path / "v.txt"))
    assert rc == 2 and ".npy" in err
    assert not (tmp_path / "v.txt").exists()


def test_encode_with_a_pickle_only_model_is_refused(capsys, tmp_path):
    import torch
    from safetensors.torch import load_file

    from tests.conftest import build_tiny_bert

    folder = build_tiny_bert(tmp_path / "pickled")
    torch.save(load_file(str(folder / "model.safetensors")), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    rc, _, err = _run(capsys, "--model", str(folder), "encode", "x")
    assert rc == 2 and "Refused model" in err and "safetensors" in err


def test_doctor_json(capsys, tiny_model_dir, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")   # this machine's X libraries do not matter
    rc, out, err = _run(capsys, "--model", str(tiny_model_dir), "--device", "cpu", "doctor", "--json")
    report = json.loads(out)
    assert rc == 0 and report["ok"], out + err
    assert report["model"]["dim"] == 32 and report["model"]["max_seq_length"] == 128
    assert report["torch"]["device"] == "cpu"
    assert report["sqlite"]["sqlite_vec"].startswith("v") and report["sqlite"]["fts5"]
    assert report["libraries"]["transformers"]
    assert report["window"]["ok"]
    assert report["office_programs"]["ok"] and "antiword" in report["office_programs"]


def test_doctor_reports_a_broken_model_and_fails(capsys, tmp_path):
    rc, out, _ = _run(capsys, "--model", str(tmp_path / "nowhere"), "doctor")
    assert rc == 1
    assert "[PROBLEM] model" in out and "[ok] sqlite" in out


def test_eval_sts_on_a_small_file_and_a_malformed_one(capsys, tiny_model_dir, shared_data, tmp_path):
    lines = (shared_data / "stsbenchmark" / "sts-dev.csv").read_text(encoding="utf-8").splitlines()[:40]
    small = tmp_path / "small.csv"
    small.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rc, out, err = _run(capsys, "--model", str(tiny_model_dir), "--device", "cpu",
                        "eval", "sts", "--data", str(small), "--json")
    assert rc == 0, err
    result = json.loads(out)
    assert result["pairs"] == 40 and -100 <= result["spearman_x100"] <= 100

    bad = tmp_path / "bad.csv"
    bad.write_text(lines[0] + "\nonly\ttwo fields\n", encoding="utf-8")
    rc, _, err = _run(capsys, "--model", str(tiny_model_dir), "eval", "sts", "--data", str(bad))
    assert rc == 2 and "bad.csv:2" in err


def test_batch_size_must_be_positive(capsys, tiny_model_dir):
    rc, _, err = _run(capsys, "--model", str(tiny_model_dir), "encode", "x", "--batch-size", "0")
    assert rc == 2 and "batch-size" in err
