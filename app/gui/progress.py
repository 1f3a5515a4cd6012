"""Indexing progress in the status bar, its details, and the notice about files
that could not be read."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.progress_text import eta_text, meaning_text, words_text
from core.pathnames import display_name, display_stored
from core.words import count

__all__ = ["eta_text", "progress_line"]


WAITING_TEXT = ("Another Likewise is indexing this library; "
                "this one will continue when that one ends")


def progress_parts(p: Any) -> tuple[str, str]:
    """(what is happening, the name of the file in hand). The name comes last: where the
    status bar is narrow, the name is shortened, never what is being done."""
    if p.phase == "scanning":
        return "Looking for new and changed files\u2026", ""
    if p.phase == "waiting":
        return WAITING_TEXT, ""
    if p.phase in ("done", "cancelled"):
        return ("Indexing stopped" if p.phase == "cancelled" else "Up to date"), ""
    verb = {"embedding": "Re-encoding", "splitting": "Upgrading to paragraphs"}.get(p.phase, "Indexing")
    bits = [verb]
    note = p.resume_note() if hasattr(p, "resume_note") else None
    if note:
        bits.append(note)                 # "resuming: 12,345 of 50,000 documents"
    # the two stages, each with its rate and ETA; the file name apart, last (shortened to fit)
    if p.files_total:
        bits.append(words_text(p))
    bits.append(meaning_text(p))
    if getattr(p, "message", None):
        bits.append(p.message)          # "reading scanned page 3/40"
    name = display_name(p.current_file) if p.current_file else ""
    return " \u00b7 ".join(bits), name


def progress_line(p: Any) -> str:
    """One line about an IndexProgress."""
    head, name = progress_parts(p)
    return f"{head} \u00b7 {name}" if name else head


NAME_MIN_PX = 90      # the file name keeps at least this much (its two ends, "TAMRe…w.pdf")


class FitLabel(QLabel):
    """A label whose last part (a file name) is shortened in its middle to fit the width
    the status bar gives it; the first part is always shown whole."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.head = ""
        self.tail = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def set_parts(self, head: str, tail: str = "") -> None:
        self.head, self.tail = head, tail
        self.setToolTip(f"{head} \u00b7 {tail}" if tail else "")
        self._fit()
        self.updateGeometry()

    def full_text(self) -> str:
        return f"{self.head} \u00b7 {self.tail}" if self.tail else self.head

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance(self.full_text()) + 8, hint.height())

    def minimumSizeHint(self) -> QSize:
        # the head whole and a few letters of the name
        head = self.fontMetrics().horizontalAdvance(self.head + " \u00b7 \u2026") + 8
        return QSize(head + (NAME_MIN_PX if self.tail else 0), super().minimumSizeHint().height())

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if not self.tail:
            self.setText(self.head)
            return
        metrics = self.fontMetrics()
        room = self.width() - metrics.horizontalAdvance(self.head + " \u00b7 ") - 8
        if room < NAME_MIN_PX // 2:
            self.setText(self.head)       # no room for a name: none, rather than "· ("
            return
        name = metrics.elidedText(self.tail, Qt.TextElideMode.ElideMiddle, room)
        self.setText(f"{self.head} \u00b7 {name}")


class ProgressWidget(QWidget):
    """Lives in the status bar; hidden while nothing is indexing."""

    pause_toggled = Signal(bool)
    stop_clicked = Signal()
    resume_clicked = Signal()
    details_clicked = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.label = FitLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(160)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.pause_btn = QPushButton("Pause")
        self.stop_btn = QPushButton("Stop")
        self.resume_btn = QPushButton("Resume indexing")
        self.details_btn = QPushButton("Details")
        for b in (self.pause_btn, self.stop_btn, self.resume_btn, self.details_btn):
            b.setFlat(True)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
        self.pause_btn.clicked.connect(self._toggle_pause)
        self.stop_btn.clicked.connect(self.stop_clicked)
        self.resume_btn.clicked.connect(self.resume_clicked)
        self.details_btn.clicked.connect(self.details_clicked)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addWidget(self.pause_btn)
        lay.addWidget(self.stop_btn)
        lay.addWidget(self.resume_btn)
        lay.addWidget(self.details_btn)
        self.paused = False
        self.last: Any = None
        self.set_idle()

    def _toggle_pause(self) -> None:
        self.paused = not self.paused
        self.pause_btn.setText("Resume" if self.paused else "Pause")
        self.pause_toggled.emit(self.paused)

    def set_idle(self, text: str = "") -> None:
        self.label.set_parts(text)
        for w in (self.bar, self.pause_btn, self.stop_btn, self.resume_btn):
            w.setVisible(False)
        self.details_btn.setVisible(self.last is not None and bool(text))

    def set_stopped(self, waiting: int) -> None:
        self.label.set_parts(f"Indexing stopped \u00b7 {waiting} waiting" if waiting else "Indexing stopped")
        for w in (self.bar, self.pause_btn, self.stop_btn):
            w.setVisible(False)
        self.resume_btn.setVisible(True)

    def set_progress(self, p: Any) -> None:
        self.last = p
        if p.phase in ("done", "cancelled"):
            self.paused = False
            self.pause_btn.setText("Pause")
            self.set_idle(progress_line(p) if p.phase == "cancelled" else "")
            return
        head, name = progress_parts(p)
        if self.paused:
            head = "Paused \u00b7 " + head
        self.label.set_parts(head, name)
        self.bar.setVisible(True)
        total = getattr(p, "chunks_total", 0)
        if total and p.phase == "indexing":      # passages move inside a long document
            self.bar.setRange(0, total)
            self.bar.setValue(min(p.chunks_done, total))
        elif p.files_total:
            self.bar.setRange(0, p.files_total)
            self.bar.setValue(p.files_done)
        else:
            self.bar.setRange(0, 0)
        self.pause_btn.setVisible(True)
        self.stop_btn.setVisible(True)
        self.resume_btn.setVisible(False)
        self.details_btn.setVisible(True)


class ProgressDetails(QDialog):
    """Non-modal details of the indexing in progress."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Indexing")
        self.setModal(False)
        form = QFormLayout(self)
        self.fields: dict[str, QLabel] = {}
        for key, label in (("phase", "Doing"), ("files", "Files"), ("current", "Current file"),
                           ("chunks", "Passages encoded"), ("rate", "Speed"), ("eta", "Time left"),
                           ("failed", "Could not read")):
            w = QLabel("\u2014")
            w.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            w.setWordWrap(True)
            self.fields[key] = w
            form.addRow(label, w)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        form.addRow(buttons)
        self.resize(460, 220)

    def update_from(self, p: Any) -> None:
        if p is None:
            return
        phase = {"scanning": "Scanning folders", "indexing": "Reading and encoding files",
                 "embedding": "Re-encoding with a new model", "done": "Finished",
                 "splitting": "Cutting passages into paragraphs (library upgrade)",
                 "cancelled": "Stopped", "idle": "Idle",
                 "waiting": "Waiting for another Likewise that is indexing this library"}.get(p.phase, p.phase)
        self.fields["phase"].setText(phase)
        self.fields["files"].setText(f"{p.files_done} of {p.files_total}")
        self.fields["current"].setText(display_stored(p.current_file) if p.current_file else "\u2014")
        self.fields["chunks"].setText(str(p.chunks_done))
        self.fields["rate"].setText(f"{p.chunks_per_s:.1f} passages per second")
        self.fields["eta"].setText(eta_text(p.eta_s) if p.phase not in ("done", "cancelled") else "\u2014")
        self.fields["failed"].setText(count(p.failed, "file"))


class FailureNotice(QFrame):
    """A calm banner at the top of the window: some files could not be read."""

    show_reasons = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("failureNotice")
        self.setStyleSheet("#failureNotice { background: #fdf2e9; border: 1px solid #f0c9a5;"
                           " border-radius: 6px; } QLabel { color: #7b341e; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        more = QPushButton("Show reasons")
        close = QPushButton("Dismiss")
        more.clicked.connect(self.show_reasons)
        close.clicked.connect(self.hide)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.addWidget(self.label, 1)
        lay.addWidget(more)
        lay.addWidget(close)
        self.failures: dict[str, tuple[str, str]] = {}
        self.hide()

    def add(self, failures: list[tuple[str, str, str]]) -> None:
        for path, status, reason in failures:
            self.failures[path] = (status, reason)
        if not self.failures:
            return
        n = len(self.failures)
        self.label.setText(
            f"{count(n, 'file')} could not be read. The rest of the library is fine."
        )
        self.show()

    def forget(self, path: str) -> None:
        self.failures.pop(path, None)


class FailuresDialog(QDialog):
    def __init__(self, failures: dict[str, tuple[str, str]], parent: Any = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Files that could not be read")
        self.setModal(False)
        tree = QTreeWidget()
        tree.setHeaderLabels(["File", "Status", "Reason"])
        tree.setRootIsDecorated(False)
        for path, (status, reason) in sorted(failures.items()):
            item = QTreeWidgetItem([display_name(path), status, reason or ""])
            item.setToolTip(0, path)
            item.setToolTip(2, reason or "")
            tree.addTopLevelItem(item)
        tree.header().resizeSection(0, 220)
        tree.header().resizeSection(1, 80)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("These files are skipped until they change. Everything else was indexed."))
        lay.addWidget(tree)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        lay.addWidget(buttons)
        self.tree = tree
        self.resize(720, 360)
