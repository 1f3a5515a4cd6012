"""What the watcher tells the window and the command line."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

# Folder states.
WATCHING = "watching"        # native events (inotify, FSEvents, ReadDirectoryChangesW)
POLLING = "polling"          # periodic snapshots: network drives, watch limit reached, forced
UNAVAILABLE = "unavailable"  # the folder is gone (unplugged, unmounted); documents kept
ERROR = "error"              # cannot be watched at all; the message says why
PAUSED = "paused"
IDLE = "idle"                # not being watched (the watcher is off, or not yet started)


@dataclass
class WatchEvent:
    """One line of the watcher's log.

    kind: indexed | moved | removed | failed (a document); unavailable | available |
    polling | error (a folder or the watcher itself); path is the document or the folder.
    """

    kind: str
    path: str
    old_path: str | None = None
    reason: str | None = None
    at: float = field(default_factory=time.time)
    error: BaseException | None = None   # kind "error": the engine error, for the window's words

    def line(self) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(self.at))
        if self.kind == "moved":
            text = f"{self.old_path} -> {self.path}"
        else:
            text = self.path
        if self.reason:
            text += f" ({self.reason})"
        return f"{stamp} {self.kind:<11} {text}"


@dataclass
class FolderWatchStatus:
    folder_id: int
    path: str
    state: str
    pending: int = 0                      # files waiting to settle + jobs queued
    last_reconcile: float | None = None   # epoch seconds of the last reconciling scan
    message: str | None = None
