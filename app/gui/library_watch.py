"""The window follows the library file, whoever changes it.

A write made through the window announces itself (``TaskRunner.changed``), but the
indexer's own commits, a re-encoding after "Use this version", mining, or the command
line in another process do not. So once a second ``LibraryWatch`` asks the library for
its change stamp (SQLite's ``PRAGMA data_version``, core/store/db.py ``change_stamp``)
on the read lane, never on the UI thread, and emits ``changed`` when it moved: the views
read again. One poll at a time; a poll that fails (the library closing) is quiet.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app.gui.tasks import TaskRunner

POLL_MS = 1000


class LibraryWatch(QObject):
    changed = Signal()

    def __init__(self, runner: TaskRunner, interval_ms: int = POLL_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._last: tuple[int, int] | None = None     # (id of the Library, its stamp)
        self._in_flight = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def poll(self) -> None:
        lib = self.runner.library()
        if lib is None or self._in_flight or self.runner.closed:
            return
        self._in_flight = True
        self.runner.run(lambda ctx: (id(lib), lib.change_stamp()), name="library changed?",
                        on_done=self._stamped, on_error=lambda _exc: None,
                        on_finished=self._finished)

    def _finished(self) -> None:
        self._in_flight = False

    def _stamped(self, stamp: tuple[int, int]) -> None:
        # the first stamp counts as a change too: the library may have moved between the
        # window's first reading and this poll
        moved = stamp != self._last
        self._last = stamp
        if moved:
            self.changed.emit()
