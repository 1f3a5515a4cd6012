"""The watch worker: observers -> settled paths -> the indexer's job queue.

One background thread (the worker) owns everything that changes the library. watchdog's
own threads only put small items on a queue (core.watch.events). The worker

- starts one observer per watched folder (native events, or polling where they cannot
  be trusted: network file systems, inotify limits, or when asked);
- coalesces and debounces the paths it is told about (core.watch.debounce) and hands
  settled ones to ``indexer.enqueue_paths`` then ``indexer.process_jobs``: every change goes
  through the persistent job queue, so a crash loses nothing;
- runs a reconciling scan at start and every ``reconcile_interval_s``: events are a
  fast path, the scan is the safety net;
- checks every few seconds that each folder is still there: a folder that disappears
  is marked unavailable (documents kept), its observer stopped; when it returns it is
  marked available, watched again and reconciled.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.cancel import CancelToken
from core.changes import announced_elsewhere
from core.errors import DiskFullError, LibraryBusyError
from core.watch.debounce import Debouncer
from core.watch.events import QueueingHandler, RootGone, Touch
from core.watch.fs import (
    INOTIFY_WATCH_LIMIT_MESSAGE,
    count_dirs,
    describe_start_error,
    polling_reason,
)
from core.watch.status import ERROR, IDLE, POLLING, UNAVAILABLE, WATCHING, WatchEvent

if TYPE_CHECKING:  # pragma: no cover
    from core.catalog import Catalog
    from core.index.indexer import Indexer

log = logging.getLogger("likewise.watch")

EventFn = Callable[[WatchEvent], None]
_WAKE = object()           # a control item: something about the folders changed
_RECONCILE = object()      # a control item: reconcile now
DISK_FULL_RETRY_S = 60.0   # a full disk: try again this much later
BUSY_RETRY_S = 5.0         # another process held the library too long: try again soon


def native_observer() -> Any:
    """The platform's native observer (inotify, FSEvents, ReadDirectoryChangesW...)."""
    from watchdog.observers import Observer

    return Observer()


def polling_observer(interval_s: float) -> Any:
    from watchdog.observers.polling import PollingObserver

    return PollingObserver(timeout=interval_s)


@dataclass
class _Folder:
    folder_id: int
    root: str
    state: str = IDLE
    message: str | None = None
    observer: Any = None
    handler: QueueingHandler | None = None
    native: bool = False


def _stop_observer(observer: Any) -> None:
    if observer is None:
        return
    try:
        observer.stop()
        if observer.is_alive():
            observer.join(timeout=5)
    except Exception:  # noqa: BLE001 - an observer that never started cannot be joined
        log.debug("stopping an observer", exc_info=True)


def _inotify_coverage_short(observer: Any, root: str) -> bool:
    """True when a recursive inotify watch covers fewer folders than exist: watchdog
    skips sub-folders it cannot watch (watch limit) without saying so."""
    watched = 0
    found = False
    for emitter in getattr(observer, "emitters", ()):
        group = getattr(emitter, "_inotify", None)
        paths = getattr(group, "_active_callbacks_by_path", None)
        if paths is not None:
            found = True
            watched += len(paths)
    if not found:
        return False
    return watched < count_dirs(root)


class Watcher:
    """Runs the watch worker for one library. Use through core/watch/watching.py."""

    def __init__(
        self,
        indexer: Indexer,
        catalog: Catalog,
        on_event: EventFn | None = None,
        reconcile_interval_s: float | None = None,
        debounce_s: float = 1.0,
        use_polling: bool | None = None,
        poll_interval_s: float = 1.0,
        availability_check_s: float = 2.0,
    ) -> None:
        self.indexer = indexer
        self.catalog = catalog
        self.on_event = on_event
        interval = indexer.settings.reconcile_interval_s if reconcile_interval_s is None else reconcile_interval_s
        self.reconcile_interval_s = float(interval)
        self.use_polling = use_polling
        self.poll_interval_s = poll_interval_s
        self.availability_check_s = availability_check_s
        self._inbox: queue.Queue = queue.Queue()
        self._debouncer = Debouncer(quiet_s=debounce_s)
        self._lock = threading.RLock()          # guards _folders and _debouncer
        self._folders: dict[int, _Folder] = {}
        self._stop = threading.Event()
        self._cancel = CancelToken()
        self._started = threading.Event()       # first reconcile done
        self._thread: threading.Thread | None = None
        self._next_reconcile = 0.0
        self._paused: set[int] = set()          # folders paused at the last check
        self._next_check = 0.0
        self._retry_jobs_at = 0.0
        self._suspended = False
        self.last_error: str | None = None

    # -- control (any thread) -----------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="likewise-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop observers, cancel the job in progress (the queue keeps what is left).
        Returns False when the worker did not finish within ``timeout``."""
        self._stop.set()
        self._cancel.cancel()
        self._inbox.put(_WAKE)
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def alive(self) -> bool:
        """The worker thread exists (it may be stopping)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def wait_started(self, timeout: float | None = None) -> bool:
        """Wait until the catch-up at start (first reconcile) is done."""
        return self._started.wait(timeout)

    def folders_changed(self) -> None:
        self._inbox.put(_WAKE)

    def request_reconcile(self) -> None:
        self._inbox.put(_RECONCILE)

    def mute_events(self, muted: bool) -> None:
        """Drop (True) or deliver (False) native events: tests simulate lost events."""
        with self._lock:
            for f in self._folders.values():
                if f.handler is not None:
                    f.handler.muted = muted

    def suspend_observers(self) -> None:
        """Stop every observer (changes made meanwhile are seen by no event)."""
        with self._lock:
            self._suspended = True
            for f in self._folders.values():
                _stop_observer(f.observer)
                f.observer = None
                f.handler = None

    def resume_observers(self) -> None:
        with self._lock:
            self._suspended = False
            for f in self._folders.values():
                if f.observer is None and f.state in (WATCHING, POLLING):
                    self._start_observer(f)

    def state_of(self, folder_id: int) -> tuple[str, str | None]:
        with self._lock:
            f = self._folders.get(folder_id)
            if f is None:
                return (IDLE, None)
            return (f.state, f.message)

    def pending_of(self, folder_id: int, root: str) -> int:
        with self._lock:
            return self._debouncer.pending_under(root)

    # -- the worker ------------------------------------------------------------------------
    def _run(self) -> None:
        with announced_elsewhere():     # the session announces what the watcher wrote
            self._work()

    def _work(self) -> None:
        try:
            self._guarded(self._check_folders)
            self._guarded(self._reconcile)
            self._started.set()
            while not self._stop.is_set():
                self._guarded(self._step)
        finally:
            self._started.set()
            with self._lock:
                for f in self._folders.values():
                    _stop_observer(f.observer)
                    f.observer = None
                    f.handler = None
                    if f.state in (WATCHING, POLLING):
                        f.state, f.message = IDLE, None

    def _guarded(self, step: Callable[[], None]) -> None:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - the watcher outlives any one failure
            if self._stop.is_set():
                return
            log.exception("watch worker")
            self.last_error = f"{type(exc).__name__}: {exc}"
            self._emit(WatchEvent("error", "", reason=self.last_error, error=exc))
            self._stop.wait(_retry_after(exc))

    def _step(self) -> None:
        reconcile_now = self._drain(self._wait_time())
        if self._stop.is_set():
            return
        now = time.monotonic()
        if now >= self._next_check:
            self._check_folders()
        with self._lock:
            settled = self._debouncer.ready()
        if settled:
            self._hand_on(settled)
        if reconcile_now or (self.reconcile_interval_s > 0 and now >= self._next_reconcile):
            self._reconcile()
        elif now >= self._retry_jobs_at and self.indexer.pending_jobs():
            self._process()

    def _wait_time(self) -> float:
        now = time.monotonic()
        deadlines = [self._next_check]
        if self.reconcile_interval_s > 0:
            deadlines.append(self._next_reconcile)
        with self._lock:
            due = self._debouncer.next_due()
        if due is not None:
            deadlines.append(due)
        return min(max(min(deadlines) - now, 0.02), self.availability_check_s)

    def _drain(self, wait: float) -> bool:
        """Take everything from the inbox (waiting up to ``wait`` for the first item).
        Returns True when a reconcile was asked for."""
        reconcile = False
        try:
            item = self._inbox.get(timeout=wait)
        except queue.Empty:
            return False
        while True:
            if isinstance(item, Touch):
                with self._lock:
                    self._debouncer.touch(item.path, item.companions)
            elif isinstance(item, RootGone) or item is _WAKE:
                self._next_check = 0.0
            elif item is _RECONCILE:
                reconcile = True
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return reconcile

    # -- folders and observers -------------------------------------------------------------
    def _check_folders(self) -> None:
        """Follow the folder list and each folder's presence."""
        self._next_check = time.monotonic() + self.availability_check_s
        # paused folders are watched too: what arrives in them waits in the queue, counted
        rows = self.catalog.folder_rows()
        wanted = {r.id: r.root for r in rows}
        paused = {r.id for r in rows if r.paused}
        resumed, self._paused = self._paused - paused, paused
        new_ids: list[int] = [fid for fid in resumed if fid in wanted]
        with self._lock:
            for fid in [f for f in self._folders if f not in wanted]:
                gone = self._folders.pop(fid)
                _stop_observer(gone.observer)
                self._debouncer.discard_under(gone.root)
        for fid, root in wanted.items():
            with self._lock:
                f = self._folders.get(fid)
                if f is None:
                    f = self._folders[fid] = _Folder(fid, root)
                    new_ids.append(fid)
            present = os.path.isdir(root)
            if not present and f.state != UNAVAILABLE:
                self._folder_gone(f)
            elif present and f.state == UNAVAILABLE:
                self._folder_back(f)
            elif present and not self._suspended and not self._observer_healthy(f):
                with self._lock:
                    _stop_observer(f.observer)
                    self._start_observer(f)
        if new_ids and self._started.is_set():
            for fid in new_ids:
                self.indexer.reconcile(folder_id=fid)
            self._process()

    def _observer_healthy(self, f: _Folder) -> bool:
        obs = f.observer
        if obs is None or not obs.is_alive():
            return False
        return all(e.is_alive() for e in getattr(obs, "emitters", ()))

    def _folder_gone(self, f: _Folder) -> None:
        with self._lock:
            _stop_observer(f.observer)
            f.observer, f.handler = None, None
            f.state, f.message = UNAVAILABLE, "folder not found (unplugged or unmounted?)"
            self._debouncer.discard_under(f.root)
        self.catalog.mark_folder_available(f.folder_id, False)
        self._emit(WatchEvent("unavailable", f.root, reason=f.message))

    def _folder_back(self, f: _Folder) -> None:
        with self._lock:
            f.state, f.message = IDLE, None
            self._start_observer(f)
        self.catalog.mark_folder_available(f.folder_id, True)
        self._emit(WatchEvent("available", f.root))
        self.indexer.reconcile(folder_id=f.folder_id)
        self._process()

    def _start_observer(self, f: _Folder) -> None:
        """Watch ``f`` natively when possible, else by polling. Caller holds _lock."""
        handler = QueueingHandler(f.folder_id, f.root, self._inbox)
        reason: str | None = "polling was asked for" if self.use_polling else None
        if reason is None and self.use_polling is None:
            reason = polling_reason(f.root)
        if reason is None:
            obs = None
            try:
                obs = native_observer()
                obs.schedule(handler, f.root, recursive=True)
                obs.start()
                if _inotify_coverage_short(obs, f.root):
                    _stop_observer(obs)
                    reason = INOTIFY_WATCH_LIMIT_MESSAGE
                else:
                    f.observer, f.handler, f.native = obs, handler, True
                    f.state, f.message = WATCHING, None
                    return
            except Exception as exc:  # noqa: BLE001 - any failure: fall back to polling
                _stop_observer(obs)
                reason = describe_start_error(exc)
            self._emit(WatchEvent("polling", f.root, reason=reason))
        obs = None
        try:
            obs = polling_observer(self.poll_interval_s)
            obs.schedule(handler, f.root, recursive=True)
            obs.start()
        except Exception as exc:  # noqa: BLE001
            _stop_observer(obs)
            was_error = f.state == ERROR
            f.observer, f.handler = None, None
            f.state, f.message = ERROR, f"cannot watch this folder: {exc}"
            if not was_error:
                self._emit(WatchEvent("error", f.root, reason=f.message))
            return
        f.observer, f.handler, f.native = obs, handler, False
        f.state, f.message = POLLING, reason

    # -- handing changes to the indexer -----------------------------------------------------
    def _hand_on(self, paths: list[str]) -> None:
        with self._lock:
            roots = {f.folder_id: f.root for f in self._folders.values() if f.state != UNAVAILABLE}
        keep = []
        for p in paths:
            root = _root_of(p, roots.values())
            if root is None:
                continue
            if not os.path.isdir(root):
                self._next_check = 0.0   # the folder went away: not a mass delete
                continue
            keep.append(p)
        if keep and self.indexer.enqueue_paths(keep):
            self._process()

    def _reconcile(self) -> None:
        self._next_reconcile = time.monotonic() + self.reconcile_interval_s
        self.indexer.reconcile()
        self._process()

    def _process(self) -> None:
        """Run queued jobs and report what they did, document by document."""
        paths = self.indexer.jobs.queued_paths()
        before = self.catalog.snapshot(paths, ())
        report = self.indexer.process_jobs(cancel=self._cancel)
        after = self.catalog.snapshot(paths, before.keys())
        self._emit_changes(before, after)
        for path, status, reason in report.failures:
            if not any(a[0] == path for a in after.values()):
                self._emit(WatchEvent("failed", path, reason=f"{status}: {reason}"))
        if self.indexer.pending_jobs() and not report.cancelled:
            self._retry_jobs_at = time.monotonic() + 30.0   # left over: retry later, not in a loop

    def _emit_changes(self, before: dict[int, tuple], after: dict[int, tuple]) -> None:
        for doc_id, (path, status, error, indexed_at) in after.items():
            old = before.get(doc_id)
            if old is not None and old[3] == indexed_at:
                if old[0] != path:
                    self._emit(WatchEvent("moved", path, old_path=old[0]))
                continue
            if status == "indexed":
                self._emit(WatchEvent("indexed", path))
            else:
                self._emit(WatchEvent("failed", path, reason=f"{status}: {error}" if error else status))
        for doc_id, old in before.items():
            if doc_id not in after:
                self._emit(WatchEvent("removed", old[0]))

    def _emit(self, event: WatchEvent) -> None:
        if event.kind in ("error", "polling", "unavailable"):
            log.warning("%s %s %s", event.kind, event.path, event.reason or "")
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:  # noqa: BLE001 - a faulty listener must not stop the watcher
            log.exception("on_event listener failed")


def _retry_after(exc: BaseException) -> float:
    """Seconds before the watcher tries again after a failure: a full disk or a busy
    library is not fixed in a second, and each try re-reads and re-encodes a file."""
    if isinstance(exc, DiskFullError):
        return DISK_FULL_RETRY_S
    if isinstance(exc, LibraryBusyError):
        return BUSY_RETRY_S
    return 1.0


def _root_of(path: str, roots: Iterable[str]) -> str | None:
    best = None
    for root in roots:
        r = root.rstrip(os.sep)
        if (path == r or path.startswith(r + os.sep)) and (best is None or len(r) > len(best)):
            best = root
    return best
