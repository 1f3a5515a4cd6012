"""The main window: search (as you type), results with highlights, preview, find
similar, the library, progress and settings. Every call into the engine goes through
the TaskRunner (app/gui/tasks.py); this module only arranges widgets and callbacks."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui import viewer
from app.gui.documents_model import unsupported_rows
from app.gui.dupes_view import DupesView
from app.gui.errors import describe
from app.gui.first_run import FirstRunPage
from app.gui.gc_main_thread import MainThreadCollector
from app.gui.labels_view import LabelsView
from app.gui.library_panel import LibraryPanel
from app.gui.library_watch import LibraryWatch
from app.gui.menus import build_menus
from app.gui.progress import FailureNotice, FailuresDialog, ProgressDetails, ProgressWidget
from app.gui.rebuild_offer import offer_rebuild, rebuilt_text
from app.gui.resources import app_icon
from app.gui.search_page import SearchPage
from app.gui.session import LibrarySession
from app.gui.settings_dialog import SettingsDialog
from app.gui.tasks import NoLibrary, TaskContext, TaskRunner
from app.gui.train_dialog import TrainDialog
from app.gui.widgets import fill_folder_combo
from app.progress_text import by_meaning_text
from core.changes import DOCUMENTS, EXCLUSIONS, FOLDERS, QUEUE
from core.errors import LibraryUnusableError
from core.pathnames import display_stored
from core.search.filters import SearchFilters
from core.settings import Settings
from core.types import DocumentInfo

if TYPE_CHECKING:  # pragma: no cover
    from core.library import Library

FLASH_MS = 12_000      # how long a message stays in the status bar


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
        self.collector = MainThreadCollector(self)      # before any worker thread starts
        self.settings = settings or Settings.load()
        # once closing has begun, no new work reaches the library (it is being closed)
        self.runner = TaskRunner(self, library=lambda: None if self.session.closing else self.session.lib)
        self.runner.error.connect(lambda exc, name: self.show_error(exc, name))
        self.session = LibrarySession(self.runner, self.settings, library_path, model_path,
                                      watch=watch, watch_options=watch_options)
        self.folders: list[Any] = []
        self.counts: dict[str, int] = {}
        self.shutdown_done = False
        self.shutting_down = False
        self.opened_at: float | None = None
        self.model_wait_text = "loading the model\u2026"     # what the status line says meanwhile
        self.preparing_hint: str | None = None   # in place of results while the first export runs
        self._details: ProgressDetails | None = None
        self.open_problem_dialog: QMessageBox | None = None   # a damaged library's offer
        self.rebuild_notice: QMessageBox | None = None        # what the rebuild kept and did
        self._extra_views: dict[str, Any] = {}
        self.setWindowTitle("Likewise")
        self.setWindowIcon(app_icon())
        self.resize(1180, 760)
        self.status_label = QLabel("")
        self._flash_timer = QTimer(self)     # messages give way to the counts after a while
        self._flash_timer.setSingleShot(True)
        self._flash_timer.setInterval(FLASH_MS)
        self._flash_timer.timeout.connect(self._end_flash)
        self._build_search_page()
        self._build_layout()
        build_menus(self)
        self._connect_session()
        self._follow_changes()
        self.library_watch = LibraryWatch(self.runner, parent=self)
        self.library_watch.changed.connect(self._library_moved)
        self._show_loading("Opening your library\u2026")

    # ------------------------------------------------------------------ construction
    def _build_search_page(self) -> None:
        page = SearchPage(self.runner, self._idle_hint, self)
        page.results_shown.connect(self.results_shown)
        page.status.connect(self.flash_status)
        page.show_me.connect(self._show_search_tab)
        page.add_folder_requested.connect(self.add_folder)
        self.search_page = page
        # The parts of the Search tab that the window's users (tests, screenshots) reach.
        self.search_edit, self.mode_combo = page.search_edit, page.mode_combo
        self.results, self.list, self.preview = page.results, page.list, page.preview
        self.header, self.empty_label = page.header, page.empty_label

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
        lp.exclusions_requested.connect(self.open_exclusions)
        lp.copies_btn.clicked.connect(self.open_copies)
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
        self.dupes_view.status.connect(self.flash_status)
        self.labels_view = LabelsView(self.runner)
        self.labels_view.status.connect(self.flash_status)
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

        # the counts give way to the indexing line when both do not fit (the line is what
        # is happening now; the counts come back when it ends)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.status_label, 1)
        self.progress = ProgressWidget()
        self.statusBar().addPermanentWidget(self.progress)
        self.progress.pause_toggled.connect(self.session.set_paused)
        self.progress.stop_clicked.connect(self.session.stop_indexing)
        self.progress.resume_clicked.connect(self.session.resume_indexing)
        self.progress.details_clicked.connect(self.show_progress_details)

    def _connect_session(self) -> None:
        s = self.session
        s.opened.connect(self._on_opened)
        s.open_failed.connect(self._on_open_failed)
        s.rebuilt.connect(self._on_rebuilt)
        s.model_ready.connect(self._on_model_ready)
        s.model_preparing.connect(self._on_model_preparing)
        s.progress.connect(self._on_progress)
        s.index_finished.connect(self._on_index_finished)
        s.indexing_stopped.connect(self._on_indexing_stopped)
        s.watch_event.connect(self._on_watch_event)
        s.closed.connect(self._on_session_closed)

    # ------------------------------------------------------------------ startup
    def start(self) -> None:
        """Open the library in the background (call after show())."""
        self.session.open()

    @property
    def lib(self) -> Library | None:
        return self.session.lib

    def _show_loading(self, text: str) -> None:
        self.status_label.setText(text)
        self.search_edit.setEnabled(True)
        self.search_stack.setCurrentWidget(self.search_page)
        self.search_page.show_message(text)

    def _on_opened(self, lib: Library) -> None:
        self.opened_at = time.monotonic()
        self.library_watch.start()
        self.status_label.setText("Loading the model\u2026")
        self.search_page.show_message("Loading the model\u2026 you can type already.")
        self.refresh_library()

    def _on_model_preparing(self, m: Any) -> None:
        """First use of a model: its int8 export (a minute or more) says what it does."""
        self.model_wait_text = (f"first start: preparing the model for this computer, step {m.step} of "
                                f"{m.total}: {m.text}\u2026")
        self._update_status()
        self.preparing_hint = (
            f"Preparing the model for this computer (once, about a minute): step {m.step} of {m.total}, "
            f"{m.text}.\nKeyword search works already; Meaning and Hybrid run as soon as it is done.")
        if self.search_page.view_mode == "search" and not self.search_page.results.rowCount():
            self.search_page.show_message(self.preparing_hint)

    def _on_model_ready(self, seconds: float) -> None:
        self.preparing_hint = None
        self.search_page.model_loaded = True
        self._update_status()
        self.search_page.model_ready()

    def _on_open_failed(self, exc: BaseException) -> None:
        self.status_label.setText(describe(exc))
        if isinstance(exc, LibraryUnusableError):
            self.search_page.show_message(describe(exc))
            self.open_problem_dialog = offer_rebuild(self, exc, self.session.rebuild)
            return
        self.search_page.show_message(describe(exc) + "\n\nCheck the model folder and library file in "
                         "File \u2192 Settings.")
        QMessageBox.warning(self, "Likewise", describe(exc))

    def _on_rebuilt(self, info: Any) -> None:
        self.open_problem_dialog = None
        self.rebuild_notice = QMessageBox(QMessageBox.Icon.Information, "Likewise",
                                          rebuilt_text(info), parent=self)
        self.rebuild_notice.open()   # not modal to the app: indexing starts behind it

    def flash_status(self, text: str) -> None:
        """A message in the status bar that gives way to the library's counts after a while."""
        self.status_label.setText(text)
        self._flash_timer.start()

    def _end_flash(self) -> None:
        self._update_status()

    def _update_status(self) -> None:
        if self.lib is None or self._flash_timer.isActive():
            return       # a message is showing; the counts come back when it expires
        c = self.counts
        text = f"{c.get('chunks', 0):,} passages in {c.get('documents', 0):,} documents"
        if c.get("unreadable"):
            text += f" \u00b7 {c['unreadable']:,} not readable"
        meaning = by_meaning_text(c)
        if meaning:
            text += f" \u00b7 {meaning}"       # "by meaning: 42 % of passages"
        if not self.model_loaded:
            text += " \u00b7 " + self.model_wait_text
        self.status_label.setText(text)

    # ------------------------------------------------------------------ library data
    def refresh_library(self) -> None:
        def work(lib: Library, ctx: TaskContext) -> tuple:
            not_read = [DocumentInfo(-1, path, None, "", 0, 0.0, "not_read", reason, None, 0, None)
                        for path, reason in lib.indexer.reconciler.scan_problems()]
            unsupported = unsupported_rows(lib.indexer.reconciler.unsupported())
            return lib.folders(), lib.catalog.documents() + not_read + unsupported, lib.status_counts()

        self.runner.with_library(work, name="refresh library", key="refresh-library",
                                 on_done=self._library_loaded)

    def _library_loaded(self, data: tuple) -> None:
        folders, docs, counts = data
        self.folders = folders
        self.dupes_view.set_folders(folders)
        self.counts = counts
        self.library_panel.set_folders(folders)
        self.library_panel.set_documents(docs)
        self.runner.call("exclusion_counts", key="exclusion-counts", on_done=self.library_panel.set_exclusions)
        fill_folder_combo(self.search_page.folder_combo, folders)
        if not folders:
            self.search_stack.setCurrentWidget(self.first_run)
        else:
            self.search_stack.setCurrentWidget(self.search_page)
            self.search_page.show_hint_if_idle()
        if not self._flash_timer.isActive():   # a message (an error) stays its while
            self._update_status()

    def _idle_hint(self) -> str:
        if self.preparing_hint is not None:     # a refresh keeps what the first start says
            return self.preparing_hint
        if not self.counts.get("chunks"):
            return "Your documents are being read. You can search as soon as passages arrive."
        return "Type a question or a phrase. Right-click a result to find similar passages."

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a folder to search", str(Path.home()))
        if path:
            self.add_folder(path)

    def add_folder(self, path: str) -> None:
        self.runner.call("add_folder", path, follow_links=self.settings.follow_links,
                         on_done=self._folder_added, on_error=self.show_error)

    def _folder_added(self, info: Any) -> None:
        self.flash_status(f"Added {display_stored(info.path)}; reading its documents\u2026")
        self.search_stack.setCurrentWidget(self.search_page)
        self.search_page.show_message(self._idle_hint())

    def remove_folder(self, path: str) -> None:
        answer = QMessageBox.question(
            self, "Remove folder",
            f"Stop watching {path} and remove its documents from the library?\n"
            "The files themselves are not touched.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.runner.call("catalog.remove_folder", path,
                         on_done=lambda n: self.flash_status(f"Removed {path} ({n} documents)"))

    def open_exclusions(self, selected: str | None) -> None:
        """The folder settings' exclusions (app/gui/exclusions_dialog.py)."""
        from app.gui.exclusions_dialog import ExclusionsDialog

        dialog = ExclusionsDialog(self.runner, self.folders, selected, self)
        dialog.status.connect(self.flash_status)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def open_copies(self) -> None:
        """The same file in several places (app/gui/copies_dialog.py)."""
        from app.gui.copies_dialog import CopiesDialog

        dialog = CopiesDialog(self.runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def pause_folder(self, path: str, paused: bool) -> None:
        self.runner.call("catalog.set_folder_paused", path, paused)

    def reindex_document(self, doc: Any) -> None:
        self.runner.call("indexer.reindex_document", doc.id, on_done=lambda _r: self.flash_status(
            f"{os.path.basename(display_stored(doc.path))} will be read again"))

    def index_now(self) -> None:
        """Index now: a watcher scans again; without one, the indexing runs (resumed if stopped)."""
        if self.lib is not None and self.lib.watching.is_watching:
            self.runner.call("watching.request_reconcile")
        else:
            self.session.resume_indexing()

    def _reconcile_if_watched(self) -> None:
        """Exclusions changed: a watcher scans again (without one, the queue's indexing does)."""
        lib = self.lib
        if lib is not None and lib.watching.is_watching:
            self.runner.call("watching.request_reconcile")

    def show_repeated(self, doc: Any) -> None:
        """A document's "Show its repeated paragraphs"."""
        self.tabs.setCurrentWidget(self.dupes_view)
        self.dupes_view.show_document(doc.id, doc.path)

    def _tab_changed(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if widget is self.labels_view:
            self.labels_view.reload()
        elif widget is self.dupes_view:
            self.dupes_view.refresh()

    def open_train_dialog(self) -> None:
        dlg = TrainDialog(self.runner, self)
        dlg.activated.connect(self._model_activated)
        dlg.show()
        self._extra_views["train"] = dlg

    def _model_activated(self, model_id: int, now: bool) -> None:
        if now:
            self.flash_status("The new model is active.")
        else:
            self.flash_status("Re-encoding the library with the new model; search uses "
                                      "the current one until it is done.")

    # ------------------------------------------------------------------ progress
    def _on_progress(self, p: Any) -> None:
        if self.shutting_down:
            return
        self.progress.set_progress(p)
        if p.phase in ("done", "cancelled") and self.session.stopped_by_user:
            # the stopped run's last report: "Resume indexing" stays offered
            self.progress.set_stopped(self.counts.get("queued", 0))
        if self._details is not None and self._details.isVisible():
            self._details.update_from(p)
        if p.phase in ("done", "cancelled"):
            self.refresh_library()

    def _on_index_finished(self, report: Any) -> None:
        if report.failures:
            self.notice.add(list(report.failures))
        self.search_page.search_again_if_empty()

    def _on_watch_event(self, event: Any) -> None:
        if event.kind == "error" and event.error is not None:
            self.show_error(event.error)   # e.g. a full disk: the watcher tries again later

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

    def _follow_changes(self) -> None:
        """What the window's own writes changed (each view subscribes to its own kinds)."""
        self.runner.subscribe(self, {FOLDERS, DOCUMENTS, EXCLUSIONS}, self.refresh_library)
        self.runner.subscribe(self, {QUEUE}, self.session.index_if_unwatched)
        self.runner.subscribe(self, {EXCLUSIONS}, self._reconcile_if_watched)

    def _library_moved(self) -> None:
        """Something was committed to the library (by any task of this window, the indexer,
        or another process): the status line, the library lists and the tab in view follow."""
        self.refresh_library()
        current = self.tabs.currentWidget()
        if current is self.labels_view:
            self.labels_view.models.refresh()
        elif current is self.dupes_view:
            self.dupes_view.refresh()

    # ------------------------------------------------------------------ the Search tab
    def _show_search_tab(self) -> None:
        self.tabs.setCurrentWidget(self.search_stack)

    @property
    def model_loaded(self) -> bool:
        return self.search_page.model_loaded

    def focus_search(self) -> None:
        self.search_page.focus_search()

    def filters(self) -> SearchFilters | None:
        return self.search_page.filters()

    def set_query(self, text: str, mode: str | None = None) -> None:
        """Type ``text`` into the search field (used by tests and screenshots)."""
        self.search_page.set_query(text, mode)

    def search_now(self) -> None:
        self.search_page.search_now()

    def find_similar_passages(self, result: Any) -> None:
        self.search_page.find_similar_passages(result)

    def find_similar_documents(self, doc_id: int, path: str = "") -> None:
        self.search_page.find_similar_documents(doc_id, path)

    def find_similar_to_file(self, path: str) -> None:
        self.search_page.find_similar_to_file(path)

    def take_request(self, request: dict) -> None:
        """A second launch on this library handed its request over (app/gui/single_instance.py):
        this window comes to the front and shows what was asked for."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()
        similar = request.get("similar")
        if isinstance(similar, str) and similar:
            self._show_search_tab()
            self.find_similar_to_file(similar)

    def result_menu(self, r: Any) -> QMenu:
        """The context menu of a result (built on demand; tests trigger its actions)."""
        return self.search_page.result_menu(r)

    def _open_path(self, path: str, page: int | None) -> None:
        self.search_page.open_path(path, page)

    # ------------------------------------------------------------------ settings, about, errors
    def open_settings(self) -> None:
        """The dialog shows which model version search uses; the versions are read off the
        UI thread first (a few milliseconds), so the dialog opens once they are here."""
        if self.runner.call("versions.models", key="settings-models", on_done=self._settings_dialog) is None:
            self._settings_dialog(None)      # the library is still opening

    def show_model_versions(self) -> None:
        """The Labels tab, scrolled to its list of model versions."""
        self.tabs.setCurrentWidget(self.labels_view)
        self.labels_view.models.refresh()
        self.labels_view.models.tree.setFocus()

    def _settings_dialog(self, models: list | None) -> None:
        dlg = SettingsDialog(self.settings, self, models=models, manage=self.show_model_versions)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._extra_views["settings"] = dlg
        dlg.accepted.connect(lambda: self._settings_saved(dlg))
        dlg.open()      # window-modal, without a nested event loop

    def _settings_saved(self, dlg: SettingsDialog) -> None:
        restart = dlg.needs_restart()
        new = dlg.result_settings()
        try:
            new.save()
        except OSError as exc:
            QMessageBox.warning(self, "Likewise", f"The settings could not be saved: {exc}")
            return
        ocr_on = new.ocr_enabled and not self.settings.ocr_enabled
        self.settings.__dict__.update(new.__dict__)
        if ocr_on:      # scanned files left without text are read again
            self.runner.call("indexer.reread_scans")
        msg = "Settings saved."
        if restart:
            msg += " Restart Likewise for them to take effect."
        self.flash_status(msg)

    def show_error(self, exc: BaseException, name: str = "") -> None:
        self.flash_status(str(exc).capitalize() + "." if isinstance(exc, NoLibrary) else describe(exc))

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: Any) -> None:
        if self.shutdown_done:
            event.accept()
            return
        event.ignore()
        if self.shutting_down:
            return
        self.shutting_down = True
        self.library_watch.stop()
        self.status_label.setText("Closing: stopping the indexer and saving the library\u2026")
        self.progress.set_idle()
        central = self.centralWidget()
        if central is not None:
            central.setEnabled(False)
        self.session.close()
        QTimer.singleShot(20_000, self._force_close)

    def _on_session_closed(self) -> None:
        self.runner.shutdown(timeout_s=2)
        self.collector.release()
        self.shutdown_done = True
        self.closed_cleanly.emit()
        self.close()

    def _force_close(self) -> None:
        if not self.shutdown_done:
            self.shutdown_done = True
            self.close()
