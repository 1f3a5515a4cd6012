"""The offer the window makes when its library file is damaged or from a newer Likewise:
move it aside (kept, renamed) and build a new library from the same folders."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from app.gui.errors import describe
from core.errors import LibraryTooNewError, LibraryUnusableError

REBUILD_TEXT = "Move it aside and rebuild"


def offer_rebuild(parent: QWidget, exc: LibraryUnusableError,
                  rebuild: Callable[[Any], None]) -> QMessageBox:
    """Show the offer without blocking (the dialog is window-modal and returns at once);
    ``rebuild(path)`` runs when the person accepts. Returns the dialog."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Likewise", describe(exc), parent=parent)
    name = os.path.basename(str(exc.path))
    lead = ("Update Likewise to keep using it, or move" if isinstance(exc, LibraryTooNewError)
            else "Likewise can move")
    box.setInformativeText(
        f"{lead} it aside (it is kept, unchanged, as {name}.damaged-DATE) and build a new "
        "library that watches the same folders, then index them again."
    )
    accept = box.addButton(REBUILD_TEXT, QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Close", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(accept)

    def clicked(button: Any) -> None:
        if button is accept:
            parent_status = getattr(parent, "status_label", None)
            if parent_status is not None:
                parent_status.setText("Moving the damaged library aside and rebuilding\u2026")
            rebuild(exc.path)

    box.buttonClicked.connect(clicked)
    box.open()
    return box


def rebuilt_text(info: Any) -> str:
    """One status line after a rebuild."""
    where = os.path.basename(str(info.moved_to))
    if not info.folders_read:
        return (f"The damaged library was kept as {where}. No folders could be read from it: "
                "add your folders to the new library.")
    text = f"The damaged library was kept as {where}; indexing its {len(info.folders)} folder(s) again."
    if info.missing:
        text += f" {len(info.missing)} folder(s) no longer exist."
    return text
