"""The Library tab: watched folders (add, remove, pause; their state) and every
document with its status (indexed, encrypted, no text, error and why)."""

from __future__ import annotations

import os
import time
from typing import Any, cast

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.pathnames import display_name, display_stored, split_member

STATUS_TEXT = {"indexed": "Indexed", "encrypted": "Encrypted", "no_text": "No text",
               "error": "Error", "pending": "Waiting", "not_read": "Not read",
               "unsupported": "Not supported"}
STATUS_COLOUR = {"indexed": "#2f855a", "encrypted": "#b7791f", "no_text": "#b7791f",
                 "error": "#c53030", "pending": "#6b7280", "not_read": "#6b7280", "unsupported": "#6b7280"}
STATE_TEXT = {"watching": "Watching", "polling": "Watching (polling)", "unavailable": "Unavailable",
              "error": "Cannot watch", "idle": "Not watched", "paused": "Paused"}
STATUS_ORDER = {"error": 0, "encrypted": 1, "no_text": 2, "not_read": 3, "pending": 4, "indexed": 5,
                "unsupported": 6}
UNSUPPORTED = "unsupported"      # a row per extension of the files Likewise does not read
DocRole = Qt.ItemDataRole.UserRole + 1


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def unsupported_rows(kinds: list[tuple[str, int, int, str]]) -> list[Any]:
    """One row of the documents table per extension Likewise does not read
    (core Library.unsupported_files): "412 .exe files", with an example path."""
    from core.types import DocumentInfo

    return [DocumentInfo(-1, f"{n:,} {ext} files", None, ext, size, 0.0, UNSUPPORTED,
                         f"not a supported type, never read (e.g. {display_stored(example)})", None, 0, None)
            for ext, n, size, example in kinds]


class DocumentsModel(QAbstractTableModel):
    COLUMNS = ("Document", "Status", "Pages", "Passages", "Size", "Folder / reason")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.docs: list[Any] = []

    def set_documents(self, docs: list[Any]) -> None:
        self.beginResetModel()
        self.docs = list(docs)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.docs)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        d = self.docs[index.row()]
        col = index.column()
        if role == DocRole:
            return d
        if role == Qt.ItemDataRole.DisplayRole:
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
            if col == 5:
                return d.error if d.error else os.path.dirname(display_stored(split_member(d.path)[0]))
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = display_stored(d.path)
            if d.sender:
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
        if role == Qt.ItemDataRole.UserRole:  # sort key
            if col == 1:   # problems first, then waiting, then indexed
                return (STATUS_ORDER.get(d.status, 9), display_name(d.path).lower())
            return (d.pages or 0, d.chunks, d.size)[col - 2] if 2 <= col <= 4 else None
        return None


class _SortProxy(QSortFilterProxyModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.status_filter: set[str] | None = None
        self.text_filter = ""

    def lessThan(
        self, left: QModelIndex | QPersistentModelIndex, right: QModelIndex | QPersistentModelIndex
    ) -> bool:
        a = left.data(Qt.ItemDataRole.UserRole)
        b = right.data(Qt.ItemDataRole.UserRole)
        if a is not None and b is not None:
            return a < b
        return str(left.data() or "").lower() < str(right.data() or "").lower()

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        d = cast(DocumentsModel, self.sourceModel()).docs[row]
        if self.status_filter is not None and d.status not in self.status_filter:
            return False
        return not self.text_filter or self.text_filter in d.path.lower()


class LibraryPanel(QWidget):
    add_folder_requested = Signal()
    remove_folder_requested = Signal(str)
    pause_folder_requested = Signal(str, bool)
    exclusions_requested = Signal(object)     # the selected folder's path, or None
    # document actions
    similar_documents_requested = Signal(object)
    open_requested = Signal(object)
    reveal_requested = Signal(object)
    reindex_requested = Signal(object)
    repeated_requested = Signal(object)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.repeated_enabled = False
        # folders
        self.folders = QTreeWidget()
        self.folders.setHeaderLabels(["Folder", "State", "Documents", "Waiting"])
        self.folders.setRootIsDecorated(False)
        self.folders.setUniformRowHeights(True)
        self.folders.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.folders.itemSelectionChanged.connect(self._update_buttons)
        self.add_btn = QPushButton("Add folder\u2026")
        self.remove_btn = QPushButton("Remove")
        self.pause_btn = QPushButton("Pause")
        self.exclusions_btn = QPushButton("Exclusions\u2026")
        self.exclusions_btn.setToolTip("Leave files out by pattern (like a .gitignore)")
        self.exclusions_btn.clicked.connect(lambda: self.exclusions_requested.emit(self.selected_folder()))
        self.add_btn.clicked.connect(self.add_folder_requested)
        self.remove_btn.clicked.connect(self._remove)
        self.pause_btn.clicked.connect(self._pause)
        fbuttons = QHBoxLayout()
        self.copies_btn = QPushButton("Copies\u2026")     # the same file in several places (main_window)
        for b in (self.add_btn, self.remove_btn, self.pause_btn, self.exclusions_btn, self.copies_btn):
            fbuttons.addWidget(b)
        fbuttons.addStretch(1)
        self.summary = QLabel()
        fbuttons.addWidget(self.summary)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(QLabel("<b>Watched folders</b>"))
        tl.addWidget(self.folders)
        tl.addLayout(fbuttons)

        # documents
        self.model = DocumentsModel(self)
        self.proxy = _SortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().resizeSection(0, 260)
        self.table.horizontalHeader().resizeSection(1, 90)
        for col in (2, 3, 4):
            self.table.horizontalHeader().resizeSection(col, 70)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._doc_menu)
        self.table.doubleClicked.connect(lambda idx: self.open_requested.emit(idx.data(DocRole)))
        self.status_combo = QComboBox()
        self.status_combo.addItem("All documents", None)
        self.status_combo.addItem("Indexed", {"indexed"})
        self.status_combo.addItem("Problems (encrypted, no text, error, not read)",
                                  {"encrypted", "no_text", "error", "not_read"})
        self.status_combo.addItem("Waiting", {"pending"})
        self.status_combo.addItem("Not a supported type (never read)", {UNSUPPORTED})
        self.status_combo.currentIndexChanged.connect(self._filter_changed)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by name")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter_changed)
        dbar = QHBoxLayout()
        dbar.addWidget(QLabel("<b>Documents</b>"))
        dbar.addStretch(1)
        dbar.addWidget(self.filter_edit)
        dbar.addWidget(self.status_combo)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addLayout(dbar)
        bl.addWidget(self.table)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        split.setSizes([150, 600])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addWidget(split)
        self._folders: list[Any] = []
        self._update_buttons()

    # -- data -----------------------------------------------------------------------------
    def set_folders(self, folders: list[Any]) -> None:
        selected = self.selected_folder()
        self._folders = list(folders)
        self.folders.clear()
        for f in folders:
            state = STATE_TEXT.get(f.state, f.state)
            item = QTreeWidgetItem([display_stored(f.path), state, str(f.documents), str(f.pending or "")])
            item.setData(0, Qt.ItemDataRole.UserRole, f.path)
            tip = f.message or state
            for col in range(4):
                item.setToolTip(col, tip)
            if f.state in ("unavailable", "error"):
                item.setForeground(1, QColor("#c53030"))
            elif f.state in ("watching", "polling"):
                item.setForeground(1, QColor("#2f855a"))
            self.folders.addTopLevelItem(item)
            if f.path == selected:
                item.setSelected(True)
        self._update_buttons()

    def set_documents(self, docs: list[Any]) -> None:
        self.model.set_documents(docs)
        counts: dict[str, int] = {}
        for d in docs:
            counts[d.status] = counts.get(d.status, 0) + 1
        not_read = counts.get("not_read", 0)
        bits = [f"{counts.get('indexed', 0)} documents"]     # an unreadable file is not one of them
        problems = sum(counts.get(s, 0) for s in ("encrypted", "no_text", "error"))
        if problems:
            bits.append(f"{problems} not readable")
        if not_read:
            bits.append(f"{not_read} links or folders not read")
        if counts.get("pending"):
            bits.append(f"{counts['pending']} waiting")
        unsupported = sum(int(d.path.split(" ", 1)[0].replace(",", "")) for d in docs if d.status == UNSUPPORTED)
        if unsupported:
            bits.append(f"{unsupported:,} files of a type not read")
        self.summary.setText(", ".join(bits))

    def set_exclusions(self, counts: dict[Any, int]) -> None:
        """Each pattern with how many files and folders it keeps out (the last scans)."""
        kept = sum(counts.values())
        self.exclusions_btn.setText(f"Exclusions ({kept} kept out)\u2026" if kept else "Exclusions\u2026")
        lines = [f"{e.pattern}: {n} kept out" + ("" if e.folder_id is None else " (one folder)")
                 for e, n in counts.items()]
        self.exclusions_btn.setToolTip("Files left out by pattern (like a .gitignore):\n" + "\n".join(lines))

    def selected_folder(self) -> str | None:
        items = self.folders.selectedItems()
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else None

    def selected_documents(self) -> list[Any]:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        return [self.proxy.index(r, 0).data(DocRole) for r in sorted(rows)]

    def show_problems(self) -> None:
        self.status_combo.setCurrentIndex(2)

    # -- actions ----------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        path = self.selected_folder()
        self.remove_btn.setEnabled(path is not None)
        self.pause_btn.setEnabled(path is not None)
        f = next((f for f in self._folders if f.path == path), None)
        self.pause_btn.setText("Resume" if f is not None and f.paused else "Pause")

    def _remove(self) -> None:
        path = self.selected_folder()
        if path:
            self.remove_folder_requested.emit(path)

    def _pause(self) -> None:
        path = self.selected_folder()
        f = next((f for f in self._folders if f.path == path), None)
        if f is not None:
            self.pause_folder_requested.emit(f.path, not f.paused)

    def _filter_changed(self) -> None:
        self.proxy.status_filter = self.status_combo.currentData()
        self.proxy.text_filter = self.filter_edit.text().strip().lower()
        self.proxy.invalidateFilter()

    def document_menu(self, doc: Any) -> QMenu:
        menu = QMenu(self)
        sim = menu.addAction("Find similar documents")
        sim.setEnabled(doc.status == "indexed")
        sim.triggered.connect(lambda: self.similar_documents_requested.emit(doc))
        if self.repeated_enabled:
            rep = menu.addAction("Show its repeated paragraphs")
            rep.setEnabled(doc.status == "indexed")
            rep.triggered.connect(lambda: self.repeated_requested.emit(doc))
        menu.addSeparator()
        menu.addAction("Open").triggered.connect(lambda: self.open_requested.emit(doc))
        menu.addAction("Show in folder").triggered.connect(lambda: self.reveal_requested.emit(doc))
        menu.addSeparator()
        menu.addAction("Re-index").triggered.connect(lambda: self.reindex_requested.emit(doc))
        return menu

    def _doc_menu(self, pos: Any) -> None:
        idx = self.table.indexAt(pos)
        if not idx.isValid():
            return
        doc = idx.data(DocRole)
        if doc.status in ("not_read", UNSUPPORTED):
            return      # a link not followed, a folder that cannot be listed, a type not read
        self.document_menu(doc).popup(self.table.viewport().mapToGlobal(pos))
