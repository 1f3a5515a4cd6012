"""The folder settings' exclusions: gitignore-style patterns whose files are never indexed.

Every library call runs through the TaskRunner (``runner.call``), so the window never
blocks; the list reads again whenever the exclusions change. Each pattern shows how many
files and folders it keeps out (counted by a walk that queues nothing).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from app.gui.tasks import TaskRunner
from core.changes import EXCLUSIONS
from core.pathnames import display_stored

EVERY_FOLDER = "Every folder"


class ExclusionsDialog(QDialog):
    """Lists, adds and removes exclusions; ``status`` says what each add or remove did."""

    status = Signal(str)           # a line for the status bar

    def __init__(self, runner: TaskRunner, folders: list[Any],
                 selected: str | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Exclusions")
        self.resize(620, 420)
        self.runner = runner
        runner.subscribe(self, {EXCLUSIONS}, self.reload)
        self.folder_paths = {f.id: f.path for f in folders}
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Pattern", "Applies to", "Kept out"])
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.tree.itemSelectionChanged.connect(self._update)
        self.pattern = QLineEdit()
        self.pattern.setPlaceholderText("e.g. drafts/   *.log   /archive/   !keep.pdf")
        self.pattern.returnPressed.connect(self._add)
        self.scope = QComboBox()
        self.scope.addItem(EVERY_FOLDER, None)
        for f in folders:
            self.scope.addItem(display_stored(f.path), f.path)
            if f.path == selected:
                self.scope.setCurrentIndex(self.scope.count() - 1)
        self.add_btn = QPushButton("Exclude")
        self.add_btn.clicked.connect(self._add)
        self.remove_btn = QPushButton("Remove")
        self.remove_btn.clicked.connect(self._remove)
        self.note = QLabel("Patterns work as in a .gitignore at each folder's root. Excluded files "
                           "leave the library at once; removing a pattern brings them back.")
        self.note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.pattern, 2)
        row.addWidget(self.scope, 1)
        row.addWidget(self.add_btn)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.remove_btn, QDialogButtonBox.ButtonRole.ActionRole)
        lay = QVBoxLayout(self)
        lay.addWidget(self.note)
        lay.addWidget(self.tree)
        lay.addLayout(row)
        lay.addWidget(buttons)
        self._update()
        self.reload()

    def reload(self) -> None:
        self.runner.call("exclusion_counts", rescan=True, key="exclusions", on_done=self.set_counts)

    def set_counts(self, counts: dict[Any, int]) -> None:
        self.tree.clear()
        for e, n in counts.items():
            where = display_stored(self.folder_paths[e.folder_id]) if e.folder_id in self.folder_paths \
                else EVERY_FOLDER
            item = QTreeWidgetItem([e.pattern, where, str(n)])
            item.setData(0, Qt.ItemDataRole.UserRole, e)
            self.tree.addTopLevelItem(item)
        self._update()

    def _update(self) -> None:
        self.remove_btn.setEnabled(bool(self.tree.selectedItems()))

    def _add(self) -> None:
        pattern = self.pattern.text().strip()
        if not pattern:
            return
        self.pattern.clear()
        self.runner.call("add_exclusion", pattern, folder=self.scope.currentData(),
                         on_done=lambda n: self.status.emit(f"Excluded {pattern}: {n} documents left the library"))

    def _remove(self) -> None:
        items = self.tree.selectedItems()
        if not items:
            return
        e = items[0].data(0, Qt.ItemDataRole.UserRole)
        self.runner.call("remove_exclusion", e.pattern, folder=self.folder_paths.get(e.folder_id),
                         on_done=lambda n: self.status.emit(f"No longer excluded: {e.pattern} ({n} files to read)"))
