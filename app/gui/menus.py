"""The window's menu bar: File, Library, View and Help (app/gui/help_dialogs.py)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QKeySequence

from app.gui import exporting
from app.gui.help_dialogs import show_about, show_guide, show_shortcuts
from app.gui.shard_import import add_import_action

TAB_NAMES = ("&Search", "&Library", "Similar &paragraphs", "La&bels")


def _action(window: Any, menu: Any, text: str, slot: Any, shortcut: Any = None) -> QAction:
    act = QAction(text, window)
    if shortcut is not None:
        act.setShortcut(shortcut)
    act.triggered.connect(lambda _checked=False: slot())
    menu.addAction(act)
    return act


def build_menus(w: Any) -> None:
    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    _action(w, file_menu, "&Add folder\u2026", w.choose_folder)
    w.import_shards_action = add_import_action(w, file_menu)
    file_menu.addSeparator()
    w.export_results_action = _action(w, file_menu, "&Export results\u2026",
                                      lambda: exporting.choose_and_export_results(w), QKeySequence("Ctrl+E"))
    w.export_labels_action = _action(w, file_menu, "Export &labels\u2026",
                                     lambda: exporting.choose_and_export_labels(w))
    file_menu.addSeparator()
    _action(w, file_menu, "&Settings\u2026", w.open_settings, QKeySequence.StandardKey.Preferences)
    file_menu.addSeparator()
    _action(w, file_menu, "&Quit", w.close, QKeySequence.StandardKey.Quit)
    lib_menu = bar.addMenu("&Library")
    w.index_action = _action(w, lib_menu, "&Index now", w.index_now)
    _action(w, lib_menu, "&Stop indexing", w.session.stop_indexing)
    _action(w, lib_menu, "Show files that could not be read", w._show_problem_documents)
    w.view_menu = bar.addMenu("&View")
    for i, name in enumerate(TAB_NAMES):
        _action(w, w.view_menu, name, lambda i=i: w.tabs.setCurrentIndex(i), QKeySequence(f"Ctrl+{i + 1}"))
    w.help_menu = bar.addMenu("&Help")
    _action(w, w.help_menu, "Quick &guide", lambda: show_guide(w), QKeySequence.StandardKey.HelpContents)
    _action(w, w.help_menu, "&Keyboard shortcuts", lambda: show_shortcuts(w))
    w.help_menu.addSeparator()
    _action(w, w.help_menu, "&About Likewise", lambda: show_about(w))
