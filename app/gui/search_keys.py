"""The Search tab's keys between the query and the results (app/gui/search_page.py)."""

from __future__ import annotations

from typing import Any, cast

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent


class SearchKeys(QObject):
    """Down from the search field goes to the results; Escape in the results goes back."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.w = window

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return False
        key = cast(QKeyEvent, event).key()   # a KeyPress event is a QKeyEvent
        if obj is self.w.search_edit and key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            if self.w.results.rowCount():
                self.w.list.setFocus()
                if not self.w.list.currentIndex().isValid():
                    self.w.list.setCurrentIndex(self.w.results.index(0))
                return True
        if obj is self.w.list and key == Qt.Key.Key_Escape:
            self.w.search_edit.setFocus()
            self.w.search_edit.selectAll()
            return True
        return False
