"""The Library tab: watched folders (add, remove, pause; their state) and every
document with its status (indexed, encrypted, no text, error and why)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
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

from app.gui.documents_model import UNSUPPORTED, DocRole, DocumentsModel
from core.pathnames import display_stored

STATE_TEXT = {"watching": "Watching", "polling": "Watching (polling)", "unavailable": "Unavailable",
              "error": "Cannot watch", "idle": "Not watched", "paused": "Paused"}


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
        self.model = DocumentsModel(self)      # sorts, filters and pages by itself (50,000 rows)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        # one line a row: wrapped, "020-xmp__output.pdf" broke after its hyphen and showed as "020-…";
        # elided in the middle, a long name keeps its start and its extension
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
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
        self.type_combo = QComboBox()
        self.type_combo.addItem("All types", None)
        self.type_combo.currentIndexChanged.connect(self._filter_changed)
        self.folder_combo = QComboBox()
        self.folder_combo.addItem("All folders", None)
        self.folder_combo.currentIndexChanged.connect(self._filter_changed)
        dbar = QHBoxLayout()
        dbar.addWidget(QLabel("<b>Documents</b>"))
        dbar.addStretch(1)
        dbar.addWidget(self.filter_edit)
        dbar.addWidget(self.folder_combo)
        dbar.addWidget(self.type_combo)
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
        _refill(self.folder_combo, "All folders", [(display_stored(f.path), f.path) for f in folders])
        self._update_buttons()

    def set_documents(self, docs: list[Any]) -> None:
        self.model.set_documents(docs)
        _refill(self.type_combo, "All types", [(t, t) for t in self.model.types()])
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
        return [self.model.index(r, 0).data(DocRole) for r in sorted(rows)]

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
        self.model.set_filter(status=self.status_combo.currentData(), doc_type=self.type_combo.currentData(),
                              folder=self.folder_combo.currentData(), text=self.filter_edit.text())

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


def _refill(combo: QComboBox, everything: str, items: list[tuple[str, str]]) -> None:
    """Put these (label, value) items in a filter combo, keeping the choice if it is still there."""
    chosen = combo.currentData()
    if [combo.itemData(i) for i in range(1, combo.count())] == [v for _, v in items]:
        return
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(everything, None)
    for label, value in items:
        combo.addItem(label, value)
    at = combo.findData(chosen) if chosen is not None else 0
    combo.setCurrentIndex(max(at, 0))
    combo.blockSignals(False)
    if at < 0:    # what was chosen went away: show everything
        combo.currentIndexChanged.emit(0)
