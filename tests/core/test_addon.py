"""The training add-on's installer and start-up (core/addon.py): a small fake add-on
(manifest + a tiny module) is unpacked atomically, a wrong one is refused, and the
start-up code of a frozen app puts its folder on sys.path."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from core import addon
from core.errors import AddonMissingError, InvalidInputError

ROOT = Path(__file__).resolve().parents[2]


def make_addon(path: Path, manifest: dict | None = None, extra: dict[str, bytes] | None = None,
               module: str = "likewise_fake_addon_mod") -> Path:
    files = {"addon.json": json.dumps(manifest if manifest is not None else addon.manifest_for_this_app(
                 torch="0.0-fake")).encode(),
             f"{module}/__init__.py": b"ANSWER = 42\n", **(extra or {})}
    with tarfile.open(path, "w:xz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_install_unpacks_beside_the_target_and_renames_it_into_place(tmp_path, monkeypatch):
    seen: list[list[str]] = []
    real_replace = os.replace

    def replace(src, dst):   # what lies beside the target at the moment of the rename
        seen.append(sorted(p.name for p in Path(dst).parent.iterdir()))
        assert (Path(src) / "addon.json").is_file() or Path(src).name == "training"
        real_replace(src, dst)

    monkeypatch.setattr(addon.os, "replace", replace)
    manifest = addon.install(make_addon(tmp_path / "a.tar.xz"))
    target = addon.user_addon_dir()
    assert manifest["torch"] == "0.0-fake"
    assert (target / "likewise_fake_addon_mod" / "__init__.py").read_text() == "ANSWER = 42\n"
    assert seen and all(not name.startswith("training") for name in seen[0])   # not there before
    assert [p.name for p in target.parent.iterdir()] == ["training"]           # no temp folder left
    # a second install replaces the first whole; the folder is never half of each
    make_addon(tmp_path / "b.tar.xz", module="likewise_fake_addon_two")
    addon.install(tmp_path / "b.tar.xz")
    assert sorted(p.name for p in target.iterdir()) == ["addon.json", "likewise_fake_addon_two"]
    assert [p.name for p in target.parent.iterdir()] == ["training"]
    assert addon.status()["installed"][0]["fits"]
    assert addon.remove() and not target.exists()


def test_an_interrupted_install_leaves_no_addon(tmp_path, monkeypatch):
    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(addon, "_replace", boom)
    with pytest.raises(OSError):
        addon.install(make_addon(tmp_path / "a.tar.xz"))
    assert not addon.user_addon_dir().exists()
    assert list(addon.user_addon_dir().parent.iterdir()) == []


@pytest.mark.parametrize("change, words", [
    ({"python": "2.7"}, "Python"),
    ({"platform": "plan9-mips"}, "platform"),
    ({"likewise": "0.0.1"}, "Likewise"),
    ({"kind": "something-else"}, "not a Likewise training add-on"),
])
def test_a_wrong_manifest_is_refused(tmp_path, change, words):
    manifest = {**addon.manifest_for_this_app(), **change}
    with pytest.raises(InvalidInputError, match=words):
        addon.install(make_addon(tmp_path / "a.tar.xz", manifest))
    assert not addon.user_addon_dir().exists()


@pytest.mark.parametrize("member", ["../escape.py", "/etc/evil.py", "torch/../../escape.py"])
def test_a_member_outside_the_folder_is_refused(tmp_path, member):
    with pytest.raises(InvalidInputError, match="outside its folder"):
        addon.install(make_addon(tmp_path / "a.tar.xz", extra={member: b"x = 1\n"}))
    assert not addon.user_addon_dir().exists()
    assert not (tmp_path / "escape.py").exists()


def test_a_file_without_manifest_is_refused(tmp_path):
    path = tmp_path / "a.tar.xz"
    with tarfile.open(path, "w:xz") as tar:
        info = tarfile.TarInfo("torch/__init__.py")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(InvalidInputError, match="addon.json"):
        addon.install(path)


def test_the_startup_code_puts_the_installed_addon_on_sys_path(tmp_path):
    addon.install(make_addon(tmp_path / "a.tar.xz"))
    code = ("import sys; from core.addon import activate; added = activate(frozen=True);"
            "import likewise_fake_addon_mod as m; print(added[0], m.ANSWER, m.__file__)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    folder, answer, where = proc.stdout.split()
    assert Path(folder) == addon.user_addon_dir() and answer == "42"
    assert Path(where).is_relative_to(addon.user_addon_dir())
    # outside a bundle nothing changes
    proc = subprocess.run([sys.executable, "-c", "from core.addon import activate; print(activate())"],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.strip() == "[]", proc.stderr


def test_the_launchers_activate_the_addon_before_anything_else():
    for launcher in ("launch_cli.py", "launch_gui.py"):
        text = (ROOT / "packaging" / launcher).read_text(encoding="utf-8")
        assert text.index("activate()") < text.index("from app."), launcher


def test_an_addon_that_does_not_fit_is_not_put_on_sys_path(tmp_path):
    addon.install(make_addon(tmp_path / "a.tar.xz"))
    manifest = addon.user_addon_dir() / "addon.json"
    manifest.write_text(json.dumps({**addon.manifest_for_this_app(), "python": "2.7"}))
    assert addon.activate(frozen=True) == []


def test_require_torch_names_the_addon_file_and_the_command(monkeypatch):
    monkeypatch.setattr(addon, "torch_available", lambda: False)
    with pytest.raises(AddonMissingError) as info:
        addon.require_torch("Fine-tuning")
    assert str(info.value) == (f"Fine-tuning needs the Likewise training add-on ({addon.addon_file_name()}): "
                               "likewise addon install FILE")
    assert addon.addon_file_name().startswith("likewise-training-addon-")
