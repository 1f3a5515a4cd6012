"""Fault injection for tests and the soak test (``make soak``): die at a named point of the work.

A TEST HOOK, never a setting: it is honoured only when ``LIKEWISE_TEST_HOOKS=1`` is set as
well, so a stray ``LIKEWISE_KILL_AT`` in a person's environment never makes the shipped
program kill itself (the tests and bench/soak_kill.py set both).

``LIKEWISE_KILL_AT=phase:n`` makes the process kill itself with SIGKILL the n-th time
(1-based) it reaches ``checkpoint(phase)``; phases are "scan", "extract", "encode",
"write" (inside a document's transaction, after its passages), "upsert" (at its end,
before the commit), "vectors" (a group of passages encoded, before its vectors are written:
core/index/meaning.py), "mine" (similar-paragraph mining), "reembed" (a model switch) and "split" (the upgrade
that cuts a library's passages into paragraphs, core/index/split.py).
``LIKEWISE_FAIL_AT=phase:n`` (same fence) raises OSError(ENOSPC) there instead: a full
disk at that moment, for the tests of what a full disk does (tests/core/store/test_disk_full.py).
Unset, a checkpoint costs one comparison. Nothing else reads these variables.
"""

from __future__ import annotations

import errno
import os
import signal

FENCE = "LIKEWISE_TEST_HOOKS"
_KILL: tuple[str, int] | None = None
_FAIL: tuple[str, int] | None = None
_COUNTS: dict[str, int] = {}


def _plan(name: str) -> tuple[str, int] | None:
    raw = os.environ.get(name, "")
    if ":" not in raw:
        return None
    phase, _, count = raw.partition(":")
    return phase, max(int(count or 1), 1)


def _load() -> None:
    global _KILL, _FAIL
    _COUNTS.clear()
    if os.environ.get(FENCE) != "1":
        _KILL = _FAIL = None
        return
    _KILL, _FAIL = _plan("LIKEWISE_KILL_AT"), _plan("LIKEWISE_FAIL_AT")


_load()


def checkpoint(phase: str) -> None:
    if _KILL is None and _FAIL is None:
        return
    _COUNTS[phase] = _COUNTS.get(phase, 0) + 1
    if _KILL is not None and _KILL[0] == phase and _COUNTS[phase] >= _KILL[1]:
        os.kill(os.getpid(), signal.SIGKILL)
    if _FAIL is not None and _FAIL[0] == phase and _COUNTS[phase] == _FAIL[1]:
        raise OSError(errno.ENOSPC, f"No space left on device (test hook at {phase}:{_FAIL[1]})")
