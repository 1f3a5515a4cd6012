"""Progress shown at a pace a person can read, the same way wherever it comes from (a
task's worker thread, app/gui/tasks.py, or the watcher's indexing, app/gui/session.py).

At most one report per interval reaches the window; the others are held, the latest
replacing the one before. A report that starts a new phase (its ``phase`` differs from
the last one's: "done" after "indexing") goes through at once, after the held one, so
the last step of every phase is shown and an ending is never late. The held report is
taken by whoever shows it later (a task when it finishes, the session from a short
timer), so nothing said last is ever lost.
Qt-free; the caller locks when several threads offer."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class ProgressThrottle:
    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last = float("-inf")      # the first report always goes through
        self._held: Any = None
        self._phase: Any = None          # the phase of the reports shown last

    def offer(self, value: Any) -> list[Any]:
        """The reports to show now, in order (none while within the interval)."""
        phase = getattr(value, "phase", None)
        new_phase = phase != self._phase
        now = self._clock()
        if not new_phase and now - self._last < self.interval:
            self._held = value
            return []
        held, self._held = self._held, None
        self._last, self._phase = now, phase
        return [held, value] if new_phase and held is not None else [value]

    def take_held(self) -> Any:
        """The report held back, if any (it is shown now by the caller)."""
        value, self._held = self._held, None
        if value is not None:
            self._last = self._clock()
        return value

    @property
    def holding(self) -> bool:
        return self._held is not None
