"""Coalescing file-system events per path until the path has settled.

Editors save through temporary files, copies arrive in many writes, Office keeps lock
files open: a path that saw events is handed on only when no event has touched it for
``quiet_s`` seconds AND its (size, mtime) read at two checks in a row are the same.
A vanished path settles too (its "stat" is None twice): that is a delete.

The clock and the stat function are injectable so that the logic is tested without
sleeping.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

StatKey = tuple[int, int] | None      # (size, mtime_ns); None = the path does not exist
_UNSET: object = object()


def stat_key(path: str) -> StatKey:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


@dataclass
class _Entry:
    due: float                        # when the next check may happen
    seen: object = _UNSET             # the StatKey read at the previous check
    companions: set[str] = field(default_factory=set)   # e.g. the source of a move


class Debouncer:
    """Paths waiting to settle. Not thread-safe: one thread (the watch worker) owns it."""

    def __init__(
        self,
        quiet_s: float = 1.0,
        recheck_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        stat: Callable[[str], StatKey] = stat_key,
    ) -> None:
        if quiet_s < 0:
            raise ValueError("quiet_s must be >= 0")
        self.quiet_s = quiet_s
        self.recheck_s = recheck_s if recheck_s is not None else max(min(quiet_s / 4, 0.5), 0.05)
        self._clock = clock
        self._stat = stat
        self._entries: dict[str, _Entry] = {}

    def touch(self, path: str, companions: Iterable[str] = ()) -> None:
        """An event concerned ``path``: (re)start its quiet period. ``companions`` are
        handed on together with it (the source path of a move goes with its target, so
        that the indexer sees both at once and recognises the move)."""
        now = self._clock()
        entry = self._entries.get(path)
        if entry is None:
            entry = self._entries[path] = _Entry(due=now + self.quiet_s)
        entry.due = now + self.quiet_s
        entry.seen = self._stat(path)
        entry.companions.update(c for c in companions if c != path)

    def ready(self) -> list[str]:
        """Paths that have settled, with their companions, in a stable order. They are
        forgotten here once returned."""
        now = self._clock()
        out: list[str] = []
        for path in [p for p, e in self._entries.items() if e.due <= now]:
            entry = self._entries[path]
            current = self._stat(path)
            if entry.seen is not _UNSET and current == entry.seen:
                del self._entries[path]
                out.append(path)
                out.extend(sorted(entry.companions))
            else:
                # Still changing without telling us (or first look): look again soon.
                entry.seen = current
                entry.due = now + self.recheck_s
        return list(dict.fromkeys(out))

    def next_due(self) -> float | None:
        """Clock time of the earliest pending check, or None when nothing waits."""
        if not self._entries:
            return None
        return min(e.due for e in self._entries.values())

    def discard_under(self, folder: str) -> int:
        """Forget every pending path in ``folder`` (a folder that went away)."""
        prefix = folder.rstrip(os.sep) + os.sep
        gone = [p for p in self._entries if p == folder or p.startswith(prefix)]
        for p in gone:
            del self._entries[p]
        return len(gone)

    def pending_under(self, folder: str) -> int:
        prefix = folder.rstrip(os.sep) + os.sep
        return sum(1 for p in self._entries if p == folder or p.startswith(prefix))

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: object) -> bool:
        return path in self._entries
