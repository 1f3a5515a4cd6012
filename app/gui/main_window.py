"""The main window: search (as you type), results with highlights, preview, find
similar, the library, progress and settings. Every call into the engine goes through
the TaskRunner (app/gui/tasks.py); this module only arranges widgets and callbacks."""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui import viewer
from app.gui.dupes_view import DupesView
from app.gui.errors import describe
from app.gui.first_run import FirstRunPage
from app.gui.labels_view import LabelsView, TrainDialog
from app.gui.library_panel import LibraryPanel
from app.gui.preview import PreviewPane
from app.gui.progress import FailureNotice, FailuresDialog, ProgressDetails, ProgressWidget
from app.gui.resources import app_icon
from app.gui.results import DOCUMENT, RESULT, SOURCE, ResultDelegate, ResultRole, ResultsModel, Row
from app.gui.session import LibrarySession
from app.gui.settings_dialog import SettingsDialog
from app.gui.tasks import WRITE, TaskContext, TaskRunner
from app.gui.widgets import fill_folder_combo
from core.pathnames import display_stored
from core.search.filters import SearchFilters
from core.settings import Settings
from core.types import DocumentInfo, SearchResult

MODES = [("hybrid", "Hybrid"), ("dense", "Meaning"), ("keyword", "Keywords")]
TYPES = [(None, "All types"), ([".pdf"], "PDF"), ([".docx"], "Word"), ([".txt"], "Text"),
         ([".md", ".markdown"], "Markdown"), ([".pptx"], "Slides"), ([".epub"], "E-books"),
         ([".html", ".htm"], "Web pages"), ([".odt"], "OpenDocument"), ([".rtf"], "RTF"),
         ([".png", ".jpg", ".jpeg", ".tif", ".tiff"], "Images")]
# Passages read by OCR (scanned pages, images): SearchFilters.ocr
SOURCES = [(None, "Any text"), (True, "Scanned (OCR) only"), (False, "Without OCR")]
DATES = [(None, "Any time"), (7, "Past week"), (31, "Past month"), (365, "Past year")]
SEARCH_DELAY_MS = 250
RESULTS_K = 25   # best sentences cost one encoder pass over every result


def chunk_as_result(c: Any, score: float | None = None) -> SearchResult:
    """A ChunkInfo shown like a search result (the source of a find-similar)."""
    return SearchResult(c.id, c.document_id, c.path, c.title, c.page_start, c.page_end,
                        c.heading, c.text, score if score is not None else 1.0)


def document_as_result(sim: Any, best: Any) -> SearchResult:
    """A SimilarDocument shown like a result: its best-matching passage, its score."""
    d = sim.document
    if best is None:
        return SearchResult(-1, d.id, d.path, d.title, None, None, None,
                            f"{d.chunks} passages", sim.score)
    r = SearchResult(best.id, d.id, d.path, d.title, best.page_start, best.page_end,
                     best.heading, best.text, sim.score)
    r.note = f"{sim.matched_passages} of {sim.source_passages} passages alike"  # type: ignore[attr-defined]
    return r


class _SearchKeys(QObject):
    """Down from the search field goes to the results; Escape in the results goes back."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return False
        key = event.key()
        if obj is self.w.search_edit and key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            if self.w.results.rowCount():
                self.w.list.setFocus()
                if not self.w.list.currentIndex().isValid():
                    self.w.list.setCurrentIndex(self.w.results.index(0))
                return True
        if obj is self.w.list and key == Qt.Key.Key_Escape:
            self.w.search_edit.setFocus()
            self.w.search_edit.selectAll()
            return True
        return False


class MainWindow(QMainWindow):
    results_shown = Signal(str)       # what the list now shows: search | similar | similar_docs
    closed_cleanly = Signal()

    def __init__(
        self,
        settings: Settings | None = None,
        library_path: Any = None,
        model_path: Any = None,
        watch: bool = True,
        watch_options: dict | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or Settings.load()
        self.runner = TaskRunner(self)
        self.runner.error.connect(lambda exc, name: self.show_error(exc, name))
        self.session = LibrarySession(self.runner, self.settings, library_path, model_path,
                                      watch=watch, watch_options=watch_options)
        self.view_mode = "search"             # search | similar | similar_docs
        self.current_query = ""
        self.similar_source: SearchResult | None = None
        self.pending_query: str | None = None
        self.folders: list[Any] = []
        self.counts: dict[str, int] = {}
        self.shutdown_done = False
        self.shutting_down = False
        self.opened_at: float | None = None
        self.model_loaded = False
        self._details: ProgressDetails | None = None
        self._extra_views: dict[str, Any] = {}
        self.setWindowTitle("Likewise")
        self.setWindowIcon(app_icon())
        self.resize(1180, 760)
        self.status_label = QLabel("")
        self._build_search_page()
        self._build_layout()
        self._build_menus()
        self._connect_session()
        self._show_loading("Opening your library\u2026")

    # ------------------------------------------------------------------ construction
    def _build_search_page(self) -> None:
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Ask in your own words, or paste a passage\u2026")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumHeight(30)
        self.search_edit.setStyleSheet("font-size: 12pt; padding: 2px 6px;")
        self.mode_combo = QComboBox()
        for key, label in MODES:
            self.mode_combo.addItem(label, key)
        self.mode_combo.setToolTip("Hybrid: meaning and words together; Meaning: the encoder "
                                   "only; Keywords: the words you typed")
        self.folder_combo = QComboBox()
        self.folder_combo.addItem("All folders", None)
        self.type_combo = QComboBox()
        for value, label in TYPES:
            self.type_combo.addItem(label, value)
        self.date_combo = QComboBox()
        for value, label in DATES:
            self.date_combo.addItem(label, value)
        self.ocr_combo = QComboBox()
        for value, label in SOURCES:
            self.ocr_combo.addItem(label, value)
        self.ocr_combo.setToolTip("Passages read by OCR from scanned pages and images")
        self.group_check = QCheckBox("Group by document")
        bar = QHBoxLayout()
        bar.addWidget(self.search_edit, 1)
        bar.addWidget(self.mode_combo)
        filters = QHBoxLayout()
        filters.addWidget(QLabel("In"))
        filters.addWidget(self.folder_combo)
        filters.addWidget(self.type_combo)
        filters.addWidget(QLabel("changed"))
        filters.addWidget(self.date_combo)
        filters.addWidget(self.ocr_combo)
        filters.addWidget(self.group_check)
        filters.addStretch(1)
        self.header = QLabel("")
        self.header.setStyleSheet("color: palette(mid);")
        filters.addWidget(self.header)

        self.results = ResultsModel(self)
        self.delegate = ResultDelegate(self)
        self.list = QListView()
        self.list.setModel(self.results)
        self.list.setItemDelegate(self.delegate)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setUniformItemSizes(False)
        self.list.setSpacing(0)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.customContextMenuRequested.connect(self._result_menu_at)
        self.list.activated.connect(self._activated)
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        self.empty_label = QLabel("")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("color: gray; font-size: 11pt;")
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.list)
        self.list_stack.addWidget(self.empty_label)
        self.preview = PreviewPane()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.list_stack)
        split.addWidget(self.preview)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([690, 470])
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(8, 8, 8, 4)
        lay.addLayout(bar)
        lay.addLayout(filters)
        lay.addWidget(split, 1)
        self.search_page = page

        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.search_now)
        self.search_edit.textEdited.connect(lambda _t: self.search_timer.start())
        self.search_edit.returnPressed.connect(self.search_now)
        for combo in (self.mode_combo, self.folder_combo, self.type_combo, self.date_combo, self.ocr_combo):
            combo.currentIndexChanged.connect(self._filters_changed)
        self.group_check.toggled.connect(self._filters_changed)
        keys = _SearchKeys(self)
        self.search_edit.installEventFilter(keys)
        self.list.installEventFilter(keys)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.focus_search)
        QShortcut(QKeySequence("Ctrl+L"), self, activated=self.focus_search)

        self.preview.open_requested.connect(lambda r: self.open_result(r, at_page=False))
        self.preview.open_page_requested.connect(lambda r: self.open_result(r, at_page=True))
        self.preview.reveal_requested.connect(self.reveal_result)
        self.preview.similar_requested.connect(self.find_similar_passages)

    def _build_layout(self) -> None:
        self.first_run = FirstRunPage()
        self.first_run.add_folder_requested.connect(self.choose_folder)
        self.search_stack = QStackedWidget()
        self.search_stack.addWidget(self.search_page)
        self.search_stack.addWidget(self.first_run)
        self.library_panel = LibraryPanel()
        lp = self.library_panel
        lp.add_folder_requested.connect(self.choose_folder)
        lp.remove_folder_requested.connect(self.remove_folder)
        lp.pause_folder_requested.connect(self.pause_folder)
        lp.similar_documents_requested.connect(lambda d: self.find_similar_documents(d.id, d.path))
        lp.open_requested.connect(lambda d: self._open_path(d.path, None))
        lp.reveal_requested.connect(lambda d: viewer.reveal(d.path))
        lp.reindex_requested.connect(self.reindex_document)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        lp.repeated_enabled = True
        lp.repeated_requested.connect(self.show_repeated)
        self.dupes_view = DupesView(self.runner)
        self.dupes_view.open_requested.connect(self._open_path)
        self.dupes_view.status.connect(self.status_label.setText)
        self.labels_view = LabelsView(self.runner)
        self.labels_view.status.connect(self.status_label.setText)
        self.labels_view.train_requested.connect(self.open_train_dialog)
        self.tabs.addTab(self.search_stack, "Search")
        self.tabs.addTab(self.library_panel, "Library")
        self.tabs.addTab(self.dupes_view, "Similar paragraphs")
        self.tabs.addTab(self.labels_view, "Labels")
        self.tabs.currentChanged.connect(self._tab_changed)
        self.notice = FailureNotice()
        self.notice.show_reasons.connect(self.show_failures)
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(6, 6, 6, 0)
        lay.addWidget(self.notice)
        lay.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.statusBar().addWidget(self.status_label, 1)
        self.progress = ProgressWidget()
        self.statusBar().addPermanentWidget(self.progress)
        self.progress.pause_toggled.connect(self.session.set_paused)
        self.progress.stop_clicked.connect(self.session.stop_indexing)
        self.progress.resume_clicked.connect(self.session.resume_indexing)
        self.progress.details_clicked.connect(self.show_progress_details)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        add = QAction("&Add folder\u2026", self)
        add.triggered.connect(self.choose_folder)
        file_menu.addAction(add)
        settings = QAction("&Settings\u2026", self)
        settings.setShortcut(QKeySequence.StandardKey.Preferences)
        settings.triggered.connect(self.open_settings)
        file_menu.addAction(settings)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        lib_menu = self.menuBar().addMenu("&Library")
        self.index_action = QAction("&Index now", self)
        self.index_action.triggered.connect(self.index_now)
        lib_menu.addAction(self.index_action)
        stop = QAction("&Stop indexing", self)
        stop.triggered.connect(self.session.stop_indexing)
        lib_menu.addAction(stop)
        problems = QAction("Show files that could not be read", self)
        problems.triggered.connect(self._show_problem_documents)
        lib_menu.addAction(problems)
        self.view_menu = self.menuBar().addMenu("&View")
        for i, name in enumerate(("&Search", "&Library", "Similar &paragraphs", "La&bels")):
            act = QAction(name, self)
            act.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            act.triggered.connect(lambda _c=False, i=i: self.tabs.setCurrentIndex(i))
            self.view_menu.addAction(act)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About Likewise", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _connect_session(self) -> None:
        s = self.session
        s.opened.connect(self._on_opened)
        s.open_failed.connect(self._on_open_failed)
        s.model_ready.connect(self._on_model_ready)
        s.progress.connect(self._on_progress)
        s.index_finished.connect(self._on_index_finished)
        s.changed.connect(self.refresh_library)
        s.indexing_stopped.connect(self._on_indexing_stopped)
        s.closed.connect(self._on_session_closed)

    # ------------------------------------------------------------------ startup
    def start(self) -> None:
        """Open the library in the background (call after show())."""
        self.session.open()

    @property
    def lib(self) -> Any:
        return self.session.lib

    def _show_loading(self, text: str) -> None:
        self.status_label.setText(text)
        self.search_edit.setEnabled(True)
        self.search_stack.setCurrentWidget(self.search_page)
        self._show_empty(text)

    def _on_opened(self, lib: Any) -> None:
        self.opened_at = time.monotonic()
        self.status_label.setText("Loading the model\u2026")
        self._show_empty("Loading the model\u2026 you can type already.")
        self.refresh_library()

    def _on_model_ready(self, seconds: float) -> None:
        self.model_loaded = True
        self._update_status()
        if self.pending_query is not None:
            self.search_now()
        elif self.view_mode == "search" and not self.results.rowCount():
            self._show_empty("")

    def _on_open_failed(self, exc: BaseException) -> None:
        self.status_label.setText(describe(exc))
        self._show_empty(describe(exc) + "\n\nCheck the model folder and library file in "
                         "File \u2192 Settings.")
        QMessageBox.warning(self, "Likewise", describe(exc))

    def _update_status(self) -> None:
        if self.lib is None:
            return
        c = self.counts
        docs = sum(c.get(s, 0) for s in ("indexed", "encrypted", "no_text", "error"))
        text = f"{c.get('chunks', 0):,} passages in {docs:,} documents"
        if not self.model_loaded:
            text += " \u00b7 loading the model\u2026"
        self.status_label.setText(text)

    # ------------------------------------------------------------------ library data
    def refresh_library(self) -> None:
        lib = self.lib
        if lib is None:
            return

        def work(ctx: TaskContext) -> tuple:
            not_read = [DocumentInfo(-1, path, None, "", 0, 0.0, "not_read", reason, None, 0, None)
                        for path, reason in lib.scan_problems()]
            return lib.folders(), lib.documents() + not_read, lib.status_counts()

        self.runner.run(work, name="refresh library", key="refresh-library",
                        on_done=self._library_loaded)

    def _library_loaded(self, data: tuple) -> None:
        folders, docs, counts = data
        first = not self.folders and self.labels_view.lib is None
        self.folders = folders
        self.dupes_view.set_library(self.lib, folders)
        if first:
            self.labels_view.set_library(self.lib)
        self.counts = counts
        self.library_panel.set_folders(folders)
        self.library_panel.set_documents(docs)
        fill_folder_combo(self.folder_combo, folders)
        if not folders:
            self.search_stack.setCurrentWidget(self.first_run)
        else:
            self.search_stack.setCurrentWidget(self.search_page)
            if self.view_mode == "search" and not self.current_query and not self.results.rowCount():
                self._show_empty(self._idle_hint())
        self._update_status()

    def _idle_hint(self) -> str:
        if not self.counts.get("chunks"):
            return "Your documents are being read. You can search as soon as passages arrive."
        return "Type a question or a phrase. Right-click a result to find similar passages."

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a folder to search", str(Path.home()))
        if path:
            self.add_folder(path)

    def add_folder(self, path: str) -> None:
        lib = self.lib
        if lib is None:
            self.status_label.setText("The library is still opening; try again in a moment.")
            return
        follow = self.settings.follow_links
        self.runner.run(lambda ctx: lib.add_folder(path, follow_links=follow), name="add folder",
                        on_done=self._folder_added)

    def _folder_added(self, info: Any) -> None:
        self.status_label.setText(f"Added {display_stored(info.path)}; reading its documents\u2026")
        self.search_stack.setCurrentWidget(self.search_page)
        self._show_empty(self._idle_hint())
        self.session.after_folders_changed()

    def remove_folder(self, path: str) -> None:
        answer = QMessageBox.question(
            self, "Remove folder",
            f"Stop watching {path} and remove its documents from the library?\n"
            "The files themselves are not touched.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        lib = self.lib
        self.runner.run(lambda ctx: lib.remove_folder(path), name="remove folder",
                        on_done=lambda n: (self.status_label.setText(
                            f"Removed {path} ({n} documents)"), self.session.after_folders_changed()))

    def pause_folder(self, path: str, paused: bool) -> None:
        lib = self.lib
        self.runner.run(lambda ctx: lib.set_folder_paused(path, paused), name="pause folder",
                        on_done=lambda _r: self.session.after_folders_changed())

    def reindex_document(self, doc: Any) -> None:
        lib = self.lib
        self.runner.run(lambda ctx: lib.reindex_document(doc.id), name="re-index",
                        on_done=lambda _r: (self.status_label.setText(
                            f"{os.path.basename(display_stored(doc.path))} will be read again"),
                            self.session.after_folders_changed()))

    def index_now(self) -> None:
        if self.lib is None:
            return
        if self.lib.is_watching:
            self.runner.run(lambda ctx: self.lib.request_reconcile(), name="reconcile")
        else:
            self.session.resume_indexing()

    def show_repeated(self, doc: Any) -> None:
        """A document's "Show its repeated paragraphs"."""
        self.tabs.setCurrentWidget(self.dupes_view)
        self.dupes_view.show_document(doc.id, doc.path)

    def _tab_changed(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if widget is self.labels_view and self.lib is not None:
            self.labels_view.set_library(self.lib)
        elif widget is self.dupes_view and self.lib is not None:
            self.dupes_view.refresh()

    def open_train_dialog(self) -> None:
        if self.lib is None:
            return
        dlg = TrainDialog(self.runner, self.lib, self)
        dlg.activated.connect(self._model_activated)
        dlg.show()
        self._extra_views["train"] = dlg

    def _model_activated(self, model_id: int, now: bool) -> None:
        if now:
            self.status_label.setText("The new model is active.")
        else:
            self.status_label.setText("Re-encoding the library with the new model; search uses "
                                      "the current one until it is done.")
            self.session.after_folders_changed()

    # ------------------------------------------------------------------ progress
    def _on_progress(self, p: Any) -> None:
        if self.shutting_down:
            return
        self.progress.set_progress(p)
        if self._details is not None and self._details.isVisible():
            self._details.update_from(p)
        if p.phase in ("done", "cancelled"):
            self.refresh_library()

    def _on_index_finished(self, report: Any) -> None:
        if report.failures:
            self.notice.add(list(report.failures))
        if self.view_mode == "search" and self.current_query and not self.results.rowCount():
            self.search_now()

    def _on_indexing_stopped(self, stopped: bool) -> None:
        if stopped:
            self.progress.set_stopped(self.counts.get("queued", 0))
            self.refresh_library()
        else:
            self.progress.set_idle()

    def show_progress_details(self) -> None:
        if self._details is None:
            self._details = ProgressDetails(self)
        self._details.update_from(self.progress.last)
        self._details.show()
        self._details.raise_()

    def show_failures(self) -> None:
        dlg = FailuresDialog(self.notice.failures, self)
        dlg.show()

    def _show_problem_documents(self) -> None:
        self.tabs.setCurrentWidget(self.library_panel)
        self.library_panel.show_problems()

    # ------------------------------------------------------------------ searching
    def focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.search_stack)
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def filters(self) -> SearchFilters | None:
        """The filters chosen above the results (None when there are none)."""
        days = self.date_combo.currentData()
        exts = self.type_combo.currentData()
        f = SearchFilters(
            folder=self.folder_combo.currentData() or None,
            file_types=list(exts) if exts else None,
            modified_after=time.time() - days * 86400 if days else None,
            ocr=self.ocr_combo.currentData(),
        )
        return None if f.is_empty() else f

    def _filters_changed(self) -> None:
        if self.view_mode == "similar" and self.similar_source is not None:
            self.find_similar_passages(self.similar_source)
        elif self.current_query:
            self.search_now()

    def set_query(self, text: str, mode: str | None = None) -> None:
        """Type ``text`` into the search field (used by tests and screenshots)."""
        if mode is not None:
            self.mode_combo.setCurrentIndex(max(self.mode_combo.findData(mode), 0))
        self.search_edit.setText(text)
        self.search_timer.start()

    def search_now(self) -> None:
        self.search_timer.stop()
        query = self.search_edit.text().strip()
        self.current_query = query
        self.view_mode = "search"
        self.similar_source = None
        if not query:
            self.pending_query = None
            self.runner.run(lambda ctx: None, key="search")   # drops a search in flight
            self.results.clear()
            self.preview.show_nothing()
            self.header.setText("")
            self._show_empty(self._idle_hint() if self.lib is not None else "")
            return
        lib = self.lib
        if lib is None or not self.model_loaded:
            self.pending_query = query
            self.header.setText("")
            self._show_empty("Loading the model\u2026 your search will run in a moment.")
            return
        self.pending_query = None
        mode = self.mode_combo.currentData()
        filters = self.filters()
        grouped = self.group_check.isChecked()
        started = time.monotonic()

        def work(ctx: TaskContext) -> list:
            # First without best sentences (they cost one encoder pass over the results'
            # sentences): the list appears at once, the highlights follow.
            return lib.search(query, mode=mode, k=RESULTS_K, filters=filters,
                              group_by_document=grouped, snippets=False)

        def shown(results: list) -> None:
            self._show_search(query, results, time.monotonic() - started)
            if results:
                def with_snippets(ctx: TaskContext) -> list:
                    # Copies: the rows on screen are not touched off the UI thread.
                    copies = [dataclasses.replace(r) for r in results]
                    lib.add_best_sentences(copies, query)
                    return copies

                self.runner.run(with_snippets, name="best sentences", key="search",
                                on_done=lambda full: self._add_snippets(query, full),
                                on_error=lambda _e: self.results_shown.emit("search"))
            else:
                self.results_shown.emit("search")

        self.header.setText("Searching\u2026")
        self.runner.run(work, name="search", key="search", on_done=shown,
                        on_error=self._search_failed)

    def _search_failed(self, exc: BaseException) -> None:
        self.header.setText("")
        self._show_empty(describe(exc))

    def _show_search(self, query: str, results: list, seconds: float) -> None:
        self._set_rows([Row(RESULT, r) for r in results])
        n = len(results)
        self.header.setText(f"{n} passage{'s' if n != 1 else ''} \u00b7 {seconds * 1000:.0f} ms")
        if not results:
            self._show_empty(f"Nothing found for \u201c{query}\u201d. Try other words, or the "
                             "Meaning mode.")

    def _add_snippets(self, query: str, full: list) -> None:
        """Best sentences computed for the results shown: copy them onto the rows."""
        if self.view_mode != "search" or self.current_query != query:
            return
        spans = {r.chunk_id: r.best_sentence for r in full}
        for row in self.results.rows:
            if row.result.chunk_id in spans:
                row.result.best_sentence = spans[row.result.chunk_id]
        self.delegate.clear_cache()
        self.results.layoutAboutToBeChanged.emit()
        self.results.layoutChanged.emit()
        current = self.list.currentIndex()
        if current.isValid():
            self._current_changed(current, current)
        self.results_shown.emit("search")

    def _set_rows(self, rows: list[Row]) -> None:
        self.delegate.clear_cache()
        self.results.set_rows(rows)
        self.list_stack.setCurrentWidget(self.list)
        if rows:
            self.list.scrollToTop()
            first = 1 if rows[0].kind == SOURCE and len(rows) > 1 else 0
            self.list.setCurrentIndex(self.results.index(first))
        else:
            self.preview.show_nothing()

    def _show_empty(self, text: str) -> None:
        self.results.clear()
        self.empty_label.setText(text)
        self.list_stack.setCurrentWidget(self.empty_label)

    # ------------------------------------------------------------------ find similar
    def find_similar_passages(self, result: Any) -> None:
        lib = self.lib
        if lib is None or getattr(result, "chunk_id", None) is None:
            return
        chunk_id = result.chunk_id
        filters = self.filters()
        self.tabs.setCurrentWidget(self.search_stack)

        def work(ctx: TaskContext) -> tuple:
            source = chunk_as_result(lib.chunk(chunk_id))
            found = lib.similar_to_chunk(chunk_id, k=RESULTS_K, same_document=False,
                                         filters=filters)
            return source, found

        self.header.setText("Finding similar passages\u2026")
        self.runner.run(work, name="find similar", key="search", on_done=self._show_similar,
                        on_error=self._search_failed)

    def _show_similar(self, data: tuple) -> None:
        source, found = data
        self.view_mode = "similar"
        self.similar_source = source
        self.current_query = ""
        self.search_edit.clear()
        self._set_rows([Row(SOURCE, source)] + [Row(RESULT, r) for r in found])
        self.header.setText(f"{len(found)} similar passages in other documents")
        self.results_shown.emit("similar")

    def find_similar_documents(self, doc_id: int, path: str = "") -> None:
        lib = self.lib
        if lib is None:
            return
        self.tabs.setCurrentWidget(self.search_stack)

        def work(ctx: TaskContext) -> tuple:
            doc = lib.document(doc_id)
            found = []
            for sim in lib.similar_documents(doc_id, k=RESULTS_K):
                r = document_as_result(sim, lib.chunk(sim.pairs[0][1]) if sim.pairs else None)
                found.append(r)
            return doc, found

        self.header.setText("Finding similar documents\u2026")
        self.runner.run(work, name="find similar documents", key="search",
                        on_done=self._show_similar_documents, on_error=self._search_failed)

    def _show_similar_documents(self, data: tuple) -> None:
        doc, found = data
        self.view_mode = "similar_docs"
        self.similar_source = None
        self.current_query = ""
        self.search_edit.clear()
        source = SearchResult(-1, doc.id, doc.path, doc.title, None, None, None,
                              f"{doc.chunks} passages \u00b7 {doc.pages or '?'} pages", 1.0)
        rows = [Row(SOURCE, source)] + [Row(DOCUMENT, r) for r in found]
        self._set_rows(rows)
        self.header.setText(f"{len(found)} similar documents")
        self.results_shown.emit("similar_docs")

    # ------------------------------------------------------------------ preview
    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        r = current.data(ResultRole) if current.isValid() else None
        if r is None:
            self.preview.show_nothing()
            return
        self.preview.show_result(r)
        lib = self.lib
        chunk_id = getattr(r, "chunk_id", None)
        if lib is None or chunk_id is None or chunk_id < 0:
            return

        def work(ctx: TaskContext) -> tuple:
            return lib.neighbours(chunk_id, before=1, after=1), lib.document(r.document_id)

        self.runner.run(work, name="preview", key="preview",
                        on_done=lambda data: self._preview_loaded(r, data),
                        on_error=lambda exc: None)

    def _preview_loaded(self, r: Any, data: tuple) -> None:
        if self.preview.result is not r:
            return
        neighbours, doc = data
        self.preview.show_result(r, neighbours, doc)

    # ------------------------------------------------------------------ result actions
    def _activated(self, index: QModelIndex) -> None:
        r = index.data(ResultRole)
        if r is not None:
            self.open_result(r, at_page=True)

    def _open_path(self, path: str, page: int | None) -> None:
        if not viewer.open_document(path, page):
            self.status_label.setText(f"Could not open {display_stored(path)}")

    def open_result(self, r: Any, at_page: bool = True) -> None:
        self._open_path(r.path, r.page_start if at_page else None)

    def reveal_result(self, r: Any) -> None:
        if not viewer.reveal(r.path):
            self.status_label.setText(f"Could not show {display_stored(r.path)} in its folder")

    def _result_menu_at(self, pos: Any) -> None:
        index = self.list.indexAt(pos)
        if not index.isValid():
            return
        self.list.setCurrentIndex(index)
        menu = self.result_menu(index.data(ResultRole))
        menu.popup(self.list.viewport().mapToGlobal(pos))

    def result_menu(self, r: Any) -> QMenu:
        """The context menu of a result (built on demand; tests trigger its actions)."""
        menu = QMenu(self)
        has_chunk = getattr(r, "chunk_id", None) is not None and r.chunk_id >= 0
        a = menu.addAction("Find similar passages")
        a.setEnabled(has_chunk)
        a.triggered.connect(lambda: self.find_similar_passages(r))
        menu.addAction("Find similar documents").triggered.connect(
            lambda: self.find_similar_documents(r.document_id, r.path))
        menu.addSeparator()
        menu.addAction("Open").triggered.connect(lambda: self.open_result(r, at_page=False))
        page = menu.addAction(f"Open at page {r.page_start}" if r.page_start else "Open at page")
        page.setEnabled(r.page_start is not None)
        page.triggered.connect(lambda: self.open_result(r, at_page=True))
        menu.addAction("Show in folder").triggered.connect(lambda: self.reveal_result(r))
        menu.addSeparator()
        menu.addAction("Copy text").triggered.connect(
            lambda: QGuiApplication.clipboard().setText(r.text))
        menu.addAction("Copy path").triggered.connect(
            lambda: QGuiApplication.clipboard().setText(display_stored(r.path)))
        if has_chunk and self.view_mode == "search" and self.current_query:
            menu.addSeparator()
            menu.addAction("Mark relevant").triggered.connect(lambda: self.mark_relevant(r, True))
            menu.addAction("Mark not relevant").triggered.connect(
                lambda: self.mark_relevant(r, False))
        elif (has_chunk and self.view_mode == "similar" and self.similar_source is not None
              and r.chunk_id != self.similar_source.chunk_id):
            menu.addSeparator()
            menu.addAction("Mark similar").triggered.connect(lambda: self.mark_similar(r, True))
            menu.addAction("Mark not similar").triggered.connect(lambda: self.mark_similar(r, False))
        return menu

    def mark_relevant(self, r: Any, relevant: bool) -> None:
        lib, query = self.lib, self.current_query
        word = "relevant" if relevant else "not relevant"
        self.runner.run(lambda ctx: lib.label_relevance(query, r.chunk_id, relevant),
                        name="label", lane=WRITE,
                        on_done=lambda _id: (self.status_label.setText(
                            f"Marked {word} for \u201c{query}\u201d (a labelled pair for training)"),
                            self.labels_view.refresh()))

    def mark_similar(self, r: Any, similar: bool) -> None:
        lib, source = self.lib, self.similar_source
        if source is None:
            return
        word = "similar" if similar else "not similar"
        self.runner.run(lambda ctx: lib.label_pair(source.chunk_id, r.chunk_id, similar),
                        name="label", lane=WRITE,
                        on_done=lambda _id: self.status_label.setText(
                            f"Marked {word} (a labelled pair for training)"))

    # ------------------------------------------------------------------ settings, about, errors
    def open_settings(self) -> None:
        dlg = SettingsDialog(self.settings, self)
        if dlg.exec() != SettingsDialog.DialogCode.Accepted:
            return
        restart = dlg.needs_restart()
        new = dlg.result_settings()
        try:
            new.save()
        except OSError as exc:
            QMessageBox.warning(self, "Likewise", f"The settings could not be saved: {exc}")
            return
        ocr_on = new.ocr_enabled and not self.settings.ocr_enabled
        self.settings.__dict__.update(new.__dict__)
        if ocr_on and self.lib is not None:
            lib = self.lib
            self.runner.run(lambda ctx: lib.reread_scans(), name="read scans",
                            on_done=lambda _n: self.session.after_folders_changed())
        msg = "Settings saved."
        if restart:
            msg += " Restart Likewise for them to take effect."
        self.status_label.setText(msg)

    def _about(self) -> None:
        QMessageBox.about(self, "About Likewise",
                          "<b>Likewise</b><br>Find passages alike across your own documents, "
                          "on your own machine.<br>Sentence-BERT bi-encoder, SQLite, Qt.")

    def show_error(self, exc: BaseException, name: str = "") -> None:
        self.status_label.setText(describe(exc))

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: Any) -> None:
        if self.shutdown_done:
            event.accept()
            return
        event.ignore()
        if self.shutting_down:
            return
        self.shutting_down = True
        self.status_label.setText("Closing: stopping the indexer and saving the library\u2026")
        self.progress.set_idle()
        self.centralWidget().setEnabled(False)
        self.session.close()
        QTimer.singleShot(20_000, self._force_close)

    def _on_session_closed(self) -> None:
        self.runner.shutdown(timeout_s=2)
        self.shutdown_done = True
        self.closed_cleanly.emit()
        self.close()

    def _force_close(self) -> None:
        if not self.shutdown_done:
            self.shutdown_done = True
            self.close()
