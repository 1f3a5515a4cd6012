"""The Search tab: the search field and its filters, the results list, the preview,
find similar (passages and documents) and the actions on a result.

Every call into the engine goes through the window's TaskRunner, which also gives the
library (``runner.library()``): searches are queries (``runner.query``); labelling a
result is ``runner.call("label_table.label_pair", ...)``, a write that says itself what it changed.
What the window must do in turn (show a status line, switch to this tab) is told through
signals.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui import viewer
from app.gui.errors import describe
from app.gui.label_marks import refresh_marks
from app.gui.preview import PreviewPane, slide_of
from app.gui.results import DOCUMENT, RESULT, SOURCE, ResultDelegate, ResultRole, ResultsModel, Row
from app.gui.search_keys import SearchKeys
from app.gui.similar_file_rows import similar_file_rows, source_row
from app.gui.similarity_words import alike_summary, calibrate_passages, chunk_as_result, document_as_result
from app.gui.tasks import TaskContext, TaskRunner
from core.changes import LABELS
from core.pathnames import display_stored
from core.search.filters import SearchFilters
from core.search.snippets import by_words
from core.types import SearchResult
from core.words import count

if TYPE_CHECKING:  # pragma: no cover
    from core.library import Library

MODES = [("hybrid", "Hybrid"), ("dense", "Meaning"), ("keyword", "Keywords")]
TYPES = [(None, "All types"), ([".pdf"], "PDF"), ([".docx"], "Word"), ([".txt"], "Text"),
         ([".md", ".markdown"], "Markdown"), ([".pptx"], "Slides"), ([".epub"], "E-books"),
         ([".html", ".htm"], "Web pages"), ([".odt"], "OpenDocument"), ([".rtf"], "RTF"),
         ([".png", ".jpg", ".jpeg", ".tif", ".tiff"], "Images"), ([".eml", ".msg", ".mbox"], "Mail")]
# Passages read by OCR (scanned pages, images): SearchFilters.ocr
SOURCES = [(None, "Any text"), (True, "Scanned (OCR) only"), (False, "Without OCR")]
DATES = [(None, "Any time"), (7, "Past week"), (31, "Past month"), (365, "Past year")]
SEARCH_DELAY_MS = 250
RESULTS_K = 25   # best sentences cost one encoder pass over every result


class SearchPage(QWidget):
    """The Search tab. ``lib`` is the open library (None while it opens)."""

    results_shown = Signal(str)       # what the list now shows: search | similar | similar_docs
    status = Signal(str)              # a line for the window's status bar
    show_me = Signal()                # bring this tab to the front (find similar from elsewhere)
    add_folder_requested = Signal(str)   # "Add its folder" after finding files like an outside file

    def __init__(self, runner: TaskRunner, idle_hint: Callable[[], str],
                 shortcut_parent: QWidget | None = None) -> None:
        super().__init__()
        self.runner = runner
        self.idle_hint = idle_hint
        self.view_mode = "search"             # search | similar | similar_docs
        self.current_query = ""
        self.similar_source: SearchResult | None = None
        self.pending_query: str | None = None
        self.pending_similar_file: str | None = None   # likewise-gui --similar FILE
        self.offered_folder: str | None = None         # its folder, when outside the library
        self.model_loaded = False
        self._build(shortcut_parent or self)
        # a label written anywhere (here, the Labels tab, an import) puts or takes a card's mark
        runner.subscribe(self, {LABELS}, lambda: refresh_marks(self))

    @property
    def lib(self) -> Library | None:
        return self.runner.library()

    # -- told by the window -------------------------------------------------------------
    def model_ready(self) -> None:
        """The encoder is loaded: a search typed meanwhile runs now."""
        self.model_loaded = True
        if self.pending_similar_file is not None:
            self.find_similar_to_file(self.pending_similar_file)
        elif self.pending_query is not None:
            self.search_now()
        elif self.view_mode == "search" and not self.results.rowCount():
            self._show_empty("")

    def show_message(self, text: str) -> None:
        """A line in place of the results (opening, loading, a failure)."""
        self._show_empty(text)

    def show_hint_if_idle(self) -> None:
        if self.view_mode == "search" and not self.current_query and not self.results.rowCount():
            self._show_empty(self.idle_hint())

    def search_again_if_empty(self) -> None:
        """Indexing finished: a search that found nothing may find something now."""
        if self.view_mode == "search" and self.current_query and not self.results.rowCount():
            self.search_now()

    def _build(self, shortcut_parent: QWidget) -> None:
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
        for days, label in DATES:
            self.date_combo.addItem(label, days)
        self.ocr_combo = QComboBox()
        for ocr, label in SOURCES:
            self.ocr_combo.addItem(label, ocr)
        self.ocr_combo.setToolTip("Passages read by OCR from scanned pages and images")
        self.sender_edit = QLineEdit()
        self.sender_edit.setPlaceholderText("From (mail)")
        self.sender_edit.setToolTip("Only mail whose sender's name or address holds this")
        self.sender_edit.setMaximumWidth(160)
        self.sender_edit.setMinimumWidth(120)   # a long header line never squeezes it to "Fr…"
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
        filters.addWidget(self.sender_edit)
        filters.addWidget(self.group_check)
        filters.addStretch(1)
        self.header = _HeaderLabel("")
        self.header.setStyleSheet("color: palette(mid);")
        self.header.setMinimumWidth(1)   # when the row is short, the header is cut (its tooltip holds it all)
        filters.addWidget(self.header)
        self.add_folder_button = QPushButton("Add its folder")   # offered for a file outside the library
        self.add_folder_button.hide()
        self.add_folder_button.clicked.connect(self._add_offered_folder)
        filters.addWidget(self.add_folder_button)

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
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 4)
        lay.addLayout(bar)
        lay.addLayout(filters)
        lay.addWidget(split, 1)

        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.search_now)
        self.search_edit.textEdited.connect(lambda _t: self.search_timer.start())
        self.search_edit.returnPressed.connect(self.search_now)
        for combo in (self.mode_combo, self.folder_combo, self.type_combo, self.date_combo, self.ocr_combo):
            combo.currentIndexChanged.connect(self._filters_changed)
        self.group_check.toggled.connect(self._filters_changed)
        self.sender_edit.editingFinished.connect(self._filters_changed)
        keys = SearchKeys(self)
        self.search_edit.installEventFilter(keys)
        self.list.installEventFilter(keys)
        QShortcut(QKeySequence.StandardKey.Find, shortcut_parent).activated.connect(self.focus_search)
        QShortcut(QKeySequence("Ctrl+L"), shortcut_parent).activated.connect(self.focus_search)

        self.preview.open_requested.connect(lambda r: self.open_result(r, at_page=False))
        self.preview.open_page_requested.connect(lambda r: self.open_result(r, at_page=True))
        self.preview.reveal_requested.connect(self.reveal_result)
        self.preview.similar_requested.connect(self.find_similar_passages)

    # ------------------------------------------------------------------ searching
    def focus_search(self) -> None:
        self.show_me.emit()
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
            sender=self.sender_edit.text().strip() or None,
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
            self.runner.query(lambda ctx: None, key="search")   # drops a search in flight
            self.results.clear()
            self.preview.show_nothing()
            self.header.setText("")
            self._show_empty(self.idle_hint() if self.lib is not None else "")
            return
        lib = self.lib
        mode = self.mode_combo.currentData()
        if lib is None:
            self.pending_query = query
            self.header.setText("")
            self._show_empty("Opening your library\u2026 your search will run in a moment.")
            return
        self.pending_query = None
        if not self.model_loaded and mode != "keyword":
            # Meaning needs the model: the words themselves are searched meanwhile, and the
            # search runs again in the mode chosen once the model is ready (model_ready).
            self.pending_query = query
            mode = "keyword"
        filters = self.filters()
        grouped = self.group_check.isChecked()
        started = time.monotonic()

        def work(ctx: TaskContext) -> list:
            # Best sentences come with the list at no encoding cost: the sentence with the
            # most query words (core/search/snippets.py by_words, about a millisecond per
            # list). The sentences closest in meaning follow in a second step (one encoder
            # pass over the results' sentences) and replace them.
            results = lib.searcher.search(query, mode=mode, k=RESULTS_K, filters=filters,
                                          group_by_document=grouped, snippets=False)
            for r in results:
                r.best_sentence = by_words(r.text, r.word_spans or [])
            return results

        waiting = self.pending_query is not None

        def shown(results: list) -> None:
            self._show_search(query, results, time.monotonic() - started)
            if waiting:
                self.header.setText(self.header.text() + " \u00b7 keywords only until the model is ready")
            if results and not waiting:
                def with_snippets(ctx: TaskContext) -> list:
                    # Copies: the rows on screen are not touched off the UI thread.
                    copies = [dataclasses.replace(r) for r in results]
                    lib.searcher.add_best_sentences(copies, query)
                    return copies

                self.runner.query(with_snippets, name="best sentences", key="search",
                                on_done=lambda full: self._add_snippets(query, full),
                                on_error=lambda _e: self.results_shown.emit("search"))
            else:
                self.results_shown.emit("search")

        self.header.setText("Searching\u2026")
        self.runner.query(work, name="search", key="search", on_done=shown,
                        on_error=self._search_failed)

    def _search_failed(self, exc: BaseException) -> None:
        self.header.setText("")
        self._show_empty(describe(exc))

    def _show_search(self, query: str, results: list, seconds: float) -> None:
        self._set_rows([Row(RESULT, r) for r in results])
        n = len(results)
        self.header.setText(f"{count(n, 'passage')} \u00b7 {seconds * 1000:.0f} ms")
        refresh_marks(self)
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
        self.add_folder_button.hide()
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
        chunk_id = getattr(result, "chunk_id", None)
        if chunk_id is None:
            return
        filters = self.filters()

        def work(lib: Library, ctx: TaskContext) -> tuple:
            source = chunk_as_result(lib.catalog.chunk(chunk_id))
            found = lib.searcher.similar_to_chunk(chunk_id, k=RESULTS_K, same_document=False,
                                                  filters=filters)
            calibrate_passages(found, *lib.discovery.duplicate_thresholds())
            return source, found

        if self.runner.with_library(work, name="find similar", key="search", on_done=self._show_similar,
                                    on_error=self._search_failed) is not None:
            self.show_me.emit()
            self.header.setText("Finding similar passages\u2026")

    def _show_similar(self, data: tuple) -> None:
        source, found = data
        self.view_mode = "similar"
        self.similar_source = source
        self.current_query = ""
        self.search_edit.clear()
        self._set_rows([Row(SOURCE, source)] + [Row(RESULT, r) for r in found])
        self.header.setText(alike_summary(found, "passage", " in other documents"))
        refresh_marks(self)
        self.results_shown.emit("similar")

    def find_similar_documents(self, doc_id: int, path: str = "") -> None:
        def work(lib: Library, ctx: TaskContext) -> tuple:
            doc = lib.catalog.document(doc_id)
            found = []
            thresholds = lib.discovery.duplicate_thresholds()
            for sim in lib.searcher.similar_documents(doc_id, k=RESULTS_K):
                r = document_as_result(sim, lib.catalog.chunk(sim.pairs[0][1]) if sim.pairs else None, thresholds)
                found.append(r)
            return doc, found

        if self.runner.with_library(work, name="find similar documents", key="search",
                                    on_done=self._show_similar_documents, on_error=self._search_failed) is not None:
            self.show_me.emit()
            self.header.setText("Finding similar documents\u2026")

    def find_similar_to_file(self, path: str) -> None:
        """The documents like a file (``likewise-gui --similar FILE``, the desktop's "Find
        similar with Likewise"): one of the library, or any other, read on the spot and
        never saved, with an offer to add its folder. Waits for the model when called early."""
        lib = self.lib
        if lib is None or not self.model_loaded:
            self.pending_similar_file = path
            self.header.setText(f"Documents like {Path(path).name} will show once the model is loaded\u2026")
            return
        self.pending_similar_file = None
        self.show_me.emit()

        def work(ctx: TaskContext) -> Any:
            found = lib.similar_file.similar_to_file(path, k=RESULTS_K)
            return found, *similar_file_rows(lib, found)

        self.header.setText(f"Finding documents like {Path(path).name}\u2026")
        self.runner.query(work, name="find similar to a file", key="search",
                          on_done=self._show_similar_to_file, on_error=self._search_failed)

    def _show_similar_to_file(self, data: tuple) -> None:
        found, rows, header = data
        self.view_mode = "similar_docs"
        self.similar_source = None
        self.current_query = ""
        self.search_edit.clear()
        self._set_rows(rows)
        self.header.setText(header)
        self.offered_folder = found.folder_to_add
        self.add_folder_button.setVisible(found.folder_to_add is not None)
        if found.folder_to_add:
            self.add_folder_button.setToolTip(f"Add {found.folder_to_add} to your library")
        self.results_shown.emit("similar_docs")

    def _add_offered_folder(self) -> None:
        if self.offered_folder:
            self.add_folder_requested.emit(self.offered_folder)
        self.add_folder_button.hide()

    def _show_similar_documents(self, data: tuple) -> None:
        doc, found = data
        self.view_mode = "similar_docs"
        self.similar_source = None
        self.current_query = ""
        self.search_edit.clear()
        rows = [source_row(doc)] + [Row(DOCUMENT, r) for r in found]
        self._set_rows(rows)
        self.header.setText(alike_summary(found, "document"))
        self.results_shown.emit("similar_docs")

    # ------------------------------------------------------------------ preview
    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        r = current.data(ResultRole) if current.isValid() else None
        if r is None:
            self.preview.show_nothing()
            return
        self.preview.show_result(r)
        chunk_id = getattr(r, "chunk_id", None)
        if chunk_id is None or chunk_id < 0:
            return

        def work(lib: Library, ctx: TaskContext) -> tuple:
            return lib.catalog.neighbours(chunk_id, before=1, after=1), lib.catalog.document(r.document_id)

        self.runner.with_library(work, name="preview", key="preview",
                                 on_done=lambda data: self._preview_loaded(r, data), on_error=lambda exc: None)

    def _preview_loaded(self, r: Any, data: tuple) -> None:
        if self.preview.result is not r:
            return
        neighbours, doc = data
        self.preview.show_result(r, neighbours, doc)

    # ------------------------------------------------------------------ result actions
    def _activated(self, index: QModelIndex) -> None:
        r = index.data(ResultRole)
        if r is not None:
            self.open_result(r, at_page=slide_of(r) is None)     # a deck opens as a file

    def open_path(self, path: str, page: int | None) -> None:
        why = viewer.open_document_why(path, page)
        if why:
            self.status.emit(f"Could not open {display_stored(path)}: {why}")
        else:      # replaces an earlier "could not open": that is over
            where = f" at page {page}" if page else ""
            self.status.emit(f"Opened {os.path.basename(display_stored(path))}{where}")

    def open_result(self, r: Any, at_page: bool = True) -> None:
        if at_page and slide_of(r) is not None and self.runner.with_library(   # a slide: shown whole
                lambda lib, ctx: (lib.catalog.chunks_of(r.document_id), lib.catalog.document(r.document_id)),
                name="slide", key="preview", on_done=lambda data: self.preview.show_slide(r, *data)) is not None:
            return
        self.open_path(r.path, r.page_start if at_page else None)

    def reveal_result(self, r: Any) -> None:
        if not viewer.reveal(r.path):
            self.status.emit(f"Could not show {display_stored(r.path)} in its folder")

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
        menu.addAction("Find similar documents").triggered.connect(   # (an outside file: read again)
            lambda: self.find_similar_documents(r.document_id, r.path) if r.document_id >= 0
            else self.find_similar_to_file(r.path))
        menu.addSeparator()
        menu.addAction("Open").triggered.connect(lambda: self.open_result(r, at_page=False))
        slide = slide_of(r)
        page = menu.addAction(f"Show slide {slide}" if slide is not None
                              else f"Open at page {r.page_start}" if r.page_start else "Open at page")
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
            # one word set for labels everywhere: similar (to the question) / not similar
            menu.addAction("Mark similar").triggered.connect(lambda: self.mark_relevant(r, True))
            menu.addAction("Mark not similar").triggered.connect(
                lambda: self.mark_relevant(r, False))
        elif (has_chunk and self.view_mode == "similar" and self.similar_source is not None
              and r.chunk_id != self.similar_source.chunk_id):
            menu.addSeparator()
            menu.addAction("Mark similar").triggered.connect(lambda: self.mark_similar(r, True))
            menu.addAction("Mark not similar").triggered.connect(lambda: self.mark_similar(r, False))
        return menu

    def mark_relevant(self, r: Any, relevant: bool) -> None:
        query = self.current_query
        word = "similar" if relevant else "not similar"
        self.runner.call("label_table.label_relevance", query, r.chunk_id, relevant, on_done=lambda _id: self._marked(
            f"Marked {word} for \u201c{query}\u201d (a labelled pair for training)"))

    def mark_similar(self, r: Any, similar: bool) -> None:
        source = self.similar_source
        if source is None:
            return
        word = "similar" if similar else "not similar"
        self.runner.call("label_table.label_pair", source.chunk_id, r.chunk_id, similar,
                         on_done=lambda _id: self._marked(f"Marked {word} (a labelled pair for training)"))

    def _marked(self, text: str) -> None:
        self.status.emit(text)       # the card's mark follows from the LABELS change


class _HeaderLabel(QLabel):
    """The line above the results: its whole text is also its tooltip, as a short row cuts it."""

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self.setToolTip(text)
