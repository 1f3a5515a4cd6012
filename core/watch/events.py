"""From watchdog events to the paths worth looking at again.

The handler runs on watchdog's threads: it only filters (the scanner's skip rules) and
puts small tuples on a queue; the watch worker does everything else.
"""

from __future__ import annotations

import os
import queue
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)

from core.index.skip import should_skip, should_skip_dir

# Events that may change what a file holds (open / close-without-write / folder
# "modified" notices carry nothing the file events do not already say).
_FILE_CHANGES = (FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileAttribEvent, FileDeletedEvent)
_DIR_CHANGES = (DirCreatedEvent, DirDeletedEvent)


@dataclass(frozen=True)
class Touch:
    """A path to look at again once it settles, with paths handed on together with it."""

    folder_id: int
    path: str
    companions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RootGone:
    """The watched folder itself was deleted or moved away."""

    folder_id: int


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def dir_is_skipped(path: str, root: str) -> bool:
    """A folder the scanner does not enter (it, or a folder above it below ``root``,
    is hidden or temporary)."""
    if not _inside(path, root):
        return True
    if path == root:
        return False
    rel = Path(path).relative_to(root)
    current = Path(root)
    for part in rel.parts:
        current = current / part
        if should_skip_dir(current):
            return True
    return False


def file_is_skipped(path: str, root: str) -> bool:
    return not _inside(path, root) or path == root or should_skip(path, root)


def translate(event: FileSystemEvent, folder_id: int, root: str) -> list[Touch | RootGone]:
    """What one watchdog event means for the library (often: nothing)."""
    src = os.fsdecode(event.src_path)
    if isinstance(event, DirDeletedEvent | DirMovedEvent) and src == root:
        return [RootGone(folder_id)]
    if isinstance(event, FileMovedEvent | DirMovedEvent):
        dest = os.fsdecode(event.dest_path)
        skipped = dir_is_skipped if event.is_directory else file_is_skipped
        src_ok = bool(src) and not skipped(src, root)
        dest_ok = bool(dest) and not skipped(dest, root)
        if src_ok and dest_ok:
            return [Touch(folder_id, dest, (src,))]
        if dest_ok:
            return [Touch(folder_id, dest)]     # e.g. an editor's temp file renamed over the real one
        if src_ok:
            return [Touch(folder_id, src)]      # e.g. renamed to a backup name: gone for us
        return []
    if isinstance(event, _FILE_CHANGES):
        return [] if file_is_skipped(src, root) else [Touch(folder_id, src)]
    if isinstance(event, _DIR_CHANGES):
        return [] if src == root or dir_is_skipped(src, root) else [Touch(folder_id, src)]
    return []


class QueueingHandler(FileSystemEventHandler):
    """Puts what matters of each event on ``out``. ``muted`` drops events on the floor
    (used to simulate lost events)."""

    def __init__(self, folder_id: int, root: str, out: queue.Queue) -> None:
        super().__init__()
        self.folder_id = folder_id
        self.root = root
        self.out = out
        self.muted = False

    def dispatch(self, event: FileSystemEvent) -> None:
        if self.muted:
            return
        for item in translate(event, self.folder_id, self.root):
            self.out.put(item)
