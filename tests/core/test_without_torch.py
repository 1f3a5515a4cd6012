"""The base download carries no torch (issue 31): with `import torch` failing, the real
code indexes, searches (hybrid, meaning, keywords), mines and finds files alike on the
bundled model's int8 export, and what needs torch names the training add-on instead of
a traceback. (The export itself is made beforehand, with torch, as `make bundle` does.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.no_torch import BLOCK_TORCH

ROOT = Path(__file__).resolve().parents[2]

# A meta-path blocker, as the base bundle is: torch and what only torch needs.
SCRIPT = BLOCK_TORCH + r'''
import contextlib, io, json, sys
from app.cli import main

docs = sys.argv[1]
out = {}


def run(name, *argv):
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            rc = main(list(argv))
        except SystemExit as exc:
            rc = exc.code
    out[name] = {"rc": rc, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}


run("add", "add-folder", docs)
run("hybrid", "search", "when does the harbour master publish the tides", "-k", "3", "--json")
run("meaning", "search", "a feline napping in warm light", "--mode", "meaning", "-k", "3", "--json")
run("keyword", "search", "rainfall", "--mode", "keyword", "-k", "3", "--json")
run("mine", "similar-paragraphs", "--json")
run("similar", "similar", docs + "/tides.txt", "-k", "2", "--json")
run("encode", "encode", "a short sentence")
run("doctor", "doctor", "--json")
run("labels", "labels", "import", sys.argv[2])
run("train", "train", "--epochs", "1")
import os
os.environ.pop("LIKEWISE_PRECISION", None)   # (the environment overrides --precision)
run("fp32", "--precision", "fp32", "encode", "a short sentence")
run("cuda", "--device", "cuda", "encode", "a short sentence")
out["loaded"] = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print(json.dumps(out))
'''


def _run_without_torch(tmp_path: Path, env_extra: dict[str, str]) -> dict:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tides.txt").write_text(
        "The harbour master posts the tide tables every Monday morning.\n\n"
        "Ferries leave an hour after high water.\n", encoding="utf-8")
    (docs / "cats.txt").write_text(
        "Our cat sleeps in the sun all afternoon, curled up on the windowsill.\n", encoding="utf-8")
    (docs / "rain.txt").write_text(
        "Rainfall in the mountains feeds the river through the spring.\n", encoding="utf-8")
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("sentence1,sentence2,label\nTide tables,High water times,1\nTide tables,Cats,0\n",
                     encoding="utf-8")
    env = {**os.environ, **env_extra, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(docs), str(pairs)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _top(out: dict, name: str) -> str:
    hits = json.loads(out[name]["stdout"])
    assert hits, out[name]
    return Path(hits[0]["path"]).name


def test_index_search_and_mine_without_torch_and_training_names_the_addon(tmp_path, shipped_encoder,
                                                                           shipped_fast_cache):
    from core.addon import addon_file_name

    out = _run_without_torch(tmp_path, {"LIKEWISE_PRECISION": "auto",
                                        "LIKEWISE_FAST_CACHE": str(shipped_fast_cache)})
    assert out["loaded"] == [], out["loaded"]
    assert out["add"]["rc"] == 0, out["add"]
    assert _top(out, "hybrid") == "tides.txt"
    assert _top(out, "meaning") == "cats.txt"
    assert _top(out, "keyword") == "rain.txt"
    assert out["mine"]["rc"] == 0, out["mine"]
    assert out["similar"]["rc"] == 0, out["similar"]
    encoded = json.loads(out["encode"]["stdout"])
    assert encoded["precision"] == "int8", encoded
    doctor = json.loads(out["doctor"]["stdout"])
    assert doctor["torch"]["ok"] and doctor["torch"]["installed"] is False, doctor["torch"]
    assert doctor["model"]["ok"], doctor["model"]
    assert out["labels"]["rc"] == 0, out["labels"]
    words = f"needs the Likewise training add-on ({addon_file_name()}): likewise addon install FILE"
    for name in ("train", "fp32", "cuda"):
        result = out[name]
        assert result["rc"] == 2, (name, result)     # as other user errors
        assert words in result["stderr"], (name, result["stderr"])
        assert "Traceback" not in result["stderr"], result["stderr"]
    assert out["train"]["stderr"].startswith("Not in this download: Fine-tuning needs"), out["train"]
    assert "GPU (cuda)" in out["cuda"]["stderr"] and "fp32" in out["fp32"]["stderr"]


def test_a_model_without_an_export_names_the_addon_without_torch(tmp_path, tiny_model_dir):
    """A model whose int8 export is still to be made (a fine-tuned one, a folder of the
    user's) cannot be exported without torch: the library says so, in words."""
    out = _run_without_torch(tmp_path, {"LIKEWISE_PRECISION": "auto", "LIKEWISE_MODEL": str(tiny_model_dir),
                                        "LIKEWISE_FAST_CACHE": str(tmp_path / "empty-cache")})
    assert out["add"]["rc"] == 2, out["add"]
    assert "Making the int8 encoder of the model" in out["add"]["stderr"], out["add"]["stderr"]
    assert "likewise addon install FILE" in out["add"]["stderr"]
    assert "Traceback" not in out["add"]["stderr"]
