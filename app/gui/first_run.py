"""The first-run screen: offer to add a folder and say, in two lines, what happens."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from app.gui.resources import app_icon


class FirstRunPage(QWidget):
    add_folder_requested = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(96, 96))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Find passages alike in your own documents")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title.setStyleSheet("font-size: 18pt; font-weight: 600;")
        lines = QLabel(
            "Choose a folder: Likewise reads its documents (PDF, Word, slides, spreadsheets, "
            "mail, e-books, web pages, text, zip archives, and scans by OCR), cuts them into "
            "passages and keeps following the folder as files change.<br>"
            "Everything stays on this computer: a local model encodes each passage, so you can "
            "ask questions in your own words and find similar passages."
        )
        lines.setWordWrap(True)
        lines.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lines.setFixedWidth(640)
        lines.setStyleSheet("font-size: 11pt; color: palette(window-text);")
        # as tall as its wrapped text in the font the style sheet gives it (a fixed height
        # cut the last line off once the list of formats grew)
        lines.ensurePolished()
        lines.setMinimumHeight(lines.heightForWidth(640))
        self.lines = lines
        self.button = QPushButton("Add a folder\u2026")
        self.button.setDefault(True)
        self.button.setMinimumHeight(36)
        self.button.setMinimumWidth(200)
        self.button.setStyleSheet("font-size: 12pt;")
        self.button.clicked.connect(self.add_folder_requested)
        self.status = QLabel("")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status.setStyleSheet("color: gray;")
        lay = QVBoxLayout(self)
        lay.addStretch(2)
        lay.addWidget(icon)
        lay.addSpacing(12)
        lay.addWidget(title)
        lay.addSpacing(8)
        lay.addWidget(lines, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addSpacing(18)
        lay.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addSpacing(8)
        lay.addWidget(self.status)
        lay.addStretch(3)
