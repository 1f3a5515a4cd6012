"""Which paths the scanner and the watcher ignore: one rule for both."""

from __future__ import annotations

import fnmatch
from pathlib import Path

from core.types import SUPPORTED_EXTENSIONS

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


def is_hidden_or_temp(name: str) -> bool:
    if name.startswith("."):
        return True
    return any(fnmatch.fnmatch(name, pat) for pat in _TEMP_PATTERNS)


def is_supported(path: Path | str) -> bool:
    return Path(path).suffix.lower() in SUPPORTED_EXTENSIONS


def should_skip(path: Path | str, root: Path | str | None = None) -> bool:
    """True when ``path`` (or one of its folders below ``root``) is hidden or temporary,
    or when it is not a supported document type."""
    p = Path(path)
    parts = p.parts
    if root is not None:
        try:
            parts = p.relative_to(root).parts
        except ValueError:
            parts = p.parts
    if any(is_hidden_or_temp(part) for part in parts):
        return True
    return not is_supported(p)


def should_skip_dir(path: Path | str) -> bool:
    return is_hidden_or_temp(Path(path).name)
