"""The one way the window runs engine work: off the UI thread, with progress and cancel.

Every call into ``core`` (opening the library, loading the model, searching, indexing,
watching, labels, training) goes through ``TaskRunner.run``. The callable runs on a
worker thread and receives a ``TaskContext`` (a cancel token and a progress reporter);
its result, error or progress reaches the UI thread through Qt signals (queued
connections), so the UI thread never waits on the model, the disk or the database.

Three lanes:
- ``read``: a small pool for quick reads (search, listing documents, previews);
  searches keep working while the library indexes. ``runner.query(...)`` runs here.
- ``edit``: one thread, in order, for short writes (a folder added, removed or paused,
  a document queued again, a label). ``runner.write(..., changes={FOLDERS})`` runs here
  and, once done, announces what it changed (``changed``): views refresh from that
  instead of being called by hand.
- ``write``: one thread, in order, for long writes (indexing, training, closing the
  library), so that they never overlap each other.

A task given a ``key`` supersedes the previous unfinished task with the same key (its
token is cancelled and its result dropped): search-as-you-type keeps only the latest.
``core.errors.Cancelled`` is treated quietly: ``on_cancelled`` instead of ``on_error``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from core.cancel import CancelToken
from core.errors import Cancelled

log = logging.getLogger("likewise.gui.tasks")

READ = "read"
EDIT = "edit"
WRITE = "write"

# What a write changed (``TaskRunner.changed`` carries a frozenset of these).
FOLDERS = "folders"        # the chosen folders or their state (so also what is indexed)
DOCUMENTS = "documents"    # documents queued or re-read
LABELS = "labels"          # labelled pairs
MODELS = "models"          # model versions, the active one


class TaskContext:
    """Handed to the callable on its worker thread."""

    def __init__(self, task: Task) -> None:
        self._task = task
        self.cancel: CancelToken = task.token

    @property
    def cancelled(self) -> bool:
        return self.cancel.cancelled

    def progress(self, value: Any) -> None:
        """Report progress (any object); throttled to ``min_progress_interval``."""
        self._task._report(value)


class _Bridge(QObject):
    """The runner's one carrier of task news to the UI thread: each signal carries its
    task first, and the runner hands the news to that task's own callbacks, so no QObject
    is made and freed per task."""

    done = Signal(object, object)        # (task, result)
    failed = Signal(object, object)      # (task, exception)
    cancelled = Signal(object)           # (task)
    progress = Signal(object, object)    # (task, value)
    finished = Signal(object)            # (task), after done/failed/cancelled


class Task:
    """One unit of background work. Created by TaskRunner.run, lives in the UI thread."""

    def __init__(
        self,
        fn: Callable[[TaskContext], Any],
        name: str,
        key: str | None,
        lane: str,
        min_progress_interval: float,
        bridge: _Bridge,
    ) -> None:
        self.fn = fn
        self.name = name
        self.key = key
        self.lane = lane
        self.token = CancelToken()
        self._bridge = bridge
        self.on_done: Callable[[Any], object] | None = None
        self.on_error: Callable[[BaseException], None] | None = None
        self.on_progress: Callable[[Any], None] | None = None
        self.on_cancelled: Callable[[], None] | None = None
        self.on_finished: Callable[[], None] | None = None
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self.superseded = False
        self._min_interval = min_progress_interval
        self._last_progress = float("-inf")   # the first report always goes through
        self._pending_progress: Any = None
        self._progress_lock = threading.Lock()
        self._done = threading.Event()

    # -- any thread ---------------------------------------------------------------------
    def cancel(self) -> None:
        self.token.cancel()

    @property
    def is_done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the callable returned (tests and shutdown only; never the UI)."""
        return self._done.wait(timeout)

    # -- worker thread ------------------------------------------------------------------------
    def _report(self, value: Any) -> None:
        # Throttled to one report per interval, keeping the latest; but a report that
        # starts a new phase (its ``phase`` differs) first delivers the held one and then
        # itself, so that the last step of every phase is shown and none is skipped.
        now = time.monotonic()
        with self._progress_lock:
            held = self._pending_progress
            new_phase = held is not None and getattr(held, "phase", None) != getattr(value, "phase", None)
            if not new_phase and now - self._last_progress < self._min_interval:
                self._pending_progress = value
                return
            self._last_progress = now
            self._pending_progress = None
        if new_phase:
            self._bridge.progress.emit(self, held)
        self._bridge.progress.emit(self, value)

    def _flush_progress(self) -> None:
        with self._progress_lock:
            value, self._pending_progress = self._pending_progress, None
        if value is not None:
            self._bridge.progress.emit(self, value)

    def _execute(self) -> None:
        self.started_at = time.monotonic()
        try:
            if self.token.cancelled:
                raise Cancelled("cancelled before it started")
            result = self.fn(TaskContext(self))
        except Cancelled:
            self._flush_progress()
            self._finish()
            self._bridge.cancelled.emit(self)
        except BaseException as exc:  # noqa: BLE001 - handed to the UI thread
            log.debug("task %s failed", self.name, exc_info=True)
            self._flush_progress()
            self._finish()
            self._bridge.failed.emit(self, exc)
        else:
            self._flush_progress()
            self._finish()
            if self.token.cancelled and self.superseded:
                self._bridge.cancelled.emit(self)
            else:
                self._bridge.done.emit(self, result)
        self._bridge.finished.emit(self)

    def _finish(self) -> None:
        self.finished_at = time.monotonic()
        self._done.set()


class _Runnable(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self.task = task
        self.setAutoDelete(True)

    def run(self) -> None:
        self.task._execute()


class TaskRunner(QObject):
    """Runs tasks on the three lanes and keeps them alive until their signals are delivered."""

    error = Signal(object, str)     # (exception, task name) for tasks without on_error
    changed = Signal(object)        # frozenset of what a finished write changed (FOLDERS ...)

    def __init__(self, parent: QObject | None = None, read_threads: int = 3) -> None:
        super().__init__(parent)
        self._pools = {READ: QThreadPool(self), EDIT: QThreadPool(self), WRITE: QThreadPool(self)}
        self._pools[READ].setMaxThreadCount(read_threads)
        self._pools[EDIT].setMaxThreadCount(1)
        self._pools[WRITE].setMaxThreadCount(1)
        for pool in self._pools.values():
            pool.setExpiryTimeout(-1)
        self._live: set[Task] = set()
        self._keyed: dict[str, Task] = {}
        self._closed = False
        self._bridge = _Bridge(self)
        self._bridge.done.connect(self._on_done)
        self._bridge.failed.connect(self._on_failed)
        self._bridge.cancelled.connect(self._on_cancelled)
        self._bridge.progress.connect(self._on_progress)
        self._bridge.finished.connect(self._on_finished)

    def run(
        self,
        fn: Callable[[TaskContext], Any],
        *,
        name: str = "",
        on_done: Callable[[Any], object] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        key: str | None = None,
        lane: str = READ,
        min_progress_interval: float = 0.1,
    ) -> Task:
        """Start ``fn(ctx)`` on a worker thread. Callbacks run on the UI thread."""
        if self._closed:
            raise RuntimeError("the task runner is shut down")
        task = Task(fn, name or getattr(fn, "__name__", "task"), key, lane, min_progress_interval, self._bridge)
        if key is not None:
            old = self._keyed.get(key)
            if old is not None and not old.is_done:
                old.superseded = True
                old.cancel()
            self._keyed[key] = task
        task.on_done, task.on_error, task.on_progress = on_done, on_error, on_progress
        task.on_cancelled, task.on_finished = on_cancelled, on_finished
        self._live.add(task)
        self._pools[lane].start(_Runnable(task))
        return task

    def query(
        self,
        fn: Callable[[TaskContext], Any],
        *,
        name: str = "",
        on_done: Callable[[Any], object] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        key: str | None = None,
    ) -> Task:
        """Read from the library on the read lane (``key``: the latest of a kind wins)."""
        return self.run(fn, name=name, on_done=on_done, on_error=on_error, key=key, lane=READ)

    def write(
        self,
        fn: Callable[[TaskContext], Any],
        *,
        changes: set[str] | frozenset[str],
        name: str = "",
        on_done: Callable[[Any], object] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Task:
        """A short write on the edit lane; when it succeeds, ``on_done`` runs and then
        ``changed`` announces ``changes`` so that every view showing them refreshes."""
        what = frozenset(changes)

        def done(result: Any) -> None:
            if on_done is not None:
                on_done(result)
            self.changed.emit(what)

        return self.run(fn, name=name, on_done=done, on_error=on_error, lane=EDIT)

    # -- UI thread --------------------------------------------------------------------------
    def _on_done(self, task: Task, result: Any) -> None:
        if task.on_done is not None:
            self._deliver(task, task.on_done, result)

    def _on_failed(self, task: Task, exc: BaseException) -> None:
        self._failed(task, exc, task.on_error)

    def _on_cancelled(self, task: Task) -> None:
        if task.on_cancelled is not None:
            task.on_cancelled()

    def _on_progress(self, task: Task, value: Any) -> None:
        if task.on_progress is not None and not task.superseded:
            task.on_progress(value)

    def _on_finished(self, task: Task) -> None:
        self._forget(task, task.on_finished)

    def _deliver(self, task: Task, callback: Callable[[Any], object], result: Any) -> None:
        # After shutdown (the window is closing) a result still queued for the UI thread
        # is dropped: its callback would start follow-up work that can no longer run.
        if task.superseded or self._closed:
            return
        callback(result)

    def _failed(self, task: Task, exc: BaseException, on_error: Callable | None) -> None:
        if task.superseded or self._closed:
            return
        if on_error is not None:
            on_error(exc)
        else:
            self.error.emit(exc, task.name)

    def _forget(self, task: Task, on_finished: Callable[[], None] | None) -> None:
        self._live.discard(task)
        if task.key is not None and self._keyed.get(task.key) is task:
            del self._keyed[task.key]
        if on_finished is not None:
            on_finished()

    @property
    def closed(self) -> bool:
        """Shut down: no task can start any more."""
        return self._closed

    def running(self, lane: str | None = None) -> list[Task]:
        return [t for t in self._live if not t.is_done and (lane is None or t.lane == lane)]

    def cancel_all(self) -> None:
        for task in list(self._live):
            task.cancel()

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait for every worker to finish (shutdown and tests; not for the UI)."""
        deadline = time.monotonic() + timeout_s
        for pool in self._pools.values():
            left = max(deadline - time.monotonic(), 0.0)
            if not pool.waitForDone(int(left * 1000)):
                return False
        return True

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        """Cancel everything and wait up to ``timeout_s``; no task can start afterwards."""
        self._closed = True
        self.cancel_all()
        return self.wait_idle(timeout_s)
