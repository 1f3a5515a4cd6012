"""Model commands: encode, doctor, and `eval sts`."""

from __future__ import annotations

import json
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from app.commands.common import add_common, add_precision, print_json


def register(sub: Any) -> None:
    p = sub.add_parser("encode", help="encode texts into vectors (JSON on stdout, or a .npy file)")
    p.add_argument("texts", nargs="*", metavar="TEXT", help="texts to encode (default: one per line on stdin)")
    p.add_argument("--out", metavar="FILE.npy", help="write the vectors to this .npy file instead of JSON")
    p.add_argument("--batch-size", type=int, default=None, help="texts per batch (default: the setting, 32)")
    add_precision(p)
    p.set_defaults(func=cmd_encode)

    p = sub.add_parser("doctor", help="check Python, torch, the device, the model and SQLite")
    add_common(p)
    p.set_defaults(func=cmd_doctor)


def register_eval(evals: Any) -> None:
    p = evals.add_parser("sts", help="Spearman x100 of cosine vs gold scores on an STS Benchmark file")
    p.add_argument("--data", required=True, metavar="FILE", help="an STS Benchmark file (e.g. sts-test.csv)")
    p.add_argument("--split-name", default=None, help="a label for the output (default: the file name)")
    p.add_argument("--batch-size", type=int, default=None, help="texts per batch (default: the setting, 32)")
    add_precision(p)
    add_common(p)
    p.set_defaults(func=cmd_eval_sts)


# -- shared ---------------------------------------------------------------------------
def _settings(args: Any) -> Any:
    from core.settings import Settings

    settings = Settings.load()
    if getattr(args, "device", None):
        settings.device = args.device
    if getattr(args, "precision", None):
        settings.precision = args.precision
    return settings


def load_encoder(args: Any) -> Any:
    """The encoder of --model (or the settings' model, or the bundled one) on --device,
    at the default precision (the fast int8 path on a CPU where it passes its gate) or
    --precision fp32 (the exact torch vectors)."""
    from core.encoder.precision import load_encoder as load

    settings = _settings(args)
    path = Path(args.model) if getattr(args, "model", None) else settings.resolved_model_path()
    return load(path, device=settings.device, precision=settings.precision,
                notify=lambda message: print(message, file=sys.stderr))


def _batch_size(args: Any) -> int:
    from core.errors import InvalidInputError

    size = args.batch_size if args.batch_size is not None else _settings(args).batch_size
    if size < 1:
        raise InvalidInputError("--batch-size must be at least 1")
    return int(size)


class BatchProgress:
    """(done, total) progress on stderr, only when stderr is a terminal."""

    def __init__(self, label: str, stream: Any = None) -> None:
        from app.commands.bars import Bar

        self.label = label
        self.bar = Bar(label, unit="text", stream=stream)
        self.enabled = self.bar.tty

    def __call__(self, done: int, total: int) -> None:
        if self.enabled and total:
            self.bar.update(done, total)
            if done >= total:
                self.bar.close()


# -- encode -----------------------------------------------------------------------------
def _read_texts(args: Any) -> list[str]:
    if args.texts:
        return list(args.texts)
    if sys.stdin is None or (hasattr(sys.stdin, "isatty") and sys.stdin.isatty()):
        from core.errors import InvalidInputError

        raise InvalidInputError("give texts as arguments or pipe them on stdin, one per line")
    return sys.stdin.read().splitlines()


def cmd_encode(args: Any) -> int:
    import numpy as np

    texts = _read_texts(args)
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix != ".npy":
        from core.errors import InvalidInputError

        raise InvalidInputError(f"--out must name a .npy file, not {out.name}")
    enc = load_encoder(args)
    vectors = enc.encode(texts, batch_size=_batch_size(args), progress=BatchProgress("encoding"))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        np.save(out, vectors)
        print(f"Wrote {vectors.shape[0]} vectors of {vectors.shape[1]} dimensions to {out}", file=sys.stderr)
    else:
        print_json({
            "model": enc.name,
            "dim": enc.dim,
            "normalized": enc.normalizes,
            "precision": enc.precision,
            "runtime": getattr(enc, "runtime", "torch"),
            "vectors": vectors.tolist(),
        })
    return 0


# -- eval sts -------------------------------------------------------------------------------
def cmd_eval_sts(args: Any) -> int:
    from core.evaluation.sts import evaluate_sts, read_sts

    data = read_sts(args.data)
    enc = load_encoder(args)
    split = args.split_name or Path(args.data).stem
    progress = None if args.json else BatchProgress("encoding")
    result = evaluate_sts(enc, data, batch_size=_batch_size(args), progress=progress)
    if args.json:
        print_json({
            "benchmark": "sts", "split": split, "data": str(args.data), "model": enc.name,
            "pairs": result.pairs, "spearman_x100": round(result.spearman, 4),
            "pearson_x100": round(result.pearson, 4),
        })
    else:
        print(f"STS {split}: {result.pairs} pairs, model {enc.name}")
        print(f"Spearman x100 (cosine vs gold): {result.spearman:.2f}")
        print(f"Pearson x100 (cosine vs gold): {result.pearson:.2f}")
    return 0


# -- doctor --------------------------------------------------------------------------------
def _check(report: dict, key: str, fn: Any) -> None:
    try:
        report[key] = fn()
    except Exception as exc:  # noqa: BLE001  (the doctor reports every failure, it never stops)
        report[key] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def _python_info() -> dict:
    return {"ok": True, "version": platform.python_version(), "executable": sys.executable,
            "platform": platform.platform()}


def _torch_info(args: Any) -> dict:
    from core.addon import missing_message, torch_available

    if not torch_available():   # the base download: int8 encoders only (never a problem)
        return {"ok": True, "installed": False,
                "note": missing_message("Fine-tuning, fp32 precision or a GPU")}
    import torch

    from core.encoder.device import choose_device, cpu_cores, cuda_available, mps_available

    info: dict[str, Any] = {
        "ok": True, "version": torch.__version__, "cuda_build": torch.version.cuda,
        "cuda_available": cuda_available(), "mps_available": mps_available(), "cpu_cores": cpu_cores(),
    }
    if info["cuda_available"]:
        info["cuda_device"] = torch.cuda.get_device_name(0)
    choice = choose_device(_settings(args).device)
    info.update({"device": str(choice.device), "dtype": str(choice.dtype).replace("torch.", ""),
                 "device_requested": choice.requested, "device_source": choice.source,
                 "threads": torch.get_num_threads()})
    return info


def _libraries_info() -> dict:
    import importlib.util

    import tokenizers

    import core

    info = {"ok": True, "likewise": core.__version__, "tokenizers": tokenizers.__version__}
    try:
        found = importlib.util.find_spec("transformers") is not None
    except (ImportError, ValueError):
        found = False
    if found:   # the torch encoder's (the training add-on's in a packaged app)
        import transformers

        info["transformers"] = transformers.__version__
    else:
        info["transformers"] = "not installed (the training add-on brings it)"
    return info


def _office_programs_info() -> dict:
    """The optional programs that read Word/PowerPoint 97-2003 files (never a problem)."""
    from core.extract.legacy_office import PROGRAMS, install_hint

    out: dict[str, Any] = {"ok": True}
    for ext, programs in PROGRAMS.items():
        for program, _, package in programs:
            found = shutil.which(program)
            out[program] = found or f"not installed ({ext} files need it: {install_hint(package)})"
    return out


def _model_info(args: Any) -> dict:
    enc = load_encoder(args)
    return {"ok": True, "path": str(enc.path), "name": enc.name, "dim": enc.dim,
            "max_seq_length": enc.max_seq_length, "normalized": enc.normalizes, "device": str(enc.device),
            "precision": enc.precision, "runtime": getattr(enc, "runtime", "torch"),
            "modules": [type(m).__name__ for m in enc.children()] if hasattr(enc, "children") else
            ["onnx transformer", "pooling " + "+".join(enc.pooling)] + (["Normalize"] if enc.normalizes else [])}


def _sqlite_info() -> dict:
    import apsw

    from core.store.db import connect
    from core.store.rows import one_row

    with tempfile.TemporaryDirectory(prefix="likewise-doctor-") as tmp:
        conn = connect(Path(tmp) / "doctor.sqlite")
        try:
            vec = one_row(conn.execute("select vec_version()"))[0]
            conn.execute("CREATE VIRTUAL TABLE doctor_fts USING fts5(body)")
        finally:
            conn.close()
    return {"ok": True, "apsw": apsw.apsw_version(), "sqlite": apsw.sqlite_lib_version(),
            "sqlite_vec": vec, "fts5": True}


def _window_info() -> dict:
    """Whether Qt's xcb platform plugin finds its system libraries (Linux)."""
    from app.xcb_check import check_xcb

    check = check_xcb()
    if not check.needed:
        return {"ok": True, "xcb": check.note}
    info: dict[str, Any] = {"ok": check.ok, "plugin": str(check.plugin) if check.plugin else None}
    if check.note:
        info["note"] = check.note
    if check.missing:
        info["missing"] = check.missing
        info["install"] = check.install_commands()
    return info


def doctor_report(args: Any) -> dict:
    report: dict[str, Any] = {}
    _check(report, "python", _python_info)
    _check(report, "libraries", _libraries_info)
    _check(report, "torch", lambda: _torch_info(args))
    _check(report, "model", lambda: _model_info(args))
    _check(report, "sqlite", _sqlite_info)
    _check(report, "window", _window_info)
    _check(report, "office_programs", _office_programs_info)
    report["ok"] = all(part.get("ok", False) for part in report.values() if isinstance(part, dict))
    return report


def _print_doctor(report: dict) -> None:
    for section in ("python", "libraries", "torch", "model", "sqlite", "window", "office_programs"):
        part = report.get(section, {})
        mark = "ok" if part.get("ok") else "PROBLEM"
        print(f"[{mark}] {section}")
        for key, value in part.items():
            if key == "ok":
                continue
            shown = json.dumps(value) if isinstance(value, list | dict) else value
            print(f"    {key}: {shown}")
    print("All checks passed." if report["ok"] else "Some checks failed (see PROBLEM above).")


def cmd_doctor(args: Any) -> int:
    report = doctor_report(args)
    if args.json:
        print_json(report)
    else:
        _print_doctor(report)
    return 0 if report["ok"] else 1
