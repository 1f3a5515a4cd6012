"""The one way the window runs engine work: off the UI thread, with progress and cancel.

Every call into ``core`` goes through the TaskRunner. The callable runs on a worker
thread and receives a ``TaskContext`` (a cancel token and a progress reporter); its
result, error or progress reaches the UI thread through Qt signals (queued
connections), so the UI thread never waits on the model, the disk or the database.

The library is reached one way: the runner is given a getter at construction
(``TaskRunner(library=...)``) and ``call("label_table.label_pair", a, b, True)`` runs that
method of a part of the library (``call("add_folder", path)``: one of the Library's own);
``with_library(fn)`` runs a few reads together as ``fn(lib, ctx)``. Before a library is
open (the one "no library yet" state), nothing runs: ``on_error`` hears
``NoLibrary`` when given.

Three lanes; ``call`` chooses from the method's marker (core/changes.py):
- ``read``: a small pool for ``@reads`` methods (search, listings, previews);
  searches keep working while the library indexes.
- ``edit``: one thread, in order, for ``@writes(...)`` (a folder added, removed or
  paused, a document queued again, a label, a decision, an exclusion).
- ``write``: one thread, in order, for ``@writes(..., long=True)`` (indexing, training,
  mining, a model switch, closing the library), so that they never overlap; ``call``
  hands such a method the task's ``cancel`` (and its ``progress`` when ``on_progress``
  is given) when it takes them.

What changed: a marked write tells the library's ``events.changed`` what it changed;
the runner adds that to the task whose thread made the write and, once the task has
finished (after ``on_done``), announces it (``changed``, and every ``subscribe``r whose
kinds it touches). A view subscribes to the kinds it shows; no caller says what it changed.
What no task made (the watcher's indexing) is announced the same way by the session.

A task given a ``key`` supersedes the previous unfinished task with the same key (its
token is cancelled and its result dropped): search-as-you-type keeps only the latest.
``core.errors.Cancelled`` is treated quietly: ``on_cancelled`` instead of ``on_error``.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from app.gui.progress_throttle import ProgressThrottle
from core.cancel import CancelToken
from core.changes import NOTHING, Changes, Operation, operation
from core.errors import Cancelled, LikewiseError

if TYPE_CHECKING:  # pragma: no cover
    from core.library import Library

log = logging.getLogger("likewise.gui.tasks")

READ = "read"
EDIT = "edit"
WRITE = "write"

_running = threading.local()     # the task this worker thread runs (``task``)


class NoLibrary(LikewiseError):
    """A write was asked for before the library was open."""


def lane_for(op: Operation) -> str:
    """The lane of a marked method (the Library's or a part's): reads, edits, long writes."""
    if not op.write:
        return READ
    return WRITE if op.long else EDIT


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
    heard = Signal(object)               # Changes made outside any task (another thread)


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
        self.changes: Changes = NOTHING     # what the library said this task's writes changed
        self._throttle = ProgressThrottle(min_progress_interval)
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
        with self._progress_lock:     # the pace: app/gui/progress_throttle.py
            shown = self._throttle.offer(value)
        for report in shown:
            self._bridge.progress.emit(self, report)

    def _flush_progress(self) -> None:
        with self._progress_lock:
            value = self._throttle.take_held()
        if value is not None:
            self._bridge.progress.emit(self, value)

    def _execute(self) -> None:
        self.started_at = time.monotonic()
        _running.task = self
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
        finally:
            _running.task = None
        self._bridge.finished.emit(self)

    def _finish(self) -> None:
        self.finished_at = time.monotonic()
        self._done.set()


class TaskRunner(QObject):
    """Runs tasks on the three lanes and keeps them alive until their signals are delivered."""

    error = Signal(object, str)     # (exception, task name) for tasks without on_error
    changed = Signal(object)        # core.changes.Changes: what a finished task's writes changed

    def __init__(self, parent: QObject | None = None, read_threads: int = 3,
                 library: Callable[[], Library | None] | None = None) -> None:
        super().__init__(parent)
        self._library = library or (lambda: None)
        self._heard_from: Library | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._subscribers: list[tuple[frozenset[str], Callable[[], object]]] = []
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
        self._bridge.heard.connect(self.announce)

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
        # a plain callable: Qt wraps it in its own runnable. A Python subclass of QRunnable
        # with autoDelete was deleted by the pool's thread as the window closed, and the
        # suite met a segfault there (a worker thread with no Python frame left).
        self._pools[lane].start(task._execute)
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

    # -- the library ------------------------------------------------------------------------
    def library(self) -> Library | None:
        """The open library (None before it is open); its changes are heard from now on."""
        lib = self._library()
        if lib is not None and lib is not self._heard_from:
            if self._unsubscribe is not None:
                self._unsubscribe()
            self._heard_from, self._unsubscribe = lib, lib.events.changed.subscribe(self._hear)
        return lib

    def call(
        self,
        method: str,
        *args: Any,
        name: str = "",
        on_done: Callable[[Any], object] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        key: str | None = None,
        min_progress_interval: float = 0.1,
        **kwargs: Any,
    ) -> Task | None:
        """Run ``method`` on the lane its marker names (see the top): a Library method
        ("add_folder") or a part's, reached by its dotted name from the library
        ("catalog.documents", "label_table.label_pair")."""
        lib = self.library()
        if lib is None:
            if on_error is not None:
                on_error(NoLibrary("the library is still opening; try again in a moment"))
            return None
        *path, last = method.split(".")
        owner: Any = lib
        for part in path:
            owner = getattr(owner, part)
        op = operation(getattr(type(owner), last, None))
        if op is None:
            raise TypeError(f"{type(owner).__name__}.{last} ({method}) is not marked @reads or @writes")
        bound = getattr(owner, last)
        wants: list[str] = []
        if op.long:
            takes = inspect.signature(bound).parameters
            offered = ("progress", "cancel") if on_progress is not None else ("cancel",)
            wants = [p for p in offered if p in takes and p not in kwargs]

        def work(ctx: TaskContext) -> Any:
            given = {"progress": ctx.progress, "cancel": ctx.cancel}
            return bound(*args, **kwargs, **{p: given[p] for p in wants})

        return self.run(work, name=name or method, on_done=on_done, on_error=on_error,
                        on_progress=on_progress, on_cancelled=on_cancelled, on_finished=on_finished, key=key,
                        lane=lane_for(op), min_progress_interval=min_progress_interval)

    def with_library(
        self,
        fn: Callable[[Library, TaskContext], Any],
        *,
        name: str = "",
        on_done: Callable[[Any], object] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        key: str | None = None,
    ) -> Task | None:
        """Several reads of the library together, on the read lane; dropped before it is open."""
        lib = self.library()
        if lib is None:
            return None
        return self.run(lambda ctx: fn(lib, ctx), name=name or getattr(fn, "__name__", "read"),
                        on_done=on_done, on_error=on_error, on_finished=on_finished, key=key, lane=READ)

    def subscribe(self, owner: QObject, kinds: Iterable[str], callback: Callable[[], object]) -> None:
        """Call ``callback`` (UI thread) after every task whose writes changed one of ``kinds``,
        for as long as ``owner`` lives."""
        entry = (frozenset(kinds), callback)
        self._subscribers.append(entry)
        owner.destroyed.connect(lambda *_: self._subscribers.remove(entry)
                                if entry in self._subscribers else None)

    def _hear(self, changes: Changes) -> None:
        """The library's ``changed`` (on the thread that wrote): the running task keeps it."""
        task = getattr(_running, "task", None)
        if task is not None:
            task.changes = task.changes | changes
        else:
            self._bridge.heard.emit(changes)

    def announce(self, changes: Changes) -> None:
        """Tell ``changed`` and the subscribers (UI thread); a finished task's changes come
        here, and so do those no task made (the watcher's indexing, app/gui/session.py)."""
        if self._closed or not changes:
            return
        self.changed.emit(changes)
        for kinds, callback in list(self._subscribers):
            if changes.touches(kinds):
                callback()

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
        if not task.superseded:
            self.announce(task.changes)

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

    def wait_idle(self, timeout_s: float, exclude: str | None = None) -> bool:
        """Wait for every lane (but ``exclude``: the lane of the task that waits, as the
        library's close waits for the reads and edits in flight) to finish its tasks
        (shutdown, closing and tests; never the UI)."""
        deadline = time.monotonic() + timeout_s
        for lane, pool in self._pools.items():
            if lane != exclude:
                left = max(deadline - time.monotonic(), 0.0)
                if not pool.waitForDone(int(left * 1000)):
                    return False
        return True

    def shutdown(self, timeout_s: float = 5.0) -> bool:
        """Cancel everything and wait up to ``timeout_s``; no task can start afterwards."""
        self._closed = True
        self.cancel_all()
        return self.wait_idle(timeout_s)

