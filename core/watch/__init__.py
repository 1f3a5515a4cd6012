"""Watching folders: watchdog events -> debounced paths -> the index job queue, with a
periodic reconciling scan as the safety net (see core.watch.watcher)."""

from core.watch.debounce import Debouncer
from core.watch.status import FolderWatchStatus, WatchEvent
from core.watch.watcher import Watcher

__all__ = ["Debouncer", "FolderWatchStatus", "WatchEvent", "Watcher"]
