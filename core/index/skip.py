"""Which paths the scanner and the watcher ignore: one rule for both."""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

from core.extract.mbox import looks_like_mbox
from core.types import CONTAINER_EXTENSIONS, SUPPORTED_EXTENSIONS

NO_EXTENSION = "(no extension)"

_TEMP_PATTERNS = (
    "~$*",          # Office owner/lock files
    ".~lock.*",     # LibreOffice lock files
    "*.part",       # partial downloads
    "*.crdownload",
    "*.download",
    "*.tmp",
    "*.temp",
    "*.swp",
    "*.swx",
    "*~",           # editor backups
    "#*#",
    ".#*",
)


_TEMP_RE = re.compile("|".join(fnmatch.translate(p) for p in _TEMP_PATTERNS))


def is_hidden_or_temp(name: str) -> bool:
    return name.startswith(".") or _TEMP_RE.match(name) is not None


def is_supported(path: Path | str) -> bool:
    """A type Likewise reads: by extension (a .gz only as .tar.gz), or an mbox without
    one, recognised by its content (Thunderbird's "Inbox")."""
    text = os.fspath(path)
    ext = os.path.splitext(text)[1].lower()
    if ext == ".gz":
        return text.lower().endswith(".tar.gz")
    if ext in SUPPORTED_EXTENSIONS:
        return True
    return not ext and looks_like_mbox(text)


def should_skip(path: Path | str, root: Path | str | None = None) -> bool:
    """True when ``path`` (or one of its folders below ``root``) is hidden or temporary,
    or when it is not a supported document type."""
    full = text = os.fspath(path)
    has_ext = bool(os.path.splitext(text)[1])
    if has_ext and not is_supported(text):
        return True
    if root is not None:
        base = os.fspath(root).rstrip(os.sep) + os.sep
        if text.startswith(base):
            text = text[len(base):]
    if any(is_hidden_or_temp(part) for part in text.split(os.sep) if part):
        return True
    return not has_ext and not looks_like_mbox(full)   # read only for a name without extension


def should_skip_dir(path: Path | str) -> bool:
    return is_hidden_or_temp(Path(path).name)


def unsupported_kind(name: str) -> str | None:
    """The extension under which a file Likewise does not read is listed ("not a
    supported type"), or None when it is read, or hidden or temporary (ignored silently).
    Mail and archives are read by their own readers and are never listed."""
    if is_hidden_or_temp(name):
        return None
    ext = os.path.splitext(name)[1].lower()
    if ext in SUPPORTED_EXTENSIONS or ext in CONTAINER_EXTENSIONS:
        return None
    return ext or NO_EXTENSION
