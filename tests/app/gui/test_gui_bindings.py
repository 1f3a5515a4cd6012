"""The installed Qt bindings must not leak references to None: on Python 3.11 (where
None is not immortal) PySide6 6.12.0 took one per call of a method returning nothing,
and the window aborted with "none_dealloc" midway through indexing a large folder."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_qt_calls_that_return_nothing_keep_none_alive(qapp):
    from PySide6.QtCore import QAbstractTableModel, QModelIndex
    from PySide6.QtWidgets import QLabel, QProgressBar

    class Rows(QAbstractTableModel):
        def rowCount(self, parent=QModelIndex()):  # noqa: B008, N802 - Qt's signature
            return 0

        def columnCount(self, parent=QModelIndex()):  # noqa: B008, N802
            return 0

        def data(self, index, role=0):
            return None

    model, label, bar = Rows(), QLabel(), QProgressBar()
    before = sys.getrefcount(None)
    for i in range(300):
        model.beginResetModel()
        model.endResetModel()
        label.setText(str(i))
        bar.setValue(i % 100)
    # a few references may come or go with the interpreter's own work; a leak is 1,200
    assert sys.getrefcount(None) - before > -100
