"""The Models section of the Labels tab: every model version, which one search uses,
how far a re-encoding has come, what a fine-tuned version scored; Use this version,
Back to the original model, Delete. Each runs through ``runner.call``; the list reads again
whenever the models change."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.errors import describe
from app.gui.tasks import TaskRunner
from core.changes import MODELS

KIND_NAMES = {"base": "original", "finetuned": "fine-tuned", "custom": "chosen folder"}


def original_model(models: list[Any]) -> Any | None:
    """The version a library started with (the bundled model, or the folder chosen in
    Settings): the first that was not made by training."""
    for m in models:
        if m.kind != "finetuned":
            return m
    return None


def state_words(m: Any) -> str:
    if m.active:
        return "in use by search"
    if m.target:
        pct = 100 * m.vectors / m.chunks if m.chunks else 100
        return f"re-encoding the library: {pct:.0f} %"
    return "ready to use" if m.complete else "needs re-encoding to be used"


def result_words(m: Any) -> str:
    report = m.report or {}
    labels = report.get("labels", {})
    if not report:
        return ""
    parts = [f"{labels.get('trained_on', '?')} labels, {labels.get('held_out', '?')} held out"]
    f = report.get("forgetting")
    if f:
        parts.append("general language kept" if not f.get("warning") else "\u26a0 may have forgotten general language")
    return "; ".join(parts)


class ModelsView(QWidget):
    status = Signal(str)

    def __init__(self, runner: TaskRunner, parent: Any = None) -> None:
        super().__init__(parent)
        self.runner = runner
        runner.subscribe(self, {MODELS}, self.refresh)
        self.models: list[Any] = []
        self.title = QLabel("<b>Models</b> \u2014 the version search uses, and the ones you trained")
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setHeaderLabels(["Version", "Kind", "State", "Made", "Trained on"])
        for col, width in ((0, 300), (1, 90), (2, 190), (3, 120)):
            self.tree.header().resizeSection(col, width)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.note = QLabel("")             # what the last action did (the status bar moves on)
        self.note.setWordWrap(True)
        self.status.connect(self.note.setText)
        self.use_btn = QPushButton("Use this version")
        self.back_btn = QPushButton("Back to the original model")
        self.delete_btn = QPushButton("Delete version")
        self.use_btn.clicked.connect(self.use_selected)
        self.back_btn.clicked.connect(self.roll_back)
        self.delete_btn.clicked.connect(self.delete_selected)
        bar = QHBoxLayout()
        bar.addWidget(self.title, 1)
        for b in (self.use_btn, self.back_btn, self.delete_btn):
            bar.addWidget(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addLayout(bar)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.note)
        self._update_buttons()

    def refresh(self) -> None:
        self.runner.call("versions.models", key="models", on_done=self._loaded)

    def _loaded(self, models: list[Any]) -> None:
        chosen = self.selected()
        self.models = models
        self.tree.clear()
        original = original_model(models)
        for m in models:
            kind = KIND_NAMES.get(m.kind, m.kind)
            if original is not None and m.id == original.id:
                kind = "original"
            item = QTreeWidgetItem([m.name, kind, state_words(m),
                                    time.strftime("%Y-%m-%d %H:%M", time.localtime(m.created_at)),
                                    result_words(m)])
            item.setToolTip(0, m.path)
            if m.active:
                font = item.font(0)
                font.setBold(True)
                item.setFont(0, font)
            self.tree.addTopLevelItem(item)
            if chosen is not None and chosen.id == m.id:
                self.tree.setCurrentItem(item)
        self._update_buttons()

    def selected(self) -> Any | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        row = self.tree.indexOfTopLevelItem(items[0])
        return self.models[row] if 0 <= row < len(self.models) else None

    def active(self) -> Any | None:
        return next((m for m in self.models if m.active), None)

    def _update_buttons(self) -> None:
        m = self.selected()
        original = original_model(self.models)
        active = self.active()
        self.use_btn.setEnabled(m is not None and not m.active and not m.target)
        self.back_btn.setEnabled(original is not None and active is not None and active.id != original.id)
        self.delete_btn.setEnabled(m is not None and not m.active and m.kind == "finetuned")

    # -- writes -------------------------------------------------------------------------
    def _activate(self, m: Any) -> None:
        name = m.name

        def done(now: bool) -> None:
            self.status.emit(f"Search now uses \u201c{name}\u201d." if now else
                             f"Re-encoding the library with \u201c{name}\u201d; search keeps the current "
                             "model until it is done.")

        self.runner.call("versions.activate", m.id, on_done=done, on_error=self._failed)

    def use_selected(self) -> None:
        m = self.selected()
        if m is not None:
            self._activate(m)

    def roll_back(self) -> None:
        m = original_model(self.models)
        if m is not None:
            self._activate(m)

    def confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Delete model version", text)
        return answer == QMessageBox.StandardButton.Yes

    def delete_selected(self) -> None:
        m = self.selected()
        if m is None or m.active:
            return
        if not self.confirm(f"Delete \u201c{m.name}\u201d and its vectors? Its folder goes too."):
            return
        name = m.name
        self.runner.call("versions.delete", m.id, on_done=lambda _r: self.status.emit(f"Deleted \u201c{name}\u201d."),
                         on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.status.emit(describe(exc))
