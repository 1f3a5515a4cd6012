"""Before Qt starts on Linux: are the system libraries of Qt's xcb platform plugin there?

Without them Qt aborts with a message that often names the wrong library ("could not
load the Qt platform plugin xcb ... libxcb-cursor0 is needed"). This check asks the
dynamic loader (``ldd``) which libraries the plugin and its Qt libraries cannot find, and
names the packages that provide them on Debian/Ubuntu and Fedora. It loads no Qt code.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# soname -> (Debian/Ubuntu package, Fedora package)
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libXau.so.6": ("libxau6", "libXau"),
    "libXdmcp.so.6": ("libxdmcp6", "libXdmcp"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libGLdispatch.so.0": ("libglvnd0", "libglvnd"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libpng16.so.16": ("libpng16-16", "libpng"),
    "libz.so.1": ("zlib1g", "zlib"),
    "libzstd.so.1": ("libzstd1", "libzstd"),
    "libexpat.so.1": ("libexpat1", "expat"),
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")
Resolver = Callable[[Path], list[str]]


@dataclass
class XcbCheck:
    needed: bool                      # False: not Linux, or Qt was told to use another platform
    plugin: Path | None = None
    missing: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def ok(self) -> bool:
        return not self.needed or (self.plugin is not None and not self.missing)

    def install_commands(self, distro: str | None = None) -> list[str]:
        """The commands that install what is missing, for this system's family (both
        when it is neither Debian-like nor Fedora-like)."""
        family = distro or linux_family()
        debian = sorted({PACKAGES.get(s, (s, s))[0] for s in self.missing})
        fedora = sorted({PACKAGES.get(s, (s, s))[1] for s in self.missing})
        commands = []
        if family in ("debian", "unknown"):
            commands.append("sudo apt-get install " + " ".join(debian))
        if family in ("fedora", "unknown"):
            commands.append("sudo dnf install " + " ".join(fedora))
        return commands

    def message(self, distro: str | None = None) -> str:
        """Words for a person, when the check failed."""
        if self.plugin is None:
            return f"Qt's xcb platform plugin was not found ({self.note})."
        lines = ["The window cannot open: Qt's xcb platform plugin needs system libraries that "
                 "are missing:", "  " + ", ".join(self.missing), "Install them with:"]
        lines += [f"  {c}" for c in self.install_commands(distro)]
        return "\n".join(lines)


def check_xcb(plugin: Path | None = None, resolver: Resolver | None = None,
              environ: dict | None = None, platform: str | None = None) -> XcbCheck:
    """Check the xcb plugin's libraries when the window would use xcb on Linux."""
    env = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux"):
        return XcbCheck(needed=False, note="not needed on this system")
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen and not chosen.startswith("xcb"):
        return XcbCheck(needed=False, note=f"not needed: QT_QPA_PLATFORM={chosen}")
    plugin = plugin or find_plugin()
    if plugin is None or not plugin.exists():
        return XcbCheck(needed=True, plugin=None, note="PySide6 has no platforms/libqxcb.so")
    try:
        missing = (resolver or ldd_missing)(plugin)
    except OSError as exc:
        return XcbCheck(needed=True, plugin=plugin, note=f"could not check ({exc})")
    return XcbCheck(needed=True, plugin=plugin, missing=missing)


def find_plugin() -> Path | None:
    """PySide6's libqxcb.so, found without importing any Qt module."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        candidate = Path(base) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if candidate.exists():
            return candidate
    return None


def ldd_missing(library: Path) -> list[str]:
    """The sonames the dynamic loader cannot find for ``library`` and everything it needs."""
    ldd = shutil.which("ldd")
    if ldd is None:
        raise OSError("ldd is not installed")
    done = subprocess.run([ldd, str(library)], capture_output=True, text=True, timeout=30)
    found = []
    for line in done.stdout.splitlines():
        m = _NOT_FOUND.match(line)
        if m and m.group(1) not in found:
            found.append(m.group(1))
    return found


def linux_family(os_release: Path = Path("/etc/os-release")) -> str:
    """debian, fedora or unknown, from ID and ID_LIKE."""
    try:
        text = os_release.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "unknown"
    ids: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids.update(value.strip().strip('"').split())
    if ids & {"debian", "ubuntu"}:
        return "debian"
    if ids & {"fedora", "rhel", "centos"}:
        return "fedora"
    return "unknown"
