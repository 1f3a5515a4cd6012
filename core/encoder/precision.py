"""Which encoder serves a model: the fast int8 export on a CPU, or the fp32 torch encoder.

The precision comes from a setting ("auto", "int8", "fp32"); the environment variable
LIKEWISE_PRECISION overrides it. "auto" and "int8" use the fast path where torch would
run on the CPU and the model's export passes its gates (core.encoder.gates); otherwise,
and always for "fp32", the torch encoder serves (exact vectors; CUDA/MPS; training).

Exports are cached by the model's content hash (core.model_identity): first in a
folder bundled with the application (LIKEWISE_FAST_BUNDLED, or fast-models/ beside a
frozen executable), then in <user data>/fast-models (LIKEWISE_FAST_CACHE overrides it).
A model whose export failed its gate is remembered there too, so it is not exported again
at every start; its fp32 encoder serves, with a message.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.addon import require_torch
from core.encoder.onnx_backend import FORMAT, MANIFEST, OnnxEncoder, read_manifest, runtimes_of
from core.errors import ModelError
from core.model_identity import content_hash
from core.types import Encoder

PRECISION_ENV = "LIKEWISE_PRECISION"
CACHE_ENV = "LIKEWISE_FAST_CACHE"
BUNDLED_ENV = "LIKEWISE_FAST_BUNDLED"
PRECISIONS = ("auto", "int8", "fp32")
GATE_FILE = "gate.json"

Notify = Callable[[str], Any]


@dataclass
class BuildResult:
    folder: Path
    passed: bool
    report: Any = None     # the GateReport of the first runtime gated (ONNX Runtime)
    error: str | None = None
    reports: dict[str, Any] = field(default_factory=dict)   # runtime -> GateReport

    def describe(self) -> str:
        if self.error:
            return f"fast path unavailable: {self.error}"
        gates = "; ".join(f"{runtime}: {report.describe()}" for runtime, report in self.reports.items())
        return f"int8 export in {self.folder}: {gates or self.report.describe()}"


def requested_precision(setting: str | None) -> str:
    wanted = (os.environ.get(PRECISION_ENV, "").strip().lower() or (setting or "auto").strip().lower())
    if wanted not in PRECISIONS:
        raise ModelError(f"unknown precision {wanted!r}; choose one of {', '.join(PRECISIONS)}")
    return wanted


def cache_dir() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    from core.paths import data_dir

    return data_dir() / "fast-models"


def compiled_dir() -> Path:
    """Where OpenVINO keeps its compiled models (a cache: deleting it costs ~0.5 s once)."""
    return cache_dir() / "compiled"


def bundled_dirs() -> list[Path]:
    dirs = []
    if os.environ.get(BUNDLED_ENV):
        dirs.append(Path(os.environ[BUNDLED_ENV]))
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        dirs.append(Path(frozen) / "fast-models")
    return dirs


def torch_would_use_cpu(device: str | None) -> bool:
    """Whether the torch encoder would run on the CPU, answered without importing torch
    when that is possible: a CPU-only build of torch (no CUDA in torch/version.py) on a
    machine without Apple Metal cannot use anything else."""
    wanted = (os.environ.get("LIKEWISE_DEVICE", "").strip().lower() or (device or "auto").strip().lower())
    if wanted == "cpu":
        return True
    if wanted != "auto":
        return False
    if sys.platform == "darwin":
        import platform

        if platform.machine() == "arm64":
            return False   # MPS: let torch decide
    if _cpu_only_torch():
        return True
    from core.encoder.device import cuda_available, mps_available

    return not (cuda_available() or mps_available())


def _cpu_only_torch() -> bool:
    import importlib.util

    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):   # torch blocked or broken: it cannot use a GPU either
        return True
    if spec is None or not spec.submodule_search_locations:
        return True
    version = Path(next(iter(spec.submodule_search_locations))) / "version.py"
    try:
        text = version.read_text(encoding="utf-8")
    except OSError:
        return False
    none = {line.split("=")[0].split(":")[0].strip() for line in text.splitlines()
            if line.replace(" ", "").endswith("=None")}
    return {"cuda", "hip", "xpu"} <= none


def find_export(source_hash: str) -> Path | None:
    """The cached export (passed or failed) of a model content hash, or None. An export
    in an older format is not found: it is made again in the current one."""
    for base in [*bundled_dirs(), cache_dir()]:
        folder = base / source_hash
        if (folder / GATE_FILE).is_file() and not _older_format(folder):
            return folder
    return None


def _older_format(folder: Path) -> bool:
    try:
        return read_manifest(folder).get("format") != FORMAT
    except ModelError:
        return False   # no manifest: an export that failed before it was written


Stage = Callable[[str, int, int], None]     # (what is being done, step, of steps)


def _step(stage: Stage | None, text: str, step: int, total: int) -> None:
    if stage is not None:
        try:
            stage(text, step, total)
        except Exception:  # noqa: BLE001 - a display never stops the export
            pass


def will_export(model_dir: Path | str, device: str | None = "auto", precision: str | None = "auto") -> bool:
    """Whether serving ``model_dir`` first makes its int8 export (about a minute and a
    half on a laptop's CPU): a CPU is used, int8 is wanted and no export is cached."""
    folder = Path(model_dir).expanduser()
    if requested_precision(precision) == "fp32" or not torch_would_use_cpu(device) or not folder.is_dir():
        return False
    return find_export(content_hash(folder)) is None


def build_checked(model_dir: Path, out_dir: Path, reference: Any = None, spec: Any = None,
                  source_hash: str = "", stage: Stage | None = None) -> BuildResult:
    """Export ``model_dir`` to ``out_dir``, run the shipped gate on each runtime's model,
    record the verdicts. A runtime whose model fails keeps only its verdict (gate.json),
    and the manifest lists only the runtimes that passed."""
    from core.encoder.export import export_fast_model
    from core.encoder.gates import shipped_gate

    ref = reference if reference is not None else _fp32(model_dir, "cpu", export_reason(model_dir))
    steps = 4          # the reference, the export, a check per runtime (two, usually)
    _step(stage, "making the int8 model (quantizing for this CPU)", 2, steps)
    try:
        export_fast_model(model_dir, out_dir, ref, source_hash)
        manifest = read_manifest(out_dir)
    except (ImportError, ModelError, OSError, RuntimeError, ValueError) as exc:
        _write_gate(out_dir, {"passed": False, "error": str(exc)})
        return BuildResult(out_dir, False, error=f"{type(exc).__name__}: {exc}")
    verdicts: dict[str, dict] = {}
    reports: dict[str, Any] = {}
    kept: dict[str, str] = {}
    runtimes = runtimes_of(manifest)
    steps = 2 + len(runtimes)
    for i, (runtime, model_file) in enumerate(runtimes.items()):
        _step(stage, f"checking the int8 model against the original ({runtime})", 3 + i, steps)
        try:
            report = shipped_gate(OnnxEncoder(out_dir, path=model_dir, runtime=runtime), ref, spec)
        except (ImportError, ModelError, OSError, RuntimeError, ValueError) as exc:
            verdicts[runtime] = {"passed": False, "error": f"{type(exc).__name__}: {exc}"}
        else:
            reports[runtime] = report
            verdicts[runtime] = {"passed": report.passed, "gate": report.as_dict()}
        if verdicts[runtime]["passed"]:
            kept[runtime] = model_file
        else:
            for name in _model_files(model_file):
                (out_dir / name).unlink(missing_ok=True)
    manifest["runtimes"] = kept
    _write_json(out_dir / MANIFEST, manifest)
    first = next(iter(reports.values()), None)
    verdict: dict[str, Any] = {"passed": bool(kept), "runtimes": verdicts}
    if first is not None:
        verdict["gate"] = first.as_dict()
    else:
        verdict["error"] = "; ".join(f"{r}: {v.get('error')}" for r, v in verdicts.items())
    _write_gate(out_dir, verdict)
    return BuildResult(out_dir, bool(kept), first, None if first is not None else verdict["error"], reports)


def _model_files(model_file: str) -> list[str]:
    """The files of one runtime's model: an OpenVINO IR keeps its weights beside its graph."""
    path = Path(model_file)
    return [path.name, path.with_suffix(".bin").name] if path.suffix == ".xml" else [path.name]


def _write_gate(folder: Path, verdict: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _write_json(folder / GATE_FILE, verdict)


def _write_json(target: Path, data: dict) -> None:
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)


def gate_verdict(folder: Path) -> dict:
    try:
        return json.loads((folder / GATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"passed": False, "error": "unreadable gate verdict"}


def load_encoder(model_dir: Path | str, device: str | None = "auto", precision: str | None = "auto",
                 notify: Notify | None = None, spec: Any = None, stage: Stage | None = None,
                 digest: str | None = None) -> Encoder:
    """The encoder that serves ``model_dir``: an OnnxEncoder (int8) or a SentenceEncoder.

    Making a missing export (first use of a model) needs torch and takes some seconds;
    a cached export that passed its gate loads without importing torch. ``digest``: the
    folder's content hash when the caller knows it (else it is computed)."""
    model_dir = Path(model_dir).expanduser()
    wanted = requested_precision(precision)
    if wanted == "fp32" or not torch_would_use_cpu(device):
        return _fp32(model_dir, device)
    if not model_dir.is_dir():
        raise ModelError(f"model folder not found: {model_dir}")
    key = digest or content_hash(model_dir)
    folder = find_export(key)
    if folder is not None:
        verdict = gate_verdict(folder)
        if verdict.get("passed") and (folder / MANIFEST).is_file():
            try:
                return OnnxEncoder(folder, name=_name(folder), path=model_dir, compile_cache=compiled_dir())
            except (ImportError, ModelError) as exc:
                _tell(notify, f"The fast (int8) encoder could not be loaded ({exc}); using fp32.")
                return _fp32(model_dir, device)
        _tell(notify, _failed_message(verdict))
        return _fp32(model_dir, device)
    _step(stage, "loading the original model", 1, 4)
    ref = _fp32(model_dir, "cpu", export_reason(model_dir))
    result = build_checked(model_dir, cache_dir() / key, ref, spec, key, stage=stage)
    if not result.passed:
        _tell(notify, _failed_message(gate_verdict(result.folder)))
        return ref if (device or "auto") in ("auto", "cpu") else _fp32(model_dir, device)
    return OnnxEncoder(result.folder, name=ref.name, path=model_dir, compile_cache=compiled_dir())


def _fp32(model_dir: Path, device: str | None, why: str | None = None) -> Encoder:
    """The torch encoder; without torch (the base download) the add-on's message says
    ``why`` it was wanted (fp32, a GPU, making a new model's int8 export)."""
    require_torch(why or _fp32_reason(device))
    from core.encoder.model import SentenceEncoder

    return SentenceEncoder.load(model_dir, device=device or "auto")


def load_fp32(model_dir: Path | str, device: str | None = "auto", why: str | None = None) -> Encoder:
    """The fp32 torch encoder of ``model_dir``, or the add-on's message without torch."""
    return _fp32(Path(model_dir).expanduser(), device, why)


def _fp32_reason(device: str | None) -> str:
    wanted = (os.environ.get("LIKEWISE_DEVICE", "").strip().lower() or (device or "auto").strip().lower())
    if wanted in ("cuda", "mps"):
        return f"Encoding on the GPU ({wanted})"
    return "Encoding at fp32 precision"


def export_reason(model_dir: Path) -> str:
    return f"Making the int8 encoder of the model {model_dir.name!r} (a new or fine-tuned model)"


def _name(folder: Path) -> str:
    return str(read_manifest(folder).get("name") or "model")


def _failed_message(verdict: dict) -> str:
    if verdict.get("error"):
        why = verdict["error"]
    else:
        from core.encoder.gates import GateReport

        why = GateReport(**verdict["gate"]).describe()
    return f"The fast (int8) encoder did not pass its quality gate ({why}); encoding in fp32."


def _tell(notify: Notify | None, message: str) -> None:
    import logging

    logging.getLogger("likewise.encoder").warning("%s", message)
    if notify is not None:
        notify(message)


def main(argv: list[str] | None = None) -> int:
    """Export, check the gates, and keep the export only when it passes them."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m core.encoder.precision MODEL_DIR BASE_DIR", file=sys.stderr)
        return 2
    key = content_hash(Path(args[0]))
    result = build_checked(Path(args[0]), Path(args[1]) / key, source_hash=key)
    print(result.describe())
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
