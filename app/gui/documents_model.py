"""The Library tab's list of documents, for tens of thousands of them.

The model sorts and filters the documents itself (by status, type and folder, and by a
piece of the name): one Python sort of plain keys, not a sort proxy calling back into
Python for each of a million comparisons on the UI thread. The view is handed rows a page
at a time (``canFetchMore``/``fetchMore``), so showing 50,000 documents costs what
showing the first page does.
"""

from __future__ import annotations

import os
import time
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from core.pathnames import display_name, display_stored, split_member

STATUS_TEXT = {"indexed": "Indexed", "encrypted": "Encrypted", "no_text": "No text",
               "error": "Error", "pending": "Waiting", "not_read": "Not read",
               "unsupported": "Not supported"}
STATUS_COLOUR = {"indexed": "#2f855a", "encrypted": "#b7791f", "no_text": "#b7791f",
                 "error": "#c53030", "pending": "#6b7280", "not_read": "#6b7280", "unsupported": "#6b7280"}
STATUS_ORDER = {"error": 0, "encrypted": 1, "no_text": 2, "not_read": 3, "pending": 4, "indexed": 5,
                "unsupported": 6}
UNSUPPORTED = "unsupported"      # a row per extension of the files Likewise does not read
DocRole = Qt.ItemDataRole.UserRole + 1
PAGE = 500          # rows handed to the view at a time

Index = QModelIndex | QPersistentModelIndex


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def unsupported_rows(kinds: list[tuple[str, int, int, str]]) -> list[Any]:
    """One row of the documents table per extension Likewise does not read
    (core Reconciler.unsupported): "412 .exe files", with an example path."""
    from core.types import DocumentInfo

    return [DocumentInfo(-1, f"{n:,} {ext} files", None, ext, size, 0.0, UNSUPPORTED,
                         f"not a supported type, never read (e.g. {display_stored(example)})", None, 0, None)
            for ext, n, size, example in kinds]


def _folder(d: Any) -> str:
    """The folder shown for a document (a document inside a container: the container's)."""
    return os.path.dirname(display_stored(split_member(d.path)[0]))


def doc_type(d: Any) -> str:
    """What the type filter offers: the file's extension, lower case, without the dot."""
    ext = (getattr(d, "ext", None) or os.path.splitext(d.path)[1] or "").lower().lstrip(".")
    return ext or "other"


def _name(d: Any) -> str:
    return display_name(d.path).lower()


SORT_KEYS = (
    _name,
    lambda d: (STATUS_ORDER.get(d.status, 9), _name(d)),   # problems first, then waiting, then indexed
    lambda d: d.pages or 0,
    lambda d: d.chunks or 0,
    lambda d: d.size or 0,
    lambda d: (d.error or _folder(d)).lower(),
)


class DocumentsModel(QAbstractTableModel):
    COLUMNS = ("Document", "Status", "Pages", "Passages", "Size", "Folder / reason")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.all_docs: list[Any] = []
        self.docs: list[Any] = []          # filtered and sorted; the first `shown` are in the view
        self.shown = 0
        self.status_filter: set[str] | None = None
        self.type_filter: str | None = None
        self.folder_filter: str | None = None
        self.text_filter = ""
        self.sort_column = 0
        self.sort_order = Qt.SortOrder.AscendingOrder

    # -- what is listed -----------------------------------------------------------------------
    def set_documents(self, docs: list[Any]) -> None:
        self.all_docs = list(docs)
        self._relist()

    def set_filter(self, status: set[str] | None = None, doc_type: str | None = None,
                   folder: str | None = None, text: str = "") -> None:
        self.status_filter, self.type_filter, self.folder_filter = status, doc_type, folder
        self.text_filter = text.strip().lower()
        self._relist()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sort_column, self.sort_order = column, order
        self._relist()

    def _accepts(self, d: Any) -> bool:
        if self.status_filter is not None and d.status not in self.status_filter:
            return False
        if self.type_filter is not None and doc_type(d) != self.type_filter:
            return False
        if self.folder_filter is not None:
            root = self.folder_filter.rstrip("/\\")
            if not (d.path == root or d.path.startswith(root + "/") or d.path.startswith(root + "\\")):
                return False
        return not self.text_filter or self.text_filter in d.path.lower()

    def _relist(self) -> None:
        self.beginResetModel()
        docs = [d for d in self.all_docs if self._accepts(d)]
        docs.sort(key=SORT_KEYS[self.sort_column],
                  reverse=self.sort_order == Qt.SortOrder.DescendingOrder)
        self.docs = docs
        self.shown = min(PAGE, len(docs))
        self.endResetModel()

    def types(self) -> list[str]:
        return sorted({doc_type(d) for d in self.all_docs})

    # -- handed to the view a page at a time -------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self.shown < len(self.docs)

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        more = min(PAGE, len(self.docs) - self.shown)
        if more <= 0:
            return
        self.beginInsertRows(QModelIndex(), self.shown, self.shown + more - 1)
        self.shown += more
        self.endInsertRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.shown

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self.shown:
            return None
        d = self.docs[index.row()]
        col = index.column()
        if role == DocRole:
            return d
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(d, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = display_stored(d.path)
            if getattr(d, "sender", None):
                tip += f"\nFrom: {d.sender}" + (f"\nTo: {d.recipients}" if d.recipients else "")
            if d.error:
                tip += f"\n{d.error}"
            if d.indexed_at:
                tip += "\nIndexed " + time.strftime("%Y-%m-%d %H:%M", time.localtime(d.indexed_at))
            return tip
        if role == Qt.ItemDataRole.ForegroundRole and col in (1, 5) and d.status != "indexed":
            return QColor(STATUS_COLOUR.get(d.status, "#6b7280"))
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            return QColor(STATUS_COLOUR["indexed"])
        return None

    @staticmethod
    def _text(d: Any, col: int) -> Any:
        if col == 0:
            return display_name(d.path)
        if col == 1:
            text = STATUS_TEXT.get(d.status, d.status)
            return text if d.available else f"{text} (unavailable)"
        if col == 2:
            return d.pages if d.pages is not None else ""
        if col == 3:
            return d.chunks
        if col == 4:
            return _size(d.size)
        return d.error if d.error else _folder(d)
