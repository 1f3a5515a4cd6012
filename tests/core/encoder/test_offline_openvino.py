"""Making a static int8 export (NNCF) and running it (OpenVINO) reach no network and leave
no telemetry behind: NNCF sends usage events unless it is told it runs in a CI
(core/offline.py). Run in a child process without pytest, which NNCF itself treats as
a reason to stay quiet. The quantization itself runs in a grandchild (core.encoder.
openvino_export), so the network is refused in every process through a sitecustomize
module on PYTHONPATH, which each Python imports as it starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

REFUSE = """
import os, socket

def refuse(*args, **kwargs):
    with open(os.environ["LIKEWISE_TEST_TRIED"], "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {repr(args[1:] or args)[:120]}\\n")
    raise OSError("no network here")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.getaddrinfo = refuse
"""

SCRIPT = """
import json, sys
from pathlib import Path
from core.encoder.gates import GateSpec
from core.encoder.onnx_backend import OnnxEncoder
from core.encoder.precision import build_checked
result = build_checked(Path(sys.argv[1]), Path(sys.argv[2]), spec=GateSpec(min_cosine=0.5, max_sts_drop=100.0))
vectors = OnnxEncoder(result.folder, runtime="openvino").encode(["a text"])
print(json.dumps({"gated": sorted(result.reports), "pytest": "pytest" in sys.modules,
                  "nncf_here": "nncf" in sys.modules, "dim": int(vectors.shape[1])}))
"""


def test_the_openvino_export_and_its_use_send_nothing(tmp_path, tiny_model_dir):
    home = tmp_path / "home"
    home.mkdir()
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(REFUSE, encoding="utf-8")
    tried = tmp_path / "tried.log"
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS", "TF_BUILD", "NNCF_CI")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), XDG_CONFIG_HOME=str(home / ".config"),
               PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]), LIKEWISE_TEST_TRIED=str(tried))
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(tiny_model_dir), str(tmp_path / "export")],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["gated"] == ["onnxruntime", "openvino"] and not report["pytest"]
    assert not report["nncf_here"]              # NNCF ran in its own process
    assert not tried.exists(), tried.read_text(encoding="utf-8")
    left = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    assert not [p for p in left if "intel" in p.lower() or "telemetry" in p.lower()], left
