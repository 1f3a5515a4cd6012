"""Where training lives, when torch is not there (the base download, issue 31): the
add-on's message in words and a button that picks the add-on file and installs it off
the UI thread (core/addon.py through the TaskRunner)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget

from app.gui.errors import describe
from app.gui.tasks import READ, TaskRunner
from core.addon import activate, addon_file_name, install, missing_message, torch_available


class AddonBar(QWidget):
    """Hidden when torch can be imported; otherwise says what is missing and installs it."""

    installed = Signal()

    def __init__(self, runner: TaskRunner, parent: Any = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.task: Any = None
        self.label = QLabel(missing_message("Fine-tuning"))
        self.label.setWordWrap(True)
        self.button = QPushButton("Install the training add-on\u2026")
        self.button.clicked.connect(self.choose)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.button)
        self.setStyleSheet("QLabel { background: #eff6ff; color: #1e3a8a; border: 1px solid #93c5fd;"
                           " border-radius: 4px; padding: 6px; }")
        self.setVisible(not torch_available())

    def choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "The Likewise training add-on", "",
            f"Training add-on ({addon_file_name()} likewise-training-addon-*);;All files (*)")
        if path:
            self.install(path)

    def install(self, path: str) -> None:
        """Check and unpack ``path`` on a worker thread; the window stays live."""
        self.button.setEnabled(False)
        self.label.setText(f"Installing {path.rsplit('/', 1)[-1]}\u2026")

        def work(ctx: Any) -> Any:
            manifest = install(path, progress=lambda done, total: ctx.progress((done, total)))
            activate()
            return manifest

        self.task = self.runner.run(work, name="addon-install", lane=READ, on_done=self._done,
                                    on_error=self._failed, on_progress=self._progress)

    def _progress(self, value: Any) -> None:
        done, total = value
        self.label.setText(f"Installing the training add-on: {done * 100 // max(total, 1)} %")

    def _done(self, manifest: Any) -> None:
        self.button.setEnabled(True)
        if torch_available():
            self.label.setText(f"The training add-on is installed (torch {manifest.get('torch', '?')}).")
            self.button.hide()
            self.installed.emit()
        else:   # outside a bundle the add-on is not put on sys.path: the venv has its own torch
            self.label.setText("The training add-on is installed; it is used when Likewise starts again.")

    def _failed(self, exc: BaseException) -> None:
        self.button.setEnabled(True)
        self.label.setText(describe(exc))
