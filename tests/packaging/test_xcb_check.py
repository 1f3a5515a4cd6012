"""The check of Qt's xcb platform plugin libraries, made by `likewise doctor` and before
the window starts on Linux: missing libraries are named with the command installing them."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from skip_policy import need_tool

from app.xcb_check import check_xcb, ldd_missing, linux_family

MISSING = ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]


@pytest.fixture
def fake_plugin(tmp_path):
    """A real shared library that needs one which is no longer there."""
    if not sys.platform.startswith("linux"):
        pytest.skip("needs Linux (ldd)")
    need_tool("ldd", "Debian: part of libc-bin")
    need_tool("cc", "Debian: apt-get install gcc")
    (tmp_path / "dep.c").write_text("int likewise_dep(void) { return 1; }\n")
    (tmp_path / "plugin.c").write_text("int likewise_dep(void);\nint f(void) { return likewise_dep(); }\n")
    cc = shutil.which("cc")
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(tmp_path / "liblikewise-absent.so.1"),
                    "-Wl,-soname,liblikewise-absent.so.1", str(tmp_path / "dep.c")], check=True)
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(tmp_path / "libqxcb.so"), str(tmp_path / "plugin.c"),
                    str(tmp_path / "liblikewise-absent.so.1")], check=True)
    (tmp_path / "liblikewise-absent.so.1").unlink()
    return tmp_path / "libqxcb.so"


def test_ldd_names_a_missing_dependency(fake_plugin):
    assert ldd_missing(fake_plugin) == ["liblikewise-absent.so.1"]
    check = check_xcb(plugin=fake_plugin, environ={}, platform="linux")
    assert not check.ok and check.missing == ["liblikewise-absent.so.1"]
    assert "liblikewise-absent.so.1" in check.message("debian")


@pytest.mark.parametrize("family, command", [
    ("debian", ["sudo apt-get install libxcb-icccm4 libxcb-keysyms1"]),
    ("fedora", ["sudo dnf install xcb-util-keysyms xcb-util-wm"]),
    ("unknown", ["sudo apt-get install libxcb-icccm4 libxcb-keysyms1",
                 "sudo dnf install xcb-util-keysyms xcb-util-wm"]),
])
def test_missing_libraries_are_named_with_the_install_command(tmp_path, family, command):
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"\x7fELF")
    check = check_xcb(plugin=plugin, resolver=lambda p: list(MISSING), environ={}, platform="linux")
    assert not check.ok
    assert check.install_commands(family) == command
    text = check.message(family)
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in text and all(c in text for c in command)


def test_not_checked_off_linux_or_on_another_qt_platform(tmp_path):
    def boom(_):
        raise AssertionError("must not look")

    assert check_xcb(resolver=boom, environ={}, platform="darwin").ok
    offscreen = check_xcb(resolver=boom, environ={"QT_QPA_PLATFORM": "offscreen"}, platform="linux")
    assert offscreen.ok and not offscreen.needed
    assert not check_xcb(plugin=tmp_path / "none.so", environ={"QT_QPA_PLATFORM": "xcb"},
                         platform="linux").ok


def test_linux_family_from_os_release(tmp_path):
    release = tmp_path / "os-release"
    for text, family in (('ID=ubuntu\nID_LIKE=debian\n', "debian"), ('ID="fedora"\n', "fedora"),
                         ('ID=rocky\nID_LIKE="rhel centos fedora"\n', "fedora"), ("ID=arch\n", "unknown")):
        release.write_text(text)
        assert linux_family(release) == family
    assert linux_family(tmp_path / "absent") == "unknown"


def _missing_libs(monkeypatch, tmp_path):
    import app.xcb_check as xcb

    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"\x7fELF")
    real = xcb.check_xcb
    monkeypatch.setattr(xcb, "check_xcb", lambda: real(plugin=plugin, resolver=lambda p: list(MISSING),
                                                       environ={}, platform="linux"))
    monkeypatch.setattr(xcb, "linux_family", lambda: "debian")


def test_window_start_names_missing_libraries_instead_of_aborting(monkeypatch, tmp_path, capsys):
    from app.gui.main import main

    _missing_libs(monkeypatch, tmp_path)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["--no-watch"]) == 1
    err = capsys.readouterr().err
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in err
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in err


def test_doctor_reports_the_missing_window_libraries(monkeypatch, tmp_path, capsys, tiny_model_dir):
    from app.cli import main

    _missing_libs(monkeypatch, tmp_path)
    assert main(["--model", str(tiny_model_dir), "--device", "cpu", "doctor"]) == 1
    out = capsys.readouterr().out
    assert "[PROBLEM] window" in out and "libxcb-keysyms.so.1" in out
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in out and "[ok] sqlite" in out
