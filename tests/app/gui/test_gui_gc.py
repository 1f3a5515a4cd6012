"""Garbage that holds Qt objects is destroyed on the UI thread (app/gui/gc_main_thread.py).

Before, Python collected in whichever thread allocated past its threshold: a window's
indexing worker could destroy a closed dialog's widgets while the UI thread painted, a
rare crash the suite met on a busy machine."""

from __future__ import annotations

import gc
import os
import threading
import weakref

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class _Box:
    pass


def _garbage_cycle(where: list[str], widget: bool = True) -> None:
    box = _Box()
    box.me = box
    if widget:
        from PySide6.QtWidgets import QWidget

        box.widget = QWidget()
    weakref.finalize(box, lambda: where.append(threading.current_thread().name))


def _allocate_in_a_worker() -> list:
    kept: list = []
    worker = threading.Thread(target=lambda: kept.extend([[] for _ in range(50_000)]), name="worker")
    worker.start()
    worker.join()
    return kept


def test_a_cycle_holding_a_widget_is_collected_on_the_ui_thread_not_in_a_worker(qtbot):
    from PySide6.QtWidgets import QWidget

    from app.gui.gc_main_thread import MainThreadCollector

    window = QWidget()
    qtbot.addWidget(window)
    collector = MainThreadCollector(window)
    try:
        where: list[str] = []
        _garbage_cycle(where)
        kept = _allocate_in_a_worker()
        assert where == []                      # the worker did not collect it
        qtbot.waitUntil(lambda: where != [], timeout=15_000)
        assert where == ["MainThread"] and len(kept) == 50_000
        assert not gc.isenabled()
    finally:
        collector.release()
    assert gc.isenabled()                       # the window's workers are gone: back to normal


def test_without_the_collector_a_worker_collects_garbage_made_on_the_ui_thread():
    """The hazard itself, so the test above can fail: Python's own collector runs in the
    allocating thread (shown with a plain object: a widget destroyed there may crash)."""
    assert gc.isenabled()
    where: list[str] = []
    gc.collect()
    _garbage_cycle(where, widget=False)
    _allocate_in_a_worker()
    assert where == ["worker"]
