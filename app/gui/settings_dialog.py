"""Settings: model folder, device, chunking, reconcile interval, library location."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.settings import Settings

DEVICES = [("auto", "Automatic (GPU when available)"), ("cpu", "CPU"), ("cuda", "CUDA GPU")]
RESTART_FIELDS = ("model_path", "device", "library_path", "chunk_max_tokens",
                  "chunk_overlap_sentences")


class _PathField(QWidget):
    def __init__(self, value: str, placeholder: str, pick: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(value)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        browse = QPushButton("Choose\u2026")
        browse.clicked.connect(self._browse)
        self.pick = pick
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.edit, 1)
        lay.addWidget(browse)

    def _browse(self) -> None:
        if self.pick == "dir":
            path = QFileDialog.getExistingDirectory(self, "Choose a model folder", self.edit.text())
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Library file", self.edit.text(),
                                                  "Likewise library (*.sqlite)")
        if path:
            self.edit.setText(path)

    def text(self) -> str:
        return self.edit.text().strip()


def model_in_use_words(models: list[Any] | None) -> str:
    """What search uses now, in words: the version's name and how it came to be."""
    if models is None:
        return "The library is still opening."
    active = next((m for m in models if m.active), None)
    if active is None:
        return "No model version is in use yet."
    if active.kind == "finetuned":
        words = f"<b>{escape(active.name)}</b>, fine-tuned on your labels"
        parent = next((m for m in models if m.id == active.parent_id), None)
        if parent is not None:
            words += f" from {escape(parent.name)}"
    else:
        words = f"<b>{escape(active.name)}</b>, the original model"
    target = next((m for m in models if m.target), None)
    if target is not None:
        words += f"; switching to {escape(target.name)} once the library is re-encoded"
    return words


class SettingsDialog(QDialog):
    """``models``: the library's model versions (None while it opens); ``manage``: opens
    the list of versions (Labels tab), where a version is used, rolled back or deleted."""

    def __init__(self, settings: Settings, parent: Any = None, models: list[Any] | None = None,
                 manage: Callable[[], None] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.original = settings
        self.in_use = QLabel(model_in_use_words(models))
        self.in_use.setWordWrap(True)
        self.in_use.setTextFormat(Qt.TextFormat.RichText)
        in_use_row = QWidget()
        in_use_lay = QHBoxLayout(in_use_row)
        in_use_lay.setContentsMargins(0, 0, 0, 0)
        in_use_lay.addWidget(self.in_use, 1)
        self.manage_btn = QPushButton("Versions\u2026")
        self.manage_btn.setToolTip("Use another version, go back to the original, or delete one")
        self.manage_btn.setEnabled(manage is not None and models is not None)
        if manage is not None:
            def go_to_versions() -> None:
                self.reject()
                manage()

            self.manage_btn.clicked.connect(go_to_versions)
        in_use_lay.addWidget(self.manage_btn)
        self.model = _PathField(settings.model_path, "The bundled all-MiniLM-L6-v2", "dir")
        self.model.setToolTip("The model a library starts with. Fine-tuned versions are chosen "
                              "with Versions\u2026, not here.")
        self.device = QComboBox()
        for key, label in DEVICES:
            self.device.addItem(label, key)
        self.device.setCurrentIndex(max(0, [k for k, _ in DEVICES].index(settings.device)
                                        if settings.device in dict(DEVICES) else 0))
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(0, 8192)
        self.max_tokens.setSpecialValueText("As long as the model allows")
        self.max_tokens.setValue(settings.chunk_max_tokens)
        self.max_tokens.setSuffix(" tokens")
        self.overlap = QSpinBox()
        self.overlap.setRange(0, 5)
        self.overlap.setValue(settings.chunk_overlap_sentences)
        self.overlap.setSuffix(" sentence(s)")
        self.reconcile = QSpinBox()
        self.reconcile.setRange(0, 24 * 60)
        self.reconcile.setSpecialValueText("Only at start")
        self.reconcile.setValue(settings.reconcile_interval_s // 60)
        self.reconcile.setSuffix(" min")
        self.library = _PathField(settings.library_path, "In your user data folder", "file")
        self.follow_links = QCheckBox("Also read what links lead to outside the folder")
        self.follow_links.setChecked(settings.follow_links)
        self.follow_links.setToolTip("Off: a link inside a chosen folder that points elsewhere on the "
                                     "disk is not followed. Applies to folders added from now on.")
        self.ocr = QCheckBox("Read scanned pages and images (OCR)")
        self.ocr.setChecked(settings.ocr_enabled)
        self.ocr.setToolTip("On: PDF pages without a text layer and .png/.jpg/.tif images are read "
                            "by text recognition on this computer (a few seconds a page). Off: they "
                            "are listed as having no text.")
        form = QFormLayout()
        form.addRow("Model in use", in_use_row)
        form.addRow("Original model folder", self.model)
        form.addRow("Device", self.device)
        form.addRow("Passage length", self.max_tokens)
        form.addRow("Passage overlap", self.overlap)
        form.addRow("Full rescan every", self.reconcile)
        form.addRow("Library file", self.library)
        form.addRow("Links", self.follow_links)
        form.addRow("Scans", self.ocr)
        note = QLabel("Changes to the model, device, passages or library file take effect the "
                      "next time Likewise starts. A different model re-encodes the library in "
                      "the background.")
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(mid);")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(note)
        lay.addWidget(buttons)
        # tall enough for the wrapped lines of "Model in use" at any width
        lay.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self.resize(620, self.sizeHint().height())

    def result_settings(self) -> Settings:
        return replace(
            self.original,
            model_path=self.model.text(),
            device=self.device.currentData(),
            chunk_max_tokens=self.max_tokens.value(),
            chunk_overlap_sentences=self.overlap.value(),
            reconcile_interval_s=self.reconcile.value() * 60,
            library_path=self.library.text(),
            follow_links=self.follow_links.isChecked(),
            ocr_enabled=self.ocr.isChecked(),
        )

    def needs_restart(self) -> bool:
        new = self.result_settings()
        return any(getattr(new, f) != getattr(self.original, f) for f in RESTART_FIELDS)
