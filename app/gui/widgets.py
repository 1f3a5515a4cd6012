"""Small widget helpers shared by the window's views."""

from __future__ import annotations

import os
from typing import Any


def fill_folder_combo(combo: Any, folders: list[Any]) -> None:
    """'All folders' plus one entry per watched folder, keeping the current choice."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem("All folders", None)
    for f in folders:
        combo.addItem(os.path.basename(f.path.rstrip(os.sep)) or f.path, f.path)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    combo.blockSignals(False)
