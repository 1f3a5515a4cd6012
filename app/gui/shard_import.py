"""File -> Import encoded shards...: a folder of shards made by a cluster run (or on
another machine) goes into the open library on the edit lane (core/cluster/importer.py;
needs pyarrow, never Ray)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from app.gui.errors import describe
from app.gui.tasks import NoLibrary

MENU_TEXT = "&Import encoded shards\u2026"


def add_import_action(window: Any, menu: QMenu) -> QAction:
    action = QAction(MENU_TEXT, window)
    action.triggered.connect(lambda _checked=False: choose_and_import(window))
    menu.addAction(action)
    return action


def choose_and_import(window: Any) -> None:
    folder = QFileDialog.getExistingDirectory(window, "Choose a folder of encoded shards", str(Path.home()))
    if folder:
        import_shards(window, folder)


def import_shards(window: Any, folder: str) -> Any:
    """Import the shards below ``folder`` into the window's library; returns the task."""
    def failed(exc: BaseException) -> None:
        window.flash_status("The shards could not be imported.")
        box = QMessageBox(QMessageBox.Icon.Warning, "Likewise", describe(exc), parent=window)
        box.open()     # window-modal, without blocking
        window.shard_import_message = box

    def imported(report: Any) -> None:
        window.shard_import_report = report
        window.flash_status(imported_text(report))

    task = window.runner.call("shards.import_folder", folder, on_done=imported,
                              on_error=lambda exc: window.show_error(exc) if isinstance(exc, NoLibrary)
                              else failed(exc))
    if task is not None:
        window.flash_status("Importing encoded shards\u2026")
    return task


def imported_text(report: Any) -> str:
    text = f"Imported {report.indexed} documents from shards"
    if report.unchanged:
        text += f", {report.unchanged} already there"
    if report.failed:
        text += f", {report.failed} not indexed (Library \u2192 Show files that could not be read)"
    return text + "."
