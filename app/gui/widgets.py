"""Small widget helpers shared by the window's views."""

from __future__ import annotations

import os
from typing import Any

from core.pathnames import display_stored


def fill_folder_combo(combo: Any, folders: list[Any]) -> None:
    """'All folders' plus one entry per watched folder, keeping the current choice."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem("All folders", None)
    for f in folders:
        shown = display_stored(f.path)
        combo.addItem(os.path.basename(shown.rstrip(os.sep)) or shown, f.path)
    combo.setCurrentIndex(max(combo.findData(current), 0))
    combo.blockSignals(False)
