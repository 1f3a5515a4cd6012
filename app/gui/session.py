"""The window's handle on one library: opening it in the background, watching its
folders, and turning the indexer's progress into Qt signals.

The engine's watcher does the indexing (every change goes through the persistent job
queue); the window subscribes to the library's indexing events to learn how far it
got, whichever thread runs it. Nothing in this module blocks the UI thread: every call
into ``core`` goes through the TaskRunner.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.gui.progress_throttle import ProgressThrottle
from app.gui.tasks import READ, WRITE, TaskContext, TaskRunner
from core.changes import DOCUMENTS, FOLDERS, Changes
from core.memory import release_memory
from core.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from core.library import Library


def open_gui_library(settings: Settings, path: Any = None, model_path: Any = None,
                     listener: Any = None) -> Library:
    """Open a Library whose indexing runs report to ``listener`` (called on the
    indexing thread with ("progress", IndexProgress) or ("report", IndexReport))."""
    from core.library import Library

    lib = Library(path=path, settings=settings, model_path=model_path)
    if listener is not None:
        lib.events.index_progress.subscribe(lambda p: listener("progress", p))
        lib.events.index_finished.subscribe(lambda r: listener("report", r))
        lib.events.model_preparing.subscribe(lambda m: listener("preparing", m))
    return lib


class LibrarySession(QObject):
    """Owns the Library object (``lib``, None until opened) for the window."""

    opened = Signal(object)              # the library
    open_failed = Signal(object)         # the exception
    rebuilt = Signal(object)             # core.rebuild.Rebuilt, just before ``opened``
    model_ready = Signal(float)          # seconds the model took to load
    model_preparing = Signal(object)     # core.events.ModelPreparing: first-use work (the int8 export)
    progress = Signal(object)            # IndexProgress (throttled)
    index_finished = Signal(object)      # IndexReport
    watch_event = Signal(object)         # core.watch.status.WatchEvent
    indexing_stopped = Signal(bool)      # True: the user stopped automatic indexing
    closed = Signal()

    def __init__(self, runner: TaskRunner, settings: Settings, path: Any = None,
                 model_path: Any = None, watch: bool = True,
                 watch_options: dict | None = None) -> None:
        super().__init__()
        self.runner = runner
        self.settings = settings
        self.path = path
        self.model_path = model_path
        self.watch = watch
        self.watch_options = dict(watch_options or {})
        self.lib: Library | None = None
        self.last_progress: Any = None
        self.stopped_by_user = False
        self.closing = False
        self._throttle = ProgressThrottle(0.1)
        self._changed_timer = QTimer(self)
        self._changed_timer.setSingleShot(True)
        self._changed_timer.setInterval(700)
        # the indexer's and the watcher's commits reach the views by the runner's one route
        self._changed_timer.timeout.connect(lambda: self.runner.announce(Changes.of(FOLDERS, DOCUMENTS)))
        self._progress_timer = QTimer(self)      # the trailing progress report
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(120)
        self._progress_timer.timeout.connect(self._emit_latest_progress)
        self._raw_progress = _Relay()
        self._raw_progress.message.connect(self._on_listener)

    # -- opening -------------------------------------------------------------------------
    def open(self) -> None:
        def work(ctx: TaskContext) -> Any:
            return open_gui_library(self.settings, self.path, self.model_path, self._raw_progress.send)

        self.runner.run(work, name="open library", lane=WRITE,
                        on_done=self._on_opened, on_error=self.open_failed.emit)

    def rebuild(self, path: Any) -> None:
        """Move the damaged library file at ``path`` aside and open a new library there
        watching the same folders; indexing starts as after any open."""
        def work(ctx: TaskContext) -> Any:
            from core.rebuild import rebuild_library

            return rebuild_library(path, lambda p: open_gui_library(
                self.settings, p, self.model_path, self._raw_progress.send))

        def done(result: Any) -> None:
            lib, info = result
            self.rebuilt.emit(info)
            self._on_opened(lib)
            if not self.watch and not self.closing:
                self.index_now()

        self.runner.run(work, name="rebuild library", lane=WRITE,
                        on_done=done, on_error=self.open_failed.emit)

    def _on_opened(self, lib: Any) -> None:
        if self.closing:
            self.runner.run(lambda ctx: lib.close(), name="close library", lane=WRITE)
            return
        self.lib = lib
        self.runner.library()      # the runner hears the library's changes from now on
        self.opened.emit(lib)
        self._warm_model()
        if self.watch:
            self.start_watching()

    def _warm_model(self) -> None:
        lib = self.lib
        if lib is None:
            return

        def work(ctx: TaskContext) -> float:
            t0 = time.monotonic()
            lib.versions.encoder()
            return time.monotonic() - t0

        self.runner.run(work, name="load model", on_done=self.model_ready.emit)

    # -- watching and indexing -----------------------------------------------------------------
    def start_watching(self) -> None:
        lib = self.lib
        if lib is None:
            return
        self.stopped_by_user = False
        opts = dict(self.watch_options)

        def work(ctx: TaskContext) -> None:
            if not lib.watching.is_watching:
                lib.watching.start_watching(on_event=self._raw_progress.send_event, **opts)

        self.runner.run(work, name="start watching", lane=READ,
                        on_done=lambda _r: self.indexing_stopped.emit(False))

    def stop_indexing(self) -> None:
        """Cancel the indexing in progress and stop following the folders until
        resumed; what is left stays queued for later."""
        lib = self.lib
        if lib is None:
            return
        self.stopped_by_user = True
        lib.indexer.pause(False)
        for task in self.runner.running(WRITE):
            if task.name == "indexer.index":
                task.cancel()

        def work(ctx: TaskContext) -> None:
            lib.watching.stop_watching(timeout=30)

        self.runner.run(work, name="stop watching", lane=READ,
                        on_done=lambda _r: self.indexing_stopped.emit(True))

    def resume_indexing(self) -> None:
        if self.lib is None:
            return
        self.stopped_by_user = False
        self.lib.indexer.pause(False)
        if self.watch:
            self.start_watching()
        else:
            self.index_now()

    def set_paused(self, paused: bool) -> None:
        if self.lib is not None:
            self.lib.indexer.pause(paused)   # sets a flag; the indexer waits between files

    @property
    def paused(self) -> bool:
        return bool(self.lib is not None and self.lib.indexer.paused)

    def index_now(self) -> None:
        """Scan and index (a long write: the write lane) when the watcher is not running."""
        self.runner.call("indexer.index")

    def index_if_unwatched(self) -> None:
        """Work was queued (a folder added, a document to read again): the watcher
        follows by itself; without one, index now."""
        if self.lib is not None and not self.lib.watching.is_watching and not self.stopped_by_user:
            self.index_now()

    # -- the indexing thread's messages ---------------------------------------------------------
    def _on_listener(self, kind: str, value: Any) -> None:
        if kind == "progress":
            self.last_progress = value
            final = value.phase in ("done", "cancelled")
            for report in self._throttle.offer(value):   # app/gui/progress_throttle.py
                self.progress.emit(report)
            if self._throttle.holding:
                # the latest report is shown a moment later, never dropped: the indexer
                # may say nothing more for a while (a long batch, a long file)
                self._progress_timer.start()
            else:
                self._progress_timer.stop()
            if value.files_done and not final:
                self._schedule_changed()
        elif kind == "report":
            if getattr(value, "chunks_encoded", 0):
                release_memory()          # here, on the UI thread: see core.memory
            self.index_finished.emit(value)
            self._schedule_changed()
        elif kind == "event":
            self.watch_event.emit(value)
            self._schedule_changed()
        elif kind == "preparing":
            self.model_preparing.emit(value)

    def _emit_latest_progress(self) -> None:
        held = self._throttle.take_held()
        if held is not None and not self.closing:
            self.progress.emit(held)

    def _schedule_changed(self) -> None:
        """At most one announcement per interval, even while progress keeps coming."""
        if not self._changed_timer.isActive():
            self._changed_timer.start()

    # -- closing -----------------------------------------------------------------------------------
    def close(self, timeout_s: float = 10.0) -> None:
        """Cancel everything, stop watching, close the library; emits ``closed``."""
        self.closing = True
        lib = self.lib
        self.runner.cancel_all()   # a paused indexer still sees the cancel and stops

        def work(ctx: TaskContext) -> None:
            if lib is not None:
                lib.watching.stop_watching(timeout=timeout_s)
                # the reads and edits still running (cancelled, but a query's encoding does not
                # stop midway) end before the library closes under them: a best-sentence
                # encoding running while the library closed crashed the window
                self.runner.wait_idle(max(timeout_s, 30.0), exclude=WRITE)
                lib.close()

        self.runner.run(work, name="close library", lane=WRITE,
                        on_finished=self._closed)

    def _closed(self) -> None:
        self.lib = None
        self.closed.emit()


class _Relay(QObject):
    """Carries messages from any thread to the UI thread (queued signal)."""

    message = Signal(str, object)

    def send(self, kind: str, value: Any) -> None:
        if kind == "progress":
            value = replace(value)   # a snapshot: the indexer keeps mutating its object
        self.message.emit(kind, value)

    def send_event(self, event: Any) -> None:
        self.message.emit("event", event)
