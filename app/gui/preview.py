"""The preview pane: the passage in its context (neighbouring passages), the
document's path, pages and status, and the actions on it.

A presentation's passage (.pptx, .ppt, .odp) is on a slide; no presentation program takes
a slide to open at on its command line in a way that can be relied on, so its "Show
slide N" button shows that whole slide here instead (show_slide: every passage of the
slide, the one found marked), and "Open" opens the file."""

from __future__ import annotations

import html
import os
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.gui.highlight import page_label, passage_html
from core.pathnames import display_stored, from_db

SLIDE_EXTENSIONS = (".pptx", ".ppt", ".odp")
STATUS_WORDS = {"indexed": "Indexed", "encrypted": "Encrypted (cannot be read)",
                "no_text": "No text found (scanned?)", "error": "Error", "pending": "Waiting"}


def slide_of(result: Any) -> int | None:
    """The slide a presentation's passage is on (None for other documents)."""
    if result.page_start is None or not result.path.lower().endswith(SLIDE_EXTENSIONS):
        return None
    return int(result.page_start)


class PreviewPane(QWidget):
    open_requested = Signal(object)         # result
    open_page_requested = Signal(object)
    reveal_requested = Signal(object)
    similar_requested = Signal(object)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.result: Any = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: 600; font-size: 12pt;")
        self.meta = QLabel()
        self.meta.setWordWrap(True)
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta.setStyleSheet("color: palette(mid);")
        self.body = QTextBrowser()
        self.body.setOpenLinks(False)
        self.body.setObjectName("previewBody")
        buttons = QHBoxLayout()
        self.open_btn = QPushButton("Open")
        self.page_btn = QPushButton("Open at page")
        self.reveal_btn = QPushButton("Show in folder")
        self.similar_btn = QPushButton("Find similar")
        for b in (self.open_btn, self.page_btn, self.reveal_btn, self.similar_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.open_btn.clicked.connect(lambda: self.result and self.open_requested.emit(self.result))
        self.page_btn.clicked.connect(lambda: self.result and self.open_page_requested.emit(self.result))
        self.reveal_btn.clicked.connect(lambda: self.result and self.reveal_requested.emit(self.result))
        self.similar_btn.clicked.connect(lambda: self.result and self.similar_requested.emit(self.result))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addWidget(self.title)
        lay.addWidget(self.meta)
        lay.addWidget(self.body, 1)
        lay.addLayout(buttons)
        self.show_nothing()

    def show_nothing(self) -> None:
        self.result = None
        self.title.setText("")
        self.meta.setText("")
        self.body.setHtml('<p style="color:gray">Select a passage to read it in context.</p>')
        for b in (self.open_btn, self.page_btn, self.reveal_btn, self.similar_btn):
            b.setEnabled(False)

    def show_result(self, result: Any, neighbours: list | None = None, doc: Any = None) -> None:
        """Show ``result`` (a SearchResult) with its neighbouring ChunkInfos and its
        DocumentInfo (both may be None while they load)."""
        self.result = result
        name = result.title or os.path.basename(display_stored(result.path))
        self.title.setText(name)
        bits = [display_stored(result.path)]
        page = page_label(result.page_start, result.page_end)
        if page:
            bits.append(page + (f" of {doc.pages}" if doc is not None and doc.pages else ""))
        if result.heading:
            bits.append(f"under \u201c{result.heading}\u201d")
        if doc is not None:
            bits.append(STATUS_WORDS.get(doc.status, doc.status))
        self.meta.setText(" \u00b7 ".join(html.escape(b) for b in bits))
        self.body.setHtml(self._context_html(result, neighbours or []))
        has_file = os.path.exists(from_db(result.path))
        for b in (self.open_btn, self.reveal_btn):
            b.setEnabled(has_file)
        slide = slide_of(result)
        self.page_btn.setText(f"Show slide {slide}" if slide is not None else "Open at page")
        self.page_btn.setEnabled(slide is not None or (has_file and result.page_start is not None))
        self.similar_btn.setEnabled((getattr(result, "chunk_id", None) or -1) >= 0)
        self._scroll_to_anchor()

    def show_slide(self, result: Any, chunks: list, doc: Any = None) -> None:
        """Show every passage of ``result``'s slide (ChunkInfos of its document), the
        result's own marked."""
        slide = slide_of(result)
        if self.result is not result or slide is None:
            return
        on_slide = [c for c in chunks if c.page_start is not None
                    and c.page_start <= slide <= (c.page_end or c.page_start)]
        of = f" of {doc.pages}" if doc is not None and doc.pages else ""
        heading = f" · “{result.heading}”" if result.heading else ""
        self.meta.setText(html.escape(f"{display_stored(result.path)} · slide {slide}{of}{heading}"))
        self.body.setHtml(self._context_html(result, on_slide))
        self._scroll_to_anchor()

    def _context_html(self, result: Any, neighbours: list) -> str:
        parts = []
        found = False
        for c in neighbours:
            if c.id == result.chunk_id:
                found = True
                parts.append('<a name="hit"></a><div style="margin:6px 0; padding:4px;'
                             ' border-left: 3px solid #3b82f6;">'
                             + passage_html(result.text, result.best_sentence, result.word_spans)
                             + "</div>")
            else:
                page = page_label(c.page_start, c.page_end)
                tag = f'<span style="font-size:8pt">[{page}]</span> ' if page else ""
                parts.append(f'<p style="color:#777">{tag}{html.escape(c.text)}</p>')
        if not found:
            parts = ['<a name="hit"></a><div style="padding:4px; border-left: 3px solid #3b82f6;">'
                     + passage_html(result.text, result.best_sentence, result.word_spans) + "</div>"]
        return "".join(parts)

    def _scroll_to_anchor(self) -> None:
        self.body.scrollToAnchor("hit")
