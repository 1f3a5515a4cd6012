"""Watching part of the Library facade (issue 5): the library follows its folders.

    lib.start_watching(on_event=print)     # returns at once; a worker thread does the rest
    lib.watch_status()                     # per folder: watching / polling / unavailable ...
    lib.stop_watching()

Everything the watcher changes goes through the indexer's persistent job queue.
"""

from __future__ import annotations

import threading
from typing import Any

from core.errors import InvalidInputError, NotFoundError
from core.watch.status import IDLE, PAUSED, UNAVAILABLE, FolderWatchStatus
from core.watch.watcher import EventFn, Watcher


class WatchMixin:
    store: Any
    settings: Any

    def _init_part(self) -> None:
        self._watcher: Watcher | None = None
        self._watch_lock = threading.Lock()

    def _close_part(self) -> None:
        # Give a job in progress time to stop at a consistent point before the store closes.
        self.stop_watching(timeout=60)

    # -- public ---------------------------------------------------------------------------
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
            if self._watcher is not None and self._watcher.alive:
                if self._watcher.running:
                    raise InvalidInputError("the library is already being watched")
                if not self._watcher.stop(timeout=60):
                    raise InvalidInputError("the previous watcher is still stopping; try again")
            self._watcher = Watcher(
                self,
                on_event=on_event,
                reconcile_interval_s=reconcile_interval_s,
                debounce_s=debounce_s,
                use_polling=use_polling,
                poll_interval_s=poll_interval_s,
            )
            self._watcher.start()

    def stop_watching(self, timeout: float = 5) -> bool:
        """Stop observers and the worker; a job in progress is cancelled at a consistent
        point and stays queued. Returns False if the worker had not ended by ``timeout``."""
        with self._watch_lock:
            watcher = self._watcher
            if watcher is None:
                return True
            done = watcher.stop(timeout)
            if done:
                self._watcher = None
            return done

    @property
    def is_watching(self) -> bool:
        w = getattr(self, "_watcher", None)
        return w is not None and w.running

    def watch_status(self) -> list[FolderWatchStatus]:
        rows = self.store.query(
            "SELECT f.id, f.path, f.paused, f.available, f.last_reconcile, "
            "(SELECT COUNT(*) FROM jobs j WHERE j.folder_id = f.id) FROM folders f ORDER BY f.path"
        )
        out = []
        for fid, path, paused, available, last, jobs in rows:
            state, message = self._watch_state(fid)
            if paused:
                state, message = PAUSED, None
            elif not available and state != UNAVAILABLE:
                state, message = UNAVAILABLE, "folder not found"
            w = self._watcher
            settling = w.pending_of(fid, path) if w is not None and w.running else 0
            out.append(FolderWatchStatus(fid, path, state, jobs + settling, last, message))
        return out

    def request_reconcile(self) -> None:
        """Ask a running watcher to rescan now (e.g. a "check now" button)."""
        if not self.is_watching:
            raise InvalidInputError("the library is not being watched")
        assert self._watcher is not None
        self._watcher.request_reconcile()

    def mark_folder_available(self, folder_id: int, available: bool) -> bool:
        """Mark a folder and all its documents (un)available in one write. Documents are
        never deleted for being unavailable. Returns True when something changed. A
        running watcher reconciles the folder when it comes back; without one, the
        reconcile that noticed it does."""
        with self.store.write() as conn:
            row = conn.execute("SELECT available FROM folders WHERE id = ?", (folder_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no folder {folder_id}")
            if bool(row[0]) == bool(available):
                return False
            conn.execute("UPDATE folders SET available = ? WHERE id = ?", (int(available), folder_id))
            conn.execute(
                "UPDATE documents SET available = ? WHERE folder_id = ?", (int(available), folder_id)
            )
        self._watch_folders_changed()
        return True

    # -- hooks called by Library ---------------------------------------------------------------
    def _watch_state(self, folder_id: int) -> tuple[str, str | None]:
        w = getattr(self, "_watcher", None)
        if w is None or not w.running:
            return (IDLE, None)
        return w.state_of(folder_id)

    def _watch_folders_changed(self) -> None:
        w = getattr(self, "_watcher", None)
        if w is not None and w.running:
            w.folders_changed()
