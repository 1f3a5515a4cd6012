"""Fault injection for the soak test (``make soak``): die at a named point of the work.

``LIKEWISE_KILL_AT=phase:n`` makes the process kill itself with SIGKILL the n-th time
(1-based) it reaches ``checkpoint(phase)``; phases are "scan", "extract", "encode",
"write" (inside a document's transaction, after its passages), "upsert" (at its end,
before the commit), "vectors" (a group of passages encoded, before its vectors are written:
core/index/meaning.py), "mine" (similar-paragraph mining), "reembed" (a model switch) and "split" (the upgrade
that cuts a library's passages into paragraphs, core/index/split.py).
Unset, a checkpoint costs one dictionary look-up. Nothing else reads this variable.
"""

from __future__ import annotations

import os
import signal

_PLAN: tuple[str, int] | None = None
_COUNTS: dict[str, int] = {}


def _load() -> None:
    global _PLAN
    raw = os.environ.get("LIKEWISE_KILL_AT", "")
    if ":" in raw:
        phase, _, count = raw.partition(":")
        _PLAN = (phase, max(int(count or 1), 1))


_load()


def checkpoint(phase: str) -> None:
    if _PLAN is None or _PLAN[0] != phase:
        return
    _COUNTS[phase] = _COUNTS.get(phase, 0) + 1
    if _COUNTS[phase] >= _PLAN[1]:
        os.kill(os.getpid(), signal.SIGKILL)
