"""The Labels tab (list, filter, delete, import) and the Train dialog (loss, epochs,
held-out share, device; a live loss curve; before/after per metric and the
forgetting check; Activate or Discard). Engine calls run through the TaskRunner."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.gui.errors import describe
from app.gui.tasks import WRITE, TaskContext, TaskRunner

KIND_WORDS = {"pair_binary": "Similar / not", "pair_score": "Score", "triplet": "Triplet",
              "positive_pair": "Alike pair"}
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
        self.lib: Any = None
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
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addLayout(bar)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.summary)

    def set_library(self, lib: Any) -> None:
        self.lib = lib
        self.refresh()

    def refresh(self) -> None:
        lib = self.lib
        if lib is None:
            return
        kind = self.kind_combo.currentData()
        text = self.search.text().strip() or None

        def work(ctx: TaskContext) -> tuple:
            return lib.labels(kind=kind, limit=2000, search=text), lib.label_counts()

        self.runner.run(work, name="labels", key="labels", on_done=self._loaded)

    def _loaded(self, data: tuple) -> None:
        labels, counts = data
        self.labels = labels
        self.tree.clear()
        for lab in labels:
            first = f"\u201c{lab.query}\u201d" if lab.query else lab.sentence1
            item = QTreeWidgetItem([KIND_WORDS.get(lab.kind, lab.kind), label_value(lab),
                                    " ".join(first.split())[:200], " ".join(lab.sentence2.split())[:200],
                                    lab.source])
            item.setToolTip(2, lab.sentence1)
            item.setToolTip(3, lab.sentence2 + (f"\n\nnegative: {lab.sentence3}" if lab.sentence3 else ""))
            self.tree.addTopLevelItem(item)
        total = sum(counts.values())
        parts = [f"{n} {KIND_WORDS.get(k, k).lower()}" for k, n in counts.items() if n]
        self.summary.setText(f"{total} labels" + (f" ({', '.join(parts)})" if parts else "")
                             + ". Mark results relevant or not, or import a file, then train.")
        self.train_btn.setEnabled(total > 0)

    def delete_selected(self) -> None:
        ids = [self.labels[self.tree.indexOfTopLevelItem(i)].id for i in self.tree.selectedItems()]
        if not ids or self.lib is None:
            return
        lib = self.lib
        self.runner.run(lambda ctx: lib.delete_labels(ids), name="delete labels", lane=WRITE,
                        on_done=lambda n: (self.status.emit(f"Deleted {n} labels"), self.refresh()))

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import labels", "",
                                              "Label files (*.csv *.tsv *.jsonl *.txt)")
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        lib = self.lib
        if lib is None:
            return
        self.runner.run(lambda ctx: lib.import_labels(path), name="import labels", lane=WRITE,
                        on_done=self._imported)

    def _imported(self, report: Any) -> None:
        msg = f"Imported {report.imported} labels ({report.updated} updated) from {report.path}"
        if report.errors:
            first = "; ".join(f"line {e.line}: {e.reason}" for e in report.errors[:3])
            msg += f"; {len(report.errors)} rows skipped ({first})"
        self.status.emit(msg)
        self.refresh()


class LossCurve(QWidget):
    """A small live line chart of the training loss."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.points: list[tuple[int, float]] = []
        self.setMinimumHeight(140)

    def add(self, step: int, loss: float) -> None:
        self.points.append((step, loss))
        self.update()

    def clear(self) -> None:
        self.points = []
        self.update()

    def paintEvent(self, _event: Any) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(36, 8, -8, -18)
        p.setPen(QPen(QColor("#cbd5e1")))
        p.drawRect(r)
        if len(self.points) < 2:
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, "the loss appears here while training")
            return
        xs = [s for s, _ in self.points]
        ys = [v for _, v in self.points]
        x0, x1 = min(xs), max(xs) or 1
        y0, y1 = min(ys), max(ys)
        if y1 - y0 < 1e-9:
            y1 = y0 + 1e-9
        path = QPainterPath()
        for i, (s, v) in enumerate(self.points):
            pt = QPointF(r.left() + (s - x0) / max(x1 - x0, 1) * r.width(),
                         r.bottom() - (v - y0) / (y1 - y0) * r.height())
            path.moveTo(pt) if i == 0 else path.lineTo(pt)
        p.setPen(QPen(QColor("#3b82f6"), 2))
        p.drawPath(path)
        p.setPen(QPen(QColor("#6b7280")))
        p.drawText(QPointF(2, r.top() + 10), f"{y1:.3g}")
        p.drawText(QPointF(2, r.bottom()), f"{y0:.3g}")
        p.drawText(QPointF(r.left(), r.bottom() + 14), f"step {x0}")
        p.drawText(QPointF(r.right() - 60, r.bottom() + 14), f"step {x1}")


class BeforeAfterChart(QWidget):
    """Paired bars per metric: before (grey) and after (blue)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, float, float]] = []
        self.setMinimumHeight(60)

    def set_rows(self, rows: list[tuple[str, float, float]]) -> None:
        self.rows = rows
        self.setMinimumHeight(24 + 30 * len(rows))
        self.update()

    def paintEvent(self, _event: Any) -> None:
        if not self.rows:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        label_w = 210
        width = max(self.width() - label_w - 70, 40)
        top = max(max(b, a) for _, b, a in self.rows) or 1.0
        for i, (name, before, after) in enumerate(self.rows):
            y = 8 + 30 * i
            p.setPen(QColor("#374151"))
            p.drawText(QRectF(0, y, label_w - 8, 24), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       name)
            for j, (value, colour) in enumerate(((before, "#9ca3af"), (after, "#3b82f6"))):
                w = max(width * (value / top), 1)
                p.fillRect(QRectF(label_w, y + 2 + 11 * j, w, 9), QColor(colour))
            p.setPen(QColor("#374151"))
            delta = after - before
            p.drawText(QRectF(label_w + width + 4, y, 70, 24), Qt.AlignmentFlag.AlignVCenter,
                       f"{after:.3f} ({delta:+.3f})")


def metric_rows(before: dict, after: dict) -> list[tuple[str, float, float]]:
    rows = []
    for kind in sorted(set(before) & set(after)):
        for metric in sorted(set(before[kind]) & set(after[kind])):
            b, a = before[kind][metric], after[kind][metric]
            if isinstance(b, int | float) and isinstance(a, int | float) and metric not in ("n", "count"):
                rows.append((f"{KIND_WORDS.get(kind, kind)} {metric}", float(b), float(a)))
    return rows


class TrainDialog(QDialog):
    """Fine-tune on the labels; show progress, the curve, the result; Activate/Discard."""

    activated = Signal(int, bool)        # model id, switched at once

    def __init__(self, runner: TaskRunner, lib: Any, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Teach Likewise what \u201csimilar\u201d means")
        self.setModal(False)
        self.runner = runner
        self.lib = lib
        self.task: Any = None
        self.result: Any = None
        self.loss_combo = QComboBox()
        for key, label in LOSSES:
            self.loss_combo.addItem(label, key)
        self.loss_combo.currentIndexChanged.connect(self.update_plan)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 50)
        self.epochs.setValue(1)
        self.held_out = QDoubleSpinBox()
        self.held_out.setRange(0.05, 0.5)
        self.held_out.setSingleStep(0.05)
        self.held_out.setValue(0.2)
        self.device = QComboBox()
        for key, label in (("auto", "Automatic"), ("cpu", "CPU"), ("cuda", "CUDA GPU")):
            self.device.addItem(label, key)
        self.plan_label = QLabel("")
        self.plan_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Loss", self.loss_combo)
        form.addRow("", self.plan_label)
        form.addRow("Epochs", self.epochs)
        form.addRow("Held out for testing", self.held_out)
        form.addRow("Device", self.device)
        self.progress = QProgressBar()
        self.progress_label = QLabel("")
        self.curve = LossCurve()
        self.chart = BeforeAfterChart()
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.train_btn = QPushButton("Train")
        self.cancel_btn = QPushButton("Cancel")
        self.activate_btn = QPushButton("Activate")
        self.discard_btn = QPushButton("Discard")
        self.close_btn = QPushButton("Close")
        self.train_btn.clicked.connect(self.start)
        self.cancel_btn.clicked.connect(self.cancel)
        self.activate_btn.clicked.connect(self.activate)
        self.discard_btn.clicked.connect(self.discard)
        self.close_btn.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.train_btn, self.cancel_btn, self.activate_btn, self.discard_btn, self.close_btn):
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.progress)
        lay.addWidget(self.progress_label)
        lay.addWidget(self.curve)
        lay.addWidget(self.chart)
        lay.addWidget(self.result_label)
        lay.addLayout(buttons)
        self._state("ready")
        self.resize(640, 620)
        self.update_plan()

    def _state(self, state: str) -> None:
        self.train_btn.setVisible(state == "ready")
        self.cancel_btn.setVisible(state == "training")
        self.activate_btn.setVisible(state == "trained")
        self.discard_btn.setVisible(state == "trained")
        for w in (self.loss_combo, self.epochs, self.held_out, self.device):
            w.setEnabled(state == "ready")

    def update_plan(self) -> None:
        lib, loss = self.lib, self.loss_combo.currentData()
        self.runner.run(lambda ctx: lib.train_plan(loss), name="train plan", key="train-plan",
                        on_done=self._plan, on_error=lambda e: self.plan_label.setText(describe(e)))

    def _plan(self, plan: Any) -> None:
        used = sum(plan.used.values())
        unused = sum(plan.unused.values())
        text = f"Will use {plan.loss}: {plan.reason}. {used} labels usable"
        if unused:
            text += f", {unused} not usable with this loss"
        self.plan_label.setText(text + ".")
        self.train_btn.setEnabled(used > 0)

    def start(self) -> None:
        lib = self.lib
        loss, epochs = self.loss_combo.currentData(), self.epochs.value()
        held, device = self.held_out.value(), self.device.currentData()
        self.curve.clear()
        self.chart.set_rows([])
        self.result_label.setText("")
        self._state("training")
        started = time.monotonic()

        def work(ctx: TaskContext) -> Any:
            return lib.train(loss=loss, epochs=epochs, held_out=held, device=device,
                             progress=ctx.progress, cancel=ctx.cancel)

        self.task = self.runner.run(work, name="train", lane=WRITE, min_progress_interval=0.05,
                                    on_progress=self._progress, on_done=self._trained,
                                    on_error=self._failed, on_cancelled=self._cancelled)
        self._started = started

    def _progress(self, p: Any) -> None:
        words = {"preparing": "Preparing", "evaluating_before": "Measuring the current model",
                 "training": "Training", "evaluating_after": "Measuring the new model",
                 "saving": "Saving", "done": "Done"}
        text = words.get(p.phase, p.phase)
        if p.total:
            self.progress.setRange(0, p.total)
            self.progress.setValue(p.step)
            text += f" \u00b7 step {p.step}/{p.total}"
        else:
            self.progress.setRange(0, 0)
        if p.loss is not None:
            text += f" \u00b7 loss {p.loss:.4f}"
            if p.phase == "training":
                self.curve.add(p.step, p.loss)
        if p.eta_s:
            text += f" \u00b7 about {p.eta_s:.0f} s left"
        self.progress_label.setText(text)

    def _trained(self, result: Any) -> None:
        self.result = result
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self._state("trained")
        self.chart.set_rows(metric_rows(result.before, result.after))
        lines = [f"New version \u201c{result.name}\u201d ({result.loss}), trained in "
                 f"{result.seconds:.0f} s; grey = before, blue = after, on the held-out labels."]
        f = result.forgetting
        if f:
            lines.append(f"General language ({f.get('data', 'STS benchmark')}): {f.get('metric', '')} "
                         f"{f.get('before', 0):.2f} \u2192 {f.get('after', 0):.2f}"
                         + (" \u26a0 " + f.get("message", "") if f.get("warning") else " (kept)"))
        lines += [f"\u26a0 {w}" for w in result.warnings if not f or w != f.get("message")]
        lines.append("Activate re-encodes the library in the background; search keeps the current "
                     "model until it is done.")
        self.result_label.setText("<br>".join(lines))

    def _failed(self, exc: BaseException) -> None:
        self._state("ready")
        self.progress_label.setText(describe(exc))

    def _cancelled(self) -> None:
        self._state("ready")
        self.progress_label.setText("Training cancelled; nothing was saved.")

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def activate(self) -> None:
        lib, mid = self.lib, self.result.model_id
        self.runner.run(lambda ctx: lib.activate_model(mid), name="activate", lane=WRITE,
                        on_done=lambda now: (self.activated.emit(mid, bool(now)), self.close()),
                        on_error=self._failed)

    def discard(self) -> None:
        lib, mid = self.lib, self.result.model_id
        self.runner.run(lambda ctx: lib.discard_model(mid), name="discard", lane=WRITE,
                        on_done=lambda _r: self.close(), on_error=self._failed)

    def closeEvent(self, event: Any) -> None:
        if self.task is not None and not self.task.is_done:
            self.task.cancel()
        super().closeEvent(event)
