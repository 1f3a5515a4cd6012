"""Python's cyclic garbage collector, run on the UI thread only.

Left alone, the collector runs in whichever thread happens to allocate past its
threshold, often an indexing or search worker. When the garbage it finds holds Qt
objects (a closed dialog's widgets caught in a cycle with a connected lambda), their C++
destructors then run in that worker while the UI thread paints, and the process crashes:
the test suite met this as a rare segmentation fault while a window was indexing on a
busy machine ("Garbage-collecting" in the fatal-error trace).

So the window turns automatic collection off and collects from a timer on the UI thread,
generation by generation with Python's own thresholds, so the pace of collection stays
close to what Python would choose, only moved to the thread that owns the widgets. A full
collection (the oldest generation) walks every object, torch's included, so it runs at
most every FULL_EVERY_S seconds; Python itself also holds full collections back.
core.memory.release_memory follows the same rule: with automatic collection off, a worker
leaves collecting to the UI thread.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250
FULL_EVERY_S = 10.0


class MainThreadCollector(QObject):
    """Held by a window from its creation until its workers have stopped; while any
    window holds one, automatic collection is off and this timer collects."""

    holders = 0

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.collections = [0, 0, 0]
        self.last_full = time.monotonic()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        self.held = False
        self.hold()
        parent.destroyed.connect(self.release)

    def hold(self) -> None:
        if not self.held:
            self.held = True
            MainThreadCollector.holders += 1
            gc.disable()
            self.timer.start()

    def release(self) -> None:
        """The window's workers are stopped: collection may run anywhere again."""
        if self.held:
            self.held = False
            MainThreadCollector.holders -= 1
            if MainThreadCollector.holders == 0:
                gc.enable()
            try:
                self.timer.stop()
            except RuntimeError:      # the timer went with its window
                pass

    def check(self) -> None:
        """Collect the oldest generation whose count is past its threshold, as Python's
        automatic collector would."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if generation == 2 and time.monotonic() - self.last_full < FULL_EVERY_S:
                continue
            if thresholds[generation] and counts[generation] > thresholds[generation]:
                if generation == 2:
                    self.last_full = time.monotonic()
                gc.collect(generation)
                self.collections[generation] += 1
                return
