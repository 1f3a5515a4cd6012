"""The results list: a list model over search / find-similar results and a delegate
that paints each as a card (file badge, name, page, heading, passage with the best
sentence highlighted and the matching words in bold, a relevance bar)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.gui.highlight import page_label, passage_html
from app.gui.similarity_words import WORD_COLOURS
from core.pathnames import display_name, display_stored

ResultRole = Qt.ItemDataRole.UserRole + 1
KindRole = Qt.ItemDataRole.UserRole + 2

SOURCE = "source"      # the passage a find-similar started from
RESULT = "result"
DOCUMENT = "document"  # a whole-document result (find similar documents)

_BADGE_COLOURS = {".pdf": "#c8453b", ".docx": "#2f63b8", ".txt": "#6b7280", ".md": "#2f855a",
                  ".markdown": "#2f855a", ".pptx": "#c05621", ".epub": "#6b46c1", ".html": "#0f766e",
                  ".htm": "#0f766e", ".odt": "#2b6cb0", ".rtf": "#4a5568", ".png": "#b7791f",
                  ".jpg": "#b7791f", ".jpeg": "#b7791f", ".tif": "#b7791f", ".tiff": "#b7791f"}


@dataclass
class Row:
    kind: str
    result: Any               # SearchResult-like: path, title, page_start, text, score...


class ResultsModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[Row] = []
        self.max_score = 1.0

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self.rows = rows
        scores = [r.result.score for r in rows if r.kind != SOURCE and r.result.score is not None]
        self.max_score = max(scores) if scores else 1.0
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([])

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        r = row.result
        if role == ResultRole:
            return r
        if role == KindRole:
            return row.kind
        if role == Qt.ItemDataRole.DisplayRole:
            name = display_name(r.path)
            page = page_label(r.page_start, r.page_end)
            return f"{name} {page}\n{r.text}"
        if role == Qt.ItemDataRole.ToolTipRole:
            why = getattr(r, "explanation", "") if row.kind != SOURCE else ""
            return display_stored(r.path) + (f"\n{why}" if why else "")
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{display_name(r.path)}, {page_label(r.page_start, r.page_end)}: {r.text[:200]}"
        return None

    def result_at(self, row: int) -> Any:
        return self.rows[row].result if 0 <= row < len(self.rows) else None


def bar_value(r: Any) -> float:
    """A card's bar, absolute: the engine's strength in 0..1 (find similar
    documents: their score), never relative to the best result on the list."""
    value = getattr(r, "bar", None)
    if value is None:
        value = getattr(r, "strength", 0.0)
    return max(0.0, min(1.0, float(value or 0.0)))


def ext_badge(path: str) -> tuple[str, str]:
    ext = os.path.splitext(path)[1].lower()
    label = {".docx": "DOC", ".markdown": "MD"}.get(ext, ext[1:4].upper() or "?")
    return label, _BADGE_COLOURS.get(ext, "#6b7280")


MARK_WORDS = {True: "\u2713 marked similar", False: "\u2717 marked not similar"}


def mark_words(r: Any) -> str | None:
    """A labelled card's words for its label (app/gui/label_marks.py sets ``mark``)."""
    mark = getattr(r, "mark", None)
    return MARK_WORDS.get(mark) if mark is not None else None


class ResultDelegate(QStyledItemDelegate):
    """Paints a result as a card. Text layout is cached per (row object, width)."""

    PAD = 10
    BADGE = 30
    LINES = 4
    CHARS = 420

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._docs: dict[tuple[int, int, bool], QTextDocument] = {}

    def clear_cache(self) -> None:
        self._docs.clear()

    def _doc(self, r: Any, width: int, font: QFont, source: bool, dark: bool) -> QTextDocument:
        key = (id(r), width, source)
        doc = self._docs.get(key)
        if doc is None:
            if len(self._docs) > 400:
                self._docs.clear()
            doc = QTextDocument()
            doc.setDocumentMargin(0)
            doc.setDefaultFont(font)
            limit = 0 if source else self.CHARS
            bg = "#5c4d00" if dark else "#fff1a8"
            html = passage_html(r.text, getattr(r, "best_sentence", None),
                                getattr(r, "word_spans", None), limit, sentence_bg=bg)
            doc.setHtml(html)
            doc.setTextWidth(width)
            self._docs[key] = doc
        return doc

    def _text_width(self, option: QStyleOptionViewItem) -> int:
        return max(option.rect.width() - self.BADGE - 3 * self.PAD - 4, 80)

    def _text_height(self, doc: QTextDocument, font: QFont, source: bool) -> int:
        """The height of the whole lines that fit in the card (never half a line)."""
        line = QFontMetrics(font).lineSpacing()
        limit = line * (8 if source else self.LINES) + 2
        if doc.size().height() <= limit:
            return int(doc.size().height())
        fit = 0.0
        for _block, _ln, bottom in _laid_out_lines(doc):
            if bottom > limit:
                break
            fit = bottom
        return int(max(fit, line))

    def shown_text(self, r: Any, width: int, font: QFont) -> str:
        """The passage text a card shows (the whole lines within its height)."""
        doc = self._doc(r, width, font, False, False)
        limit = self._text_height(doc, font, False)
        out = []
        for block, ln, bottom in _laid_out_lines(doc):
            if bottom > limit + 0.5:
                break
            out.append(block.text()[ln.textStart():ln.textStart() + ln.textLength()])
        return "".join(out)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        r = index.data(ResultRole)
        if r is None:
            return super().sizeHint(option, index)
        source = index.data(KindRole) == SOURCE
        width = self._text_width(option) if option.rect.width() > 0 else 600
        font = QFont(option.font)
        fm = QFontMetrics(font)
        title_h = fm.height() + 6
        if source:
            text_h = self._text_height(self._doc(r, width, font, True, False), font, True)
        else:
            # Every result card has the same height: no text layout for rows not shown
            # (laying out 25-40 rich passages on the UI thread costs a visible pause).
            text_h = fm.lineSpacing() * self.LINES + 2
        return QSize(width, int(title_h + text_h + 2 * self.PAD + 2))

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        r = index.data(ResultRole)
        if r is None:
            return super().paint(painter, option, index)
        kind = index.data(KindRole)
        source = kind == SOURCE
        pal = option.palette
        dark = pal.color(QPalette.ColorRole.Base).lightness() < 128
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect.adjusted(4, 3, -4, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if source:
            bg = QColor("#e8f0fe") if not dark else QColor("#1f2a3d")
        elif selected:
            bg = pal.color(QPalette.ColorRole.Highlight).lighter(185 if not dark else 60)
        else:
            bg = pal.color(QPalette.ColorRole.Base)
        painter.setPen(QColor(pal.color(QPalette.ColorRole.Mid)) if not selected
                       else pal.color(QPalette.ColorRole.Highlight))
        painter.setBrush(bg)
        painter.drawRoundedRect(rect, 6, 6)

        # file badge
        label, colour = ext_badge(r.path)
        badge = QRect(rect.left() + self.PAD, rect.top() + self.PAD, self.BADGE, self.BADGE + 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(badge, 4, 4)
        small = QFont(option.font)
        small.setPointSizeF(max(option.font.pointSizeF() * 0.72, 6.0))
        small.setBold(True)
        painter.setFont(small)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)

        # title line: name · page · heading ........ relevance
        x = badge.right() + self.PAD
        right = rect.right() - self.PAD
        fm = QFontMetrics(option.font)
        top = rect.top() + self.PAD
        alike = getattr(r, "alike", None)     # a find-similar result: calibrated words
        small_fm = QFontMetrics(option.font)
        word_w = small_fm.horizontalAdvance(alike) + 8 if alike and not source else 0
        number = "" if source else f"{bar_value(r):.2f}"      # the bar's absolute value, written out
        number_w = small_fm.horizontalAdvance(number) + 6 if number else 0
        bar_w = 0 if source else 70 + word_w + number_w
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        text_col = pal.color(QPalette.ColorRole.Text)
        muted = QColor(text_col)
        muted.setAlpha(150)
        base = display_name(r.path)
        # documents go by their file name, the title beside it (titles repeat and mislead)
        name = ("Similar to: " if source else "") + base
        bfm = QFontMetrics(bold)
        avail = right - x - bar_w - 10
        name = bfm.elidedText(name, Qt.TextElideMode.ElideMiddle, max(avail // 2 + 40, 60))
        painter.setPen(text_col)
        painter.drawText(x, top + fm.ascent(), name)
        cursor = x + bfm.horizontalAdvance(name) + 8
        mark = mark_words(r)
        extras = [mark] if mark else []      # labelled: the card says how
        title = (r.title or "").strip()
        if kind in (DOCUMENT, SOURCE) and title and title.lower() != os.path.splitext(base)[0].lower():
            extras.append(f"\u201c{title}\u201d")
        page = page_label(r.page_start, r.page_end)
        if page and r.path.lower().endswith(".pptx"):
            page = page.replace("pp. ", "slides ").replace("p. ", "slide ")
        if page:
            extras.append(page)
        if getattr(r, "ocr", False):
            extras.append("read by OCR")
        if getattr(r, "sender", None):
            extras.append(f"from {r.sender}")
        if getattr(r, "heading", None):
            extras.append(r.heading)
        if getattr(r, "note", None):
            extras.append(r.note)
        if getattr(r, "other_hits", 0):
            extras.append(f"+{r.other_hits} more in this document")
        if extras:
            painter.setFont(option.font)
            painter.setPen(muted)
            rest = fm.elidedText(" \u00b7 ".join(extras), Qt.TextElideMode.ElideRight,
                                 max(right - bar_w - 10 - cursor, 0))
            painter.drawText(cursor, top + fm.ascent(), rest)
        if not source and r.score is not None:
            frac = bar_value(r)
            painter.setFont(option.font)
            if alike:
                painter.setPen(QColor(WORD_COLOURS.get(alike, "#6b7280")))
                painter.drawText(right - bar_w, top + fm.ascent(), alike)
            painter.setPen(muted)
            painter.drawText(right - bar_w + word_w, top + fm.ascent(), number)
            bar = QRect(right - bar_w + word_w + number_w, top + fm.ascent() - 7, bar_w - word_w - number_w, 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.color(QPalette.ColorRole.Midlight))
            painter.drawRoundedRect(bar, 3, 3)
            fill = QRect(bar)
            fill.setWidth(max(int(bar.width() * frac), 3))
            painter.setBrush(QColor("#3b82f6"))
            painter.drawRoundedRect(fill, 3, 3)

        # passage
        width = self._text_width(option)
        doc = self._doc(r, width, QFont(option.font), source, dark)
        text_top = top + fm.height() + 6
        height = self._text_height(doc, option.font, source)
        painter.translate(x, text_top)
        painter.setClipRect(QRect(0, 0, width, height))
        paint_ctx = QAbstractTextDocumentLayout.PaintContext()
        paint_ctx.palette.setColor(QPalette.ColorRole.Text, text_col)
        doc.documentLayout().draw(painter, paint_ctx)
        painter.restore()


def _laid_out_lines(doc: QTextDocument) -> Iterator[tuple[Any, Any, float]]:
    """(block, line, bottom) of each line of a laid-out document, top to bottom."""
    layout = doc.documentLayout()
    block = doc.begin()
    while block.isValid():
        top = layout.blockBoundingRect(block).top()
        bl = block.layout()
        for i in range(bl.lineCount()):
            ln = bl.lineAt(i)
            yield block, ln, top + ln.y() + ln.height()
        block = block.next()
