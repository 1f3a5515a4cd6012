"""Screenshots from GUI tests: saved to $LIKEWISE_SHOTS (e.g. docs/screenshots) when set."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def shot(widget: Any, name: str) -> None:
    folder = os.environ.get("LIKEWISE_SHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(Path(folder) / f"{name}.png"))
