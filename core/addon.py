"""The training add-on: torch, and what only torch needs, as a second download.

The base download (the packaged app) carries no torch: it indexes, searches and mines
with the int8 exports of its model (core/encoder/precision.py, onnx_backend.py). What
truly needs torch -- fine-tuning, fp32 precision, a GPU, making the int8 export of a new
or fine-tuned model -- asks for the add-on, a tar.xz of site-packages with a manifest:

    likewise-training-addon-<version>-<platform>.tar.xz
        addon.json          {"kind", "likewise", "python", "platform", "torch"}
        torch/ ...          the folder's contents, put on sys.path as they are

    torch_available()            is torch importable here (never imports it)
    require_torch("Fine-tuning") raises AddonMissingError with the one message
    install(FILE)                checks the manifest and every member, unpacks beside
                                 <data dir>/addons/training and renames into place
    activate()                   a frozen app puts the installed add-on folders on
                                 sys.path (packaging/launch_*.py, before torch is imported)

Outside a bundle (a venv with torch installed) activate() does nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import platform
import shutil
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from core import __version__
from core.errors import AddonMissingError, InvalidInputError

KIND = "likewise-training-addon"
MANIFEST = "addon.json"
FOLDER = "training"
_TEMP_PREFIX = ".training-"


def platform_tag() -> str:
    """linux-x86_64, macos-arm64, windows-amd64: the platform an add-on was built for."""
    system = {"linux": "linux", "darwin": "macos", "win32": "windows"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower() or "unknown"
    return f"{system}-{'x86_64' if machine in ('amd64', 'x64') and system != 'windows' else machine}"


def python_tag() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def addon_file_name(version: str = __version__) -> str:
    ext = "tar.xz"   # on every platform: install() reads it with tarfile
    return f"{KIND}-{version}-{platform_tag()}.{ext}"


def torch_available() -> bool:
    """Whether ``import torch`` would find torch (it is not imported here)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def missing_message(what: str = "Fine-tuning") -> str:
    return (f"{what} needs the Likewise training add-on ({addon_file_name()}): "
            "likewise addon install FILE")


def require_torch(what: str = "Fine-tuning") -> None:
    """Raise AddonMissingError, with the one message, when torch cannot be imported."""
    if not torch_available():
        raise AddonMissingError(missing_message(what))


# -- where it lies ---------------------------------------------------------------------
def user_addon_dir() -> Path:
    from core.paths import data_dir

    return data_dir() / "addons" / FOLDER


def addon_dirs() -> list[Path]:
    """The user's add-on, then <app folder>/addons/training in a packaged app (installed
    for every user of it)."""
    from core.paths import addon_roots

    return [root / FOLDER for root in addon_roots()]


def activate(frozen: bool | None = None) -> list[Path]:
    """Put each installed add-on that fits this app on sys.path (a frozen app only,
    unless ``frozen`` says otherwise). Returns the folders added."""
    if frozen is None:
        frozen = bool(getattr(sys, "frozen", False))
    if not frozen:
        return []
    added = []
    for folder in addon_dirs():
        try:
            fits = not problems(read_manifest(folder))
        except (OSError, ValueError, InvalidInputError):
            fits = False
        if fits and str(folder) not in sys.path:
            # Before the bundle's own folder: the add-on carries whole copies of the
            # packages torch shares with the bundle where the bundle holds only the
            # modules Likewise imports (packaging/make_addon.py), same versions.
            sys.path.insert(0, str(folder))
            added.append(folder)
    if added:
        importlib.invalidate_caches()
    return added


# -- the manifest ----------------------------------------------------------------------
def read_manifest(folder: Path) -> dict:
    return _parse(Path(folder, MANIFEST).read_bytes())


def _parse(raw: bytes) -> dict:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(f"the add-on's {MANIFEST} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInputError(f"the add-on's {MANIFEST} is not a JSON object")
    return data


def manifest_for_this_app(**extra: Any) -> dict:
    """What an add-on built for this very app says (the Makefile writes it)."""
    return {"kind": KIND, "likewise": __version__, "python": python_tag(), "platform": platform_tag(), **extra}


def problems(manifest: dict) -> list[str]:
    """Why an add-on does not fit this app, in words (empty: it fits)."""
    wanted = manifest_for_this_app()
    found = []
    if manifest.get("kind") != KIND:
        found.append(f"it is not a Likewise training add-on (kind {manifest.get('kind')!r})")
    for key, what in (("likewise", "Likewise"), ("python", "Python"), ("platform", "platform")):
        if key in wanted and manifest.get(key) != wanted[key]:
            found.append(f"it is for {what} {manifest.get(key)!r}, this app is {wanted[key]!r}")
    return found


# -- install, status, remove -----------------------------------------------------------
def _checked_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = tar.getmembers()
    for m in members:
        path = PurePosixPath(m.name)
        if m.name.startswith(("/", "\\")) or path.is_absolute() or ".." in path.parts or ":" in m.name:
            raise InvalidInputError(f"the add-on holds a member outside its folder: {m.name!r}")
        if not (m.isfile() or m.isdir()):
            raise InvalidInputError(f"the add-on holds a link or a device: {m.name!r}")
    return members


def _manifest_of(tar: tarfile.TarFile, members: list[tarfile.TarInfo]) -> dict:
    for m in members:
        if PurePosixPath(m.name) == PurePosixPath(MANIFEST) and m.isfile():
            fh = tar.extractfile(m)
            if fh is not None:
                return _parse(fh.read())
    raise InvalidInputError(f"this file is not a Likewise add-on: it has no {MANIFEST}")


def install(file: Path | str, target: Path | None = None,
            progress: Callable[[int, int], Any] | None = None) -> dict:
    """Check ``file`` (manifest, members) and unpack it as ``target`` (the user's add-on
    folder by default): unpacked into a temporary folder beside it, then renamed into
    place, so that a half-unpacked add-on is never seen. Returns its manifest."""
    source = Path(file).expanduser()
    target = Path(target) if target is not None else user_addon_dir()
    if not source.is_file():
        raise InvalidInputError(f"no such file: {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep(target.parent)
    try:
        tar = tarfile.open(source, "r:*")
    except (tarfile.TarError, OSError) as exc:
        raise InvalidInputError(f"{source.name} is not an add-on archive: {exc}") from exc
    tmp = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=target.parent))
    try:
        with tar:
            members = _checked_members(tar)
            manifest = _manifest_of(tar, members)
            wrong = problems(manifest)
            if wrong:
                raise InvalidInputError(f"{source.name} does not fit this Likewise: {'; '.join(wrong)}")
            for i, member in enumerate(members, 1):
                tar.extract(member, tmp, set_attrs=False, **_filter())
                if progress is not None and (i % 200 == 0 or i == len(members)):
                    progress(i, len(members))
        _replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    importlib.invalidate_caches()
    return manifest


def _filter() -> dict:
    return {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


def _replace(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``: an add-on already there is renamed aside first and
    deleted after, so ``target`` is always either the old whole add-on or the new one."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX + "old-", dir=target.parent))
        os.replace(target, old / FOLDER)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _sweep(parent: Path) -> None:
    """Temporary folders left by an install that was killed half-way."""
    for stale in parent.glob(_TEMP_PREFIX + "*"):
        shutil.rmtree(stale, ignore_errors=True)


def status() -> dict:
    """The installed add-ons, whether each fits, and whether torch is importable."""
    found = []
    for folder in addon_dirs():
        if not folder.is_dir():
            continue
        try:
            manifest = read_manifest(folder)
            wrong = problems(manifest)
        except (OSError, InvalidInputError) as exc:
            manifest, wrong = {}, [str(exc)]
        found.append({"path": str(folder), "manifest": manifest, "fits": not wrong, "problems": wrong,
                      "on_path": str(folder) in sys.path})
    return {"installed": found, "torch": torch_available(), "file": addon_file_name()}


def remove(target: Path | None = None) -> bool:
    """Remove the user's add-on (renamed aside first, then deleted). False: none was there."""
    target = Path(target) if target is not None else user_addon_dir()
    if not target.exists():
        return False
    aside = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX + "old-", dir=target.parent))
    os.replace(target, aside / FOLDER)
    shutil.rmtree(aside, ignore_errors=True)
    return True
