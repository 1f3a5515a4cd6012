"""packaging/make_addon.py: which distributions the training add-on carries (torch's
and transformers' closure, less what the bundle already holds whole) and what of them it
leaves out."""

from __future__ import annotations

import importlib.util
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def make_addon():
    spec = importlib.util.spec_from_file_location("make_addon", ROOT / "packaging" / "make_addon.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_addon"] = module
    spec.loader.exec_module(module)
    return module


def test_the_closure_of_torch_holds_what_only_torch_needs(make_addon):
    pytest.importorskip("torch")
    names = {make_addon._canon(d.metadata["Name"]) for d in make_addon.closure(("torch", "transformers"))}
    assert {"torch", "transformers", "sympy", "mpmath", "networkx", "jinja2", "safetensors"} <= names
    assert not names & {"pip", "setuptools", "pyinstaller", "hf-xet", "sentence-transformers"}


def test_dead_weight_and_unused_architectures_are_left_out(make_addon):
    dead = make_addon._dead
    assert dead("torch/include/ATen/core.h") and dead("torch/lib/libc10.a") and dead("torch/test/x.py")
    assert not dead("torch/bin/torch_shm_manager") and not dead("torch/lib/libtorch_cpu.so")
    assert dead("transformers/models/llama/modeling_llama.py")
    assert not dead("transformers/models/llama/__init__.py")
    assert not dead("transformers/models/bert/modeling_bert.py")


def test_a_distribution_the_bundle_holds_whole_is_left_to_the_bundle(make_addon, tmp_path):
    dist = metadata.distribution("packaging")
    internal = tmp_path / "_internal"
    code = [f for f in make_addon._files(dist) if f.suffix == ".py" and "__pycache__" not in f.parts]
    for f in code:
        (internal / f).with_suffix(".pyc").parent.mkdir(parents=True, exist_ok=True)
        (internal / f).with_suffix(".pyc").write_bytes(b"")
    assert make_addon.whole_in_bundle(dist, internal)
    (internal / code[0]).with_suffix(".pyc").unlink()        # one module missing: the add-on carries it
    assert not make_addon.whole_in_bundle(dist, internal)


@pytest.mark.parametrize("writer", ["_tar_xz", "_tarfile_xz"])
def test_both_writers_make_an_archive_the_app_installs(make_addon, writer, tmp_path, monkeypatch):
    """Linux pipes tar into xz -T0; macOS and Windows, whose tar takes other options, write
    it with Python's tarfile. Either archive is what `likewise addon install` accepts."""
    import json
    import shutil

    from core import addon

    if writer == "_tar_xz" and not (sys.platform.startswith("linux") and shutil.which("xz")):
        pytest.skip("GNU tar and xz: Linux")
    folder = tmp_path / "addon"
    (folder / "likewise_fake_torch").mkdir(parents=True)
    (folder / "likewise_fake_torch" / "__init__.py").write_text("VALUE = 7\n", encoding="utf-8")
    (folder / addon.MANIFEST).write_text(json.dumps(addon.manifest_for_this_app()), encoding="utf-8")
    out = tmp_path / "addon.tar.xz"
    level = "1" if writer == "_tar_xz" else 1
    getattr(make_addon, writer)(folder, sorted(p.name for p in folder.iterdir()), out, level)
    monkeypatch.setenv("LIKEWISE_DATA_DIR", str(tmp_path / "data"))
    target = tmp_path / "installed"
    addon.install(out, target=target)
    assert (target / "likewise_fake_torch" / "__init__.py").read_text(encoding="utf-8") == "VALUE = 7\n"
