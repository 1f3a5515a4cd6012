"""The Labels tab: the list (filter, delete, import) and the model versions (app/gui/models_view.py).
The Train dialog is app/gui/train_dialog.py. Engine calls run through the TaskRunner."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.models_view import ModelsView
from app.gui.tasks import TaskContext, TaskRunner
from core.changes import LABELS
from core.words import count

KIND_WORDS = {"pair_binary": "Similar / not", "pair_score": "Score", "triplet": "Triplet",
              "positive_pair": "Alike pair"}
# where a label came from, in the words the window uses for those places
SOURCE_WORDS = {"window": "Search", "dupes": "Similar paragraphs", "import": "imported file"}
LOSSES = [(None, "Automatic (from the labels)"), ("cosent", "CoSENT"),
          ("contrastive", "Online contrastive"), ("mnrl", "Multiple negatives ranking"),
          ("cosine", "Cosine similarity (MSE)"), ("softmax", "Softmax classification"),
          ("triplet", "Triplet")]


def label_value(lab: Any) -> str:
    if lab.kind == "pair_binary":
        return "similar" if (lab.label or 0) >= 0.5 else "not similar"
    if lab.kind == "pair_score":
        return f"{lab.original_label:g} / {lab.scale or 1:g}"
    return "\u2014"


class LabelsView(QWidget):
    train_requested = Signal()
    status = Signal(str)

    def __init__(self, runner: TaskRunner, parent: Any = None) -> None:
        super().__init__(parent)
        self.runner = runner
        runner.subscribe(self, {LABELS}, self.refresh)
        self.labels: list[Any] = []
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("All labels", None)
        for k, w in KIND_WORDS.items():
            self.kind_combo.addItem(w, k)
        self.kind_combo.currentIndexChanged.connect(self.refresh)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by text or query")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.refresh)
        self.import_btn = QPushButton("Import\u2026")
        self.import_btn.clicked.connect(self.choose_import)
        self.delete_btn = QPushButton("Delete")
        self.delete_btn.clicked.connect(self.delete_selected)
        self.train_btn = QPushButton("Train\u2026")
        self.train_btn.clicked.connect(self.train_requested)
        self.summary = QLabel("")
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.kind_combo)
        bar.addWidget(self.import_btn)
        bar.addWidget(self.delete_btn)
        bar.addWidget(self.train_btn)
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setHeaderLabels(["Kind", "Label", "First text / query", "Second text", "From"])
        for col, width in ((0, 100), (1, 90), (2, 330), (3, 330)):
            self.tree.header().resizeSection(col, width)
        self.models = ModelsView(runner)
        self.models.status.connect(self.status)
        top = QWidget()
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(0, 0, 0, 0)
        top_lay.addLayout(bar)
        top_lay.addWidget(self.tree, 1)
        top_lay.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.models)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addWidget(split, 1)

    def reload(self) -> None:
        """Read the labels and the models again (the tab comes into view)."""
        self.refresh()
        self.models.refresh()

    def refresh(self) -> None:
        """Read the labels again."""
        kind = self.kind_combo.currentData()
        text = self.search.text().strip() or None

        def work(lib: Any, ctx: TaskContext) -> tuple:
            return lib.label_table.labels(kind=kind, limit=2000, search=text), lib.label_table.label_counts()

        self.runner.with_library(work, name="labels", key="labels", on_done=self._loaded)

    def _loaded(self, data: tuple) -> None:
        labels, counts = data
        # keep the place in the list: the row in view and the one chosen stay after a reload
        scroll = self.tree.verticalScrollBar().value()
        current = self.tree.currentItem()
        chosen = self.labels[self.tree.indexOfTopLevelItem(current)].id if current is not None and \
            0 <= self.tree.indexOfTopLevelItem(current) < len(self.labels) else None
        self.labels = labels
        self.tree.clear()
        for lab in labels:
            first = f"\u201c{lab.query}\u201d" if lab.query else lab.sentence1
            item = QTreeWidgetItem([KIND_WORDS.get(lab.kind, lab.kind), label_value(lab),
                                    " ".join(first.split())[:200], " ".join(lab.sentence2.split())[:200],
                                    SOURCE_WORDS.get(lab.source, lab.source)])
            item.setToolTip(2, lab.sentence1)
            item.setToolTip(3, lab.sentence2 + (f"\n\nnegative: {lab.sentence3}" if lab.sentence3 else ""))
            self.tree.addTopLevelItem(item)
            if lab.id == chosen:
                self.tree.setCurrentItem(item)
        self.tree.verticalScrollBar().setValue(scroll)
        total = sum(counts.values())
        parts = [f"{n} {KIND_WORDS.get(k, k).lower()}" for k, n in counts.items() if n]
        self.summary.setText(count(total, "label") + (f" ({', '.join(parts)})" if parts else "")
                             + ". Mark results similar or not similar (right-click), or import a file, "
                             "then train.")
        self.train_btn.setEnabled(total > 0)

    def delete_selected(self) -> None:
        ids = [self.labels[self.tree.indexOfTopLevelItem(i)].id for i in self.tree.selectedItems()]
        if ids:
            self.runner.call("label_table.delete_labels", ids,
                             on_done=lambda n: self.status.emit(f"Deleted {n} label{'' if n == 1 else 's'}"))

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import labels", "",
                                              "Label files (*.csv *.tsv *.jsonl *.txt)")
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        self.runner.call("label_table.import_labels", path, on_done=self._imported)

    def _imported(self, report: Any) -> None:
        msg = f"Imported {report.imported} labels ({report.updated} updated) from {report.path}"
        if report.errors:
            first = "; ".join(f"line {e.line}: {e.reason}" for e in report.errors[:3])
            msg += f"; {len(report.errors)} rows skipped ({first})"
        self.status.emit(msg)
