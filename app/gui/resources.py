"""Locating the application's resources (icon), in a checkout and in a packaged app."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from PySide6.QtGui import QIcon


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


@lru_cache(maxsize=1)
def app_icon() -> QIcon:
    path = resources_dir() / "icons" / "likewise.svg"
    return QIcon(str(path)) if path.exists() else QIcon()
