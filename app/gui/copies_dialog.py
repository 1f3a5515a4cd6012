"""The same file in several places: each document the library found in more than one
place, with every path (core/copies.py). Reached from the Library tab ("Copies..."). The
list is read on the TaskRunner's read lane, so the window never blocks."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from app.gui.tasks import TaskRunner
from core.pathnames import display_stored


class CopiesDialog(QDialog):
    def __init__(self, runner: TaskRunner, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Same file in several places")
        self.resize(640, 420)
        self.note = QLabel("Reading\u2026")
        self.note.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Document and its places"])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.note)
        lay.addWidget(self.tree)
        lay.addWidget(buttons)
        runner.call("catalog.copies.groups", key="copies", on_done=self.show_groups)

    def show_groups(self, groups: list[Any]) -> None:
        self.tree.clear()
        if not groups:
            self.note.setText("No file is in more than one place.")
            return
        extra = sum(len(g.copies) for g in groups)
        many = len(groups) != 1
        self.note.setText(f"{len(groups):,} file{'s are' if many else ' is'} in more than one place "
                          f"({extra:,} extra {'copies' if extra != 1 else 'copy'}). Each is read, encoded "
                          "and shown once; a result names every place.")
        for g in groups:
            top = QTreeWidgetItem([f"Same file in {g.places} places: {g.title or display_stored(g.path)}"])
            for path in [g.path, *g.copies]:
                QTreeWidgetItem(top, [display_stored(path)])
            self.tree.addTopLevelItem(top)
        self.tree.expandAll()
