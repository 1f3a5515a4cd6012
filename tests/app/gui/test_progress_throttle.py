"""The pace of progress in the window (app/gui/progress_throttle.py), on a fake clock: one
report per interval, the latest kept, every phase's last step and every ending shown."""

from __future__ import annotations

from types import SimpleNamespace

from app.gui.progress_throttle import ProgressThrottle


def _report(phase: str, n: int) -> SimpleNamespace:
    return SimpleNamespace(phase=phase, n=n)


def test_one_report_per_interval_and_the_latest_is_kept():
    now = [0.0]
    pace = ProgressThrottle(0.1, clock=lambda: now[0])
    first = _report("indexing", 1)
    assert pace.offer(first) == [first]
    now[0] = 0.05
    assert pace.offer(_report("indexing", 2)) == []
    latest = _report("indexing", 3)
    assert pace.offer(latest) == [] and pace.holding
    assert pace.take_held() is latest and not pace.holding
    now[0] = 0.3
    later = _report("indexing", 4)
    assert pace.offer(later) == [later]


def test_a_new_phase_shows_the_held_step_first_and_an_ending_is_never_held():
    now = [0.0]
    pace = ProgressThrottle(0.1, clock=lambda: now[0])
    pace.offer(_report("indexing", 1))
    now[0] = 0.01
    last_step = _report("indexing", 9)
    assert pace.offer(last_step) == []
    done = _report("done", 9)
    assert pace.offer(done) == [last_step, done]          # at once, in order
    now[0] = 0.02
    again = _report("scanning", 0)
    assert pace.offer(again) == [again]                   # nothing held: only the new phase
