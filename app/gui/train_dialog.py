"""The Train dialog: the labels it will use (and a warning below the minimum, with what to
label next), honest progress through measuring, training and measuring again, a live loss
curve, before/after bars on the held-out labels with their numbers, the forgetting check in
words; Activate or Discard. Engine calls run through the TaskRunner."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.gui.addon_bar import AddonBar
from app.gui.errors import describe
from app.gui.labels_view import KIND_WORDS, LOSSES
from app.gui.tasks import TaskRunner

BEFORE_COLOUR = "#9ca3af"
AFTER_COLOUR = "#2563eb"
PHASE_WORDS = {"preparing": "Loading the model", "evaluating_before": "Measuring the current model",
               "training": "Training", "evaluating_after": "Measuring the new model",
               "saving": "Saving the new version", "done": "Done"}
METRIC_WORDS = {"spearman": "Spearman", "pearson": "Pearson", "ap": "average precision", "f1": "F1",
                "accuracy": "accuracy", "top1": "top-1"}
PROGRESS_SCALE = 1000


class LossCurve(QWidget):
    """A live line chart of the training loss, step by step."""

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

    def set_points(self, points: list[tuple[int, float]]) -> None:
        """The whole curve at once (the trainer's own record: live reports may be
        coalesced when they come faster than the window draws)."""
        self.points = [(int(s), float(v)) for s, v in points]
        self.update()

    def paintEvent(self, _event: Any) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(48, 20, -10, -20)
        p.setPen(QPen(QColor("#374151")))
        p.drawText(QPointF(4, 14), "Training loss")
        p.setPen(QPen(QColor("#cbd5e1")))
        p.drawRect(r)
        if not self.points:
            p.setPen(QPen(QColor("#6b7280")))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, "the loss appears here step by step while training")
            return
        xs = [s for s, _ in self.points]
        ys = [v for _, v in self.points]
        x0, x1 = min(xs), max(xs)
        y0, y1 = min(ys), max(ys)
        pad = (y1 - y0) * 0.1 or max(abs(y1) * 0.1, 1e-3)
        y0, y1 = y0 - pad, y1 + pad

        def at(s: int, v: float) -> QPointF:
            return QPointF(r.left() + (s - x0) / max(x1 - x0, 1) * r.width(),
                           r.bottom() - (v - y0) / (y1 - y0) * r.height())

        path = QPainterPath()
        for i, (s, v) in enumerate(self.points):
            path.moveTo(at(s, v)) if i == 0 else path.lineTo(at(s, v))
        if len(self.points) == 1:
            # a run of one step has one loss: a level line across, not a lone dot
            path.moveTo(QPointF(r.left(), at(x0, ys[0]).y()))
            path.lineTo(QPointF(r.right(), at(x0, ys[0]).y()))
        p.setPen(QPen(QColor(AFTER_COLOUR), 2))
        p.drawPath(path)
        p.setBrush(QColor(AFTER_COLOUR))
        for s, v in self.points[-1:] if len(self.points) > 1 else self.points:
            p.drawEllipse(at(s, v), 3, 3)
        p.setPen(QPen(QColor("#6b7280")))
        p.drawText(QRectF(0, r.top() - 6, 44, 14), Qt.AlignmentFlag.AlignRight, f"{y1:.3g}")
        p.drawText(QRectF(0, r.bottom() - 8, 44, 14), Qt.AlignmentFlag.AlignRight, f"{y0:.3g}")
        p.drawText(QPointF(r.left(), r.bottom() + 15), f"step {x0}")
        p.drawText(QRectF(r.right() - 160, r.bottom() + 3, 160, 16), Qt.AlignmentFlag.AlignRight,
                   f"step {x1} \u00b7 loss {self.points[-1][1]:.4f}")


class BeforeAfterChart(QWidget):
    """Paired bars per measure: before (grey) and after (blue), with the numbers and a legend."""

    ROW = 34

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, float, float]] = []
        self.note = "the before/after measures appear here when training is done"
        self.setMinimumHeight(70)

    def set_rows(self, rows: list[tuple[str, float, float]], note: str = "") -> None:
        self.rows = rows
        self.note = note
        self.setMinimumHeight(34 + self.ROW * len(rows) + (22 if note else 0))
        self.update()

    def label_width(self) -> int:
        """The room of the row labels: what the longest needs, up to half the width."""
        longest = max((self.fontMetrics().horizontalAdvance(name) for name, _b, _a in self.rows), default=0)
        return min(longest + 12, max(self.width() // 2, 120))

    def paintEvent(self, _event: Any) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QColor("#374151"))
        p.drawText(QPointF(4, 14), "Before and after, on labels kept out of training")
        x = self.width() - 150
        for i, (word, colour) in enumerate((("before", BEFORE_COLOUR), ("after", AFTER_COLOUR))):
            p.fillRect(QRectF(x + 70 * i, 5, 12, 10), QColor(colour))
            p.drawText(QPointF(x + 70 * i + 16, 14), word)
        # the labels get the room their words need (up to half the width) and wrap
        # beyond it: never cut ("imilar / not: average precision")
        number_w = 150
        label_w = self.label_width()
        width = max(self.width() - label_w - number_w - 8, 40)
        top = 22
        for i, (name, before, after) in enumerate(self.rows):
            y = top + self.ROW * i
            p.setPen(QColor("#374151"))
            p.drawText(QRectF(0, y - 3, label_w - 8, self.ROW - 2),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap, name)
            scale = 100.0 if max(before, after) <= 100.0 and min(before, after) >= 0 else max(abs(before), abs(after))
            for j, (value, colour) in enumerate(((before, BEFORE_COLOUR), (after, AFTER_COLOUR))):
                w = max(width * max(value, 0.0) / (scale or 1.0), 1)
                p.fillRect(QRectF(label_w, y + 2 + 12 * j, w, 10), QColor(colour))
            p.setPen(QColor("#374151"))
            p.drawText(QRectF(label_w + width + 6, y, number_w, 26), Qt.AlignmentFlag.AlignVCenter,
                       f"{before:.1f} \u2192 {after:.1f} ({after - before:+.1f})")
        if self.note:
            p.setPen(QColor("#92400e") if self.rows else QColor("#6b7280"))
            p.drawText(QRectF(4, top + self.ROW * len(self.rows), self.width() - 8, 22),
                       Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap, self.note)


def metric_rows(before: dict, after: dict) -> list[tuple[str, float, float]]:
    """(words, before, after) for each headline measure both sides have (on 0-100)."""
    rows = []
    for kind in sorted(set(before) & set(after)):
        for metric in ("spearman", "ap", "f1", "accuracy", "top1"):
            if metric in before[kind] and metric in after[kind]:
                n = int(before[kind].get("n", 0))
                rows.append((f"{KIND_WORDS.get(kind, kind)}: {METRIC_WORDS[metric]} ({n} pairs)",
                             float(before[kind][metric]), float(after[kind][metric])))
    return rows


def forgetting_words(f: dict | None) -> str:
    """The forgetting check as a sentence a person can read."""
    if not f:
        return "General language was not checked."
    metric = METRIC_WORDS.get(f.get("metric", ""), f.get("metric", ""))
    figures = f"{metric} {f.get('before', 0):.1f} \u2192 {f.get('after', 0):.1f}"
    if f.get("warning"):
        return (f"\u26a0 The new model may have forgotten general language: it lost {f.get('drop', 0):.1f} "
                f"points on general sentence pairs ({figures}; more than {f.get('limit', 1):g} point is a warning). "
                "Consider more labels, fewer epochs, or not activating it.")
    return (f"General language is kept: on general sentence pairs {figures} "
            f"(a loss of more than {f.get('limit', 1):g} point would be a warning).")


class TrainDialog(QDialog):
    """Fine-tune on the labels; show progress, the curve, the result; Activate/Discard."""

    activated = Signal(int, bool)        # model id, switched at once

    def __init__(self, runner: TaskRunner, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Teach Likewise what \u201csimilar\u201d means")
        self.setModal(False)
        self.runner = runner
        self.task: Any = None
        self.result: Any = None
        self.plan: Any = None
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
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("QLabel { background: #fef3c7; color: #78350f; border: 1px solid #f59e0b;"
                                   " border-radius: 4px; padding: 6px; }")
        self.warning.hide()
        form = QFormLayout()
        form.addRow("Loss", self.loss_combo)
        form.addRow("", self.plan_label)
        form.addRow("Epochs", self.epochs)
        form.addRow("Held out for testing", self.held_out)
        form.addRow("Device", self.device)
        self.progress = QProgressBar()
        self.progress.setRange(0, PROGRESS_SCALE)
        self.progress.setValue(0)
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
        self.addon_bar = AddonBar(runner, self)   # the base download: no torch until installed
        lay = QVBoxLayout(self)
        lay.addWidget(self.addon_bar)
        lay.addLayout(form)
        lay.addWidget(self.warning)
        lay.addWidget(self.progress)
        lay.addWidget(self.progress_label)
        lay.addWidget(self.curve)
        lay.addWidget(self.chart)
        lay.addWidget(self.result_label)
        lay.addLayout(buttons)
        self._state("ready")
        self.resize(700, 720)
        self.update_plan()

    def _state(self, state: str) -> None:
        self.train_btn.setVisible(state == "ready")
        self.cancel_btn.setVisible(state == "training")
        self.activate_btn.setVisible(state == "trained")
        self.discard_btn.setVisible(state == "trained")
        for w in (self.loss_combo, self.epochs, self.held_out, self.device):
            w.setEnabled(state == "ready")

    def update_plan(self) -> None:
        self.runner.call("training.train_plan", self.loss_combo.currentData(), key="train-plan", on_done=self._plan,
                         on_error=lambda e: self.plan_label.setText(describe(e)))

    def _plan(self, plan: Any) -> None:
        self.plan = plan
        used = sum(plan.used.values())
        unused = sum(plan.unused.values())
        text = f"Will use {plan.loss}: {plan.reason}. {used} labels usable"
        if unused:
            text += f", {unused} not usable with this loss"
        self.plan_label.setText(text + ".")
        self.train_btn.setEnabled(used > 0)
        if used < plan.minimum:
            held = int(used * self.held_out.value())
            head = (f"\u26a0 Only {used} usable labels; at least {plan.minimum} are needed for a real test. "
                    f"With {int(self.held_out.value() * 100)} % held out, about {held} "
                    f"pair{'s' if held != 1 else ''} would be kept for testing: that is no evaluation.")
            self.warning.setText("<br>".join([head] + plan.advice))
            self.train_btn.setText("Train anyway")
            self.warning.show()
        else:
            self.warning.setText("<br>".join(plan.advice))
            self.warning.setVisible(bool(plan.advice))
            self.train_btn.setText("Train")

    def start(self) -> None:
        loss, epochs = self.loss_combo.currentData(), self.epochs.value()
        held, device = self.held_out.value(), self.device.currentData()
        self.curve.clear()
        self.chart.set_rows([], "the before/after measures appear here when training is done")
        self.result_label.setText("")
        self.progress.setValue(0)
        self._state("training")

        self.task = self.runner.call("training.train", loss=loss, epochs=epochs, held_out=held, device=device,
                                     min_progress_interval=0.05, on_progress=self._progress,
                                     on_done=self._trained, on_error=self._failed, on_cancelled=self._cancelled)

    def _progress(self, p: Any) -> None:
        text = PHASE_WORDS.get(p.phase, p.phase)
        if p.fraction is not None:
            self.progress.setValue(int(round(p.fraction * PROGRESS_SCALE)))
            text = f"{p.fraction * 100:.0f} % \u00b7 " + text
        if p.total and p.phase in ("training", "evaluating_before", "evaluating_after"):
            unit = "step" if p.phase == "training" else "texts"
            text += f" \u00b7 {unit} {p.step}/{p.total}" if unit == "step" else f" \u00b7 {p.step}/{p.total} {unit}"
        if p.phase.startswith("evaluating") and p.message and "general" in p.message:
            text += " (general pairs)"
        if p.loss is not None:
            text += f" \u00b7 loss {p.loss:.4f}"
            if p.phase == "training":
                self.curve.add(p.step, p.loss)
        if p.eta_s:
            text += f" \u00b7 about {p.eta_s:.0f} s left in this phase"
        self.progress_label.setText(text)

    def _trained(self, result: Any) -> None:
        self.result = result
        self.progress.setValue(PROGRESS_SCALE)
        self.progress_label.setText(f"Done in {result.seconds:.0f} s \u00b7 saved as a new version "
                                    "(not used until you activate it)")
        self._state("trained")
        curve = result.report.get("loss_curve")
        if curve:
            self.curve.set_points(curve)
        rows = metric_rows(result.before, result.after)
        held = int(result.report.get("labels", {}).get("held_out", 0))
        note = ""
        if not rows:
            note = (f"Your own labels could not be measured: {held} held out, and a measure needs at least "
                    "2 of a kind. Label more pairs and train again.")
        f = result.forgetting
        if f:
            rows.append((f"General pairs: {METRIC_WORDS.get(f.get('metric', ''), f.get('metric', ''))}",
                         float(f.get("before", 0)), float(f.get("after", 0))))
        self.chart.set_rows(rows, note)
        lines = [f"New version \u201c{result.name}\u201d ({result.loss}), trained in {result.seconds:.0f} s "
                 f"on {result.report.get('labels', {}).get('trained_on', '?')} labels, tested on {held}.",
                 forgetting_words(f)]
        lines += [f"\u26a0 {w}" for w in result.warnings if not f or w != f.get("message")]
        lines.append("Activate re-encodes the library in the background; search keeps the current "
                     "model until it is done. You can go back to any version under Labels \u2192 Models.")
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
        mid = self.result.model_id

        def done(now: Any) -> None:
            self.activated.emit(mid, bool(now))
            self.close()

        self.runner.call("versions.activate", mid, on_done=done, on_error=self._failed)

    def discard(self) -> None:
        self.runner.call("versions.discard", self.result.model_id, on_done=lambda _r: self.close(),
                         on_error=self._failed)

    def closeEvent(self, event: Any) -> None:
        if self.task is not None and not self.task.is_done:
            self.task.cancel()
        super().closeEvent(event)
