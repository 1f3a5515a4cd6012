"""Watching: the library follows its folders.

    lib.watching.start_watching(on_event=print)  # returns at once; a worker thread does the rest
    lib.watching.watch_status()            # per folder: watching / polling / unavailable ...
    lib.watching.stop_watching()

Everything the watcher changes goes through the indexer's persistent job queue.
"""

from __future__ import annotations

import threading

from core.catalog import Catalog
from core.changes import reads, writes
from core.errors import InvalidInputError
from core.events import Events
from core.index.indexer import Indexer
from core.watch.status import IDLE, PAUSED, UNAVAILABLE, FolderWatchStatus
from core.watch.watcher import EventFn, Watcher


class Watching:
    """The watcher of one library (at most one runs), started and stopped here."""

    def __init__(self, indexer: Indexer, catalog: Catalog, events: Events) -> None:
        self.indexer = indexer
        self.catalog = catalog
        self.events = events
        self.watcher: Watcher | None = None
        self._watch_lock = threading.Lock()
        events.folders_changed.subscribe(lambda _: self._folders_changed())

    @writes(long=True)
    def close(self) -> None:
        # Give a job in progress time to stop at a consistent point before the store closes.
        self.stop_watching(timeout=60)

    # -- public ---------------------------------------------------------------------------
    @writes(long=True)
    def start_watching(
        self,
        on_event: EventFn | None = None,
        reconcile_interval_s: float | None = None,
        debounce_s: float = 1.0,
        use_polling: bool | None = None,
        poll_interval_s: float = 1.0,
    ) -> None:
        """Watch every folder that is not paused, in a background thread, until
        stop_watching(). A reconciling scan runs first (catching up what changed while
        nothing watched) and every ``reconcile_interval_s`` (the setting by default;
        0 = only at start). ``use_polling``: True forces polling everywhere, False
        forbids it, None decides per folder."""
        if debounce_s < 0 or poll_interval_s <= 0:
            raise InvalidInputError("debounce_s must be >= 0 and poll_interval_s > 0")
        if reconcile_interval_s is not None and reconcile_interval_s < 0:
            raise InvalidInputError("reconcile_interval_s must be >= 0")
        with self._watch_lock:
            if self.watcher is not None and self.watcher.alive:
                if self.watcher.running:
                    raise InvalidInputError("the library is already being watched")
                if not self.watcher.stop(timeout=60):
                    raise InvalidInputError("the previous watcher is still stopping; try again")
            self.watcher = Watcher(
                self.indexer,
                self.catalog,
                on_event=on_event,
                reconcile_interval_s=reconcile_interval_s,
                debounce_s=debounce_s,
                use_polling=use_polling,
                poll_interval_s=poll_interval_s,
            )
            self.watcher.start()

    @writes(long=True)
    def stop_watching(self, timeout: float = 5) -> bool:
        """Stop observers and the worker; a job in progress is cancelled at a consistent
        point and stays queued. Returns False if the worker had not ended by ``timeout``."""
        with self._watch_lock:
            watcher = self.watcher
            if watcher is None:
                return True
            done = watcher.stop(timeout)
            if done:
                self.watcher = None
            return done

    @property
    @reads
    def is_watching(self) -> bool:
        w = self.watcher
        return w is not None and w.running

    @reads
    def watch_status(self) -> list[FolderWatchStatus]:
        out = []
        for fid, path, paused, available, last, jobs in self.catalog.folder_watch_rows():
            state, message = self.state_of(fid)
            if paused:
                state, message = PAUSED, None
            elif not available and state != UNAVAILABLE:
                state, message = UNAVAILABLE, "folder not found"
            w = self.watcher
            settling = w.pending_of(fid, path) if w is not None and w.running else 0
            out.append(FolderWatchStatus(fid, path, state, jobs + settling, last, message))
        return out

    @writes()
    def request_reconcile(self) -> None:
        """Ask a running watcher to rescan now (e.g. a "check now" button)."""
        if not self.is_watching:
            raise InvalidInputError("the library is not being watched")
        assert self.watcher is not None
        self.watcher.request_reconcile()

    @reads
    def state_of(self, folder_id: int) -> tuple[str, str | None]:
        """(state, message) of a folder as the running watcher sees it."""
        w = self.watcher
        if w is None or not w.running:
            return (IDLE, None)
        return w.state_of(folder_id)

    def _folders_changed(self) -> None:
        w = self.watcher
        if w is not None and w.running:
            w.folders_changed()
