"""Opening a document in the system's viewer (at a page where the viewer allows it)
and revealing it in the file manager. The command is chosen by pure functions so it
can be tested on any platform; launching is one detached process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from core.members import member_file
from core.pathnames import from_db, is_clean, is_member, split_member, to_db

Which = Callable[[str], str | None]

# Linux/BSD PDF viewers that take a page on the command line, in order of preference.
_PAGE_VIEWERS: list[tuple[str, Callable[[str, int], list[str]]]] = [
    ("evince", lambda p, n: ["evince", f"--page-label={n}", p]),
    ("okular", lambda p, n: ["okular", "--page", str(n), p]),
    ("zathura", lambda p, n: ["zathura", "--page", str(n), p]),
    ("xreader", lambda p, n: ["xreader", f"--page-label={n}", p]),
    ("atril", lambda p, n: ["atril", f"--page-label={n}", p]),
    ("qpdfview", lambda p, n: ["qpdfview", f"{p}#{n}"]),
]
_BROWSERS = ("firefox", "chromium", "chromium-browser", "google-chrome", "microsoft-edge")
_SUMATRA_DIRS = ("SumatraPDF", os.path.join("Programs", "SumatraPDF"))


def _sumatra(which: Which) -> str | None:
    found = which("SumatraPDF") or which("SumatraPDF.exe")
    if found:
        return found
    for env in ("LOCALAPPDATA", "ProgramFiles", "ProgramFiles(x86)"):
        base = os.environ.get(env)
        for sub in _SUMATRA_DIRS:
            if base and os.path.isfile(os.path.join(base, sub, "SumatraPDF.exe")):
                return os.path.join(base, sub, "SumatraPDF.exe")
    return None


def open_at_page_command(
    path: str, page: int | None, platform: str = sys.platform, which: Which = shutil.which
) -> list[str] | None:
    """A command that opens ``path`` at ``page``, or None when no viewer here can
    (the caller then opens the file with the system's default application)."""
    if page is None or Path(path).suffix.lower() != ".pdf":
        return None
    if platform.startswith("win"):
        exe = _sumatra(which)
        return [exe, "-page", str(page), path] if exe else None
    if platform == "darwin":
        return None  # Preview takes no page argument
    for name, build in _PAGE_VIEWERS:
        if which(name):
            return build(path, page)
    for name in _BROWSERS:
        if which(name):
            return [name, Path(path).resolve().as_uri() + f"#page={page}"]
    return None


def reveal_command(path: str, platform: str = sys.platform, which: Which = shutil.which) -> list[str]:
    """A command that shows ``path`` selected in the file manager (or its folder)."""
    if platform.startswith("win"):
        return ["explorer", f"/select,{os.path.normpath(path)}"]
    if platform == "darwin":
        return ["open", "-R", path]
    for name in ("nautilus", "dolphin", "caja"):
        if which(name):
            return [name, "--select", path]
    if which("nemo"):
        return ["nemo", path]
    if which("dbus-send"):
        return [
            "dbus-send", "--session", "--dest=org.freedesktop.FileManager1", "--type=method_call",
            "/org/freedesktop/FileManager1", "org.freedesktop.FileManager1.ShowItems",
            f"array:string:{Path(path).resolve().as_uri()}", "string:",
        ]
    return ["xdg-open", str(Path(path).parent)]


def launch(cmd: list[str]) -> bool:
    """Start ``cmd`` detached; False when it could not be started."""
    try:
        kwargs: dict = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                        "stderr": subprocess.DEVNULL, "close_fds": True}
        if sys.platform.startswith("win"):
            kwargs["creationflags"] = getattr(subprocess, "DETACHED_PROCESS", 0)
        else:
            kwargs["start_new_session"] = True
        subprocess.Popen(cmd, **kwargs)  # noqa: S603 - a fixed viewer command
        return True
    except OSError:
        return False


def why_not_opened(
    path: str, page: int | None, cmd: list[str] | None, platform: str = sys.platform, which: Which = shutil.which,
) -> str:
    """Why ``path`` could not be opened, in words (after open_document said False)."""
    if not os.path.exists(path):
        return "the file is no longer there (moved or deleted?)"
    if cmd:
        return f"the viewer command failed to start: {' '.join(cmd[:1])}"
    suffix = Path(path).suffix
    kind = "PDF viewer" if suffix.lower() == ".pdf" else f"application for {suffix or 'this file'}"
    if platform.startswith("win") or platform == "darwin":
        return f"the system has no {kind} set up to open it"
    if not which("xdg-open"):
        names = ", ".join(n for n, _ in _PAGE_VIEWERS[:3])
        return f"no {kind} is installed (none of {names}, and no xdg-open)"
    return f"the desktop has no {kind} for it (xdg-open found none; install evince or okular)"


def open_document_why(path: str, page: int | None = None) -> str | None:
    """Open ``path`` (at ``page`` where a viewer allows it): None when it opened, else
    the reason it did not, in words. A document inside a container (a member of an
    archive, a message of an mbox, an attachment) is copied alone to a private folder
    first (core/members.py) and opened from there."""
    if is_member(path):
        try:
            path = to_db(member_file(path))
        except Exception as exc:  # noqa: BLE001 - told to the person, never raised in the UI
            return f"it could not be taken out of its container ({exc})"
    real = from_db(path)
    if not os.path.exists(real):
        return why_not_opened(real, page, None)
    cmd = open_at_page_command(real, page)
    if cmd and launch(cmd):
        return None
    if open_document(path, page, tried=True):
        return None
    return why_not_opened(real, page, cmd)


def open_document(path: str, page: int | None = None, tried: bool = False) -> bool:
    """Open ``path`` (at ``page`` where a viewer allows it). Returns False if nothing
    could open it (``tried``: the page viewer was tried already)."""
    path = from_db(path)
    if not os.path.exists(path):
        return False
    cmd = None if tried else open_at_page_command(path, page)
    if cmd and launch(cmd):
        return True
    if not is_clean(path) and not sys.platform.startswith("win"):
        # Qt cannot hold a name that is not valid text: hand the bytes to the desktop.
        return launch(["open" if sys.platform == "darwin" else "xdg-open", path])
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    return QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def reveal(path: str) -> bool:
    path = from_db(split_member(path)[0])     # a member: its container file
    target = path if os.path.exists(path) else str(Path(path).parent)
    return launch(reveal_command(target))
