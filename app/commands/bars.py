"""Progress bars of the `likewise` command, one kind for all (tqdm): rate and ETA on a
terminal; nothing drawn when the stream is not a terminal (the commands print plain
lines there instead, and --json output is never touched: bars go to stderr)."""

from __future__ import annotations

import sys
from typing import Any


def is_tty(stream: Any) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


class Bar:
    """One bar, drawn on first use. ``update(done, total)`` with absolute counts."""

    def __init__(self, desc: str, unit: str = "it", stream: Any = None) -> None:
        self.desc = desc
        self.unit = unit
        self.stream = stream or sys.stderr
        self.tty = is_tty(self.stream)
        self._bar: Any = None

    def update(self, done: int, total: int | None, postfix: str = "") -> None:
        if not self.tty:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total or None, desc=self.desc, unit=self.unit, file=self.stream,
                             dynamic_ncols=True, leave=True, mininterval=0.2)
        bar = self._bar
        if total and bar.total != total:
            bar.total = total
        if postfix:
            bar.set_postfix_str(postfix, refresh=False)
        bar.update(max(0, done - bar.n))

    def write(self, line: str) -> None:
        """A line above the bar (or a plain line without one)."""
        if self._bar is not None:
            self._bar.write(line, file=self.stream)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
