"""The window's exclusions dialog (app/gui/exclusions_dialog.py) and the Library tab's count."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")


def test_exclusions_dialog_adds_counts_and_removes(qtbot, tmp_path, tiny_library):
    from app.gui.exclusions_dialog import ExclusionsDialog
    from app.gui.library_panel import LibraryPanel
    from app.gui.tasks import TaskRunner

    lib = tiny_library
    root = tmp_path / "docs"
    (root / "drafts").mkdir(parents=True)
    (root / "a.txt").write_text("Compost heaps and garden soil.", encoding="utf-8")
    (root / "drafts" / "b.txt").write_text("A draft about tides.", encoding="utf-8")
    lib.add_folder(root)
    lib.indexer.index()
    assert len(lib.catalog.documents()) == 2

    runner = TaskRunner(library=lambda: lib)
    dialog = ExclusionsDialog(runner, lib.folders(), selected=lib.folders()[0].path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.tree.topLevelItemCount() >= 4, timeout=30_000)   # the defaults
    assert dialog.scope.currentData() == lib.folders()[0].path

    messages: list[str] = []
    dialog.status.connect(messages.append)
    dialog.pattern.setText("drafts/")
    dialog.add_btn.click()
    qtbot.waitUntil(lambda: len(messages) == 1, timeout=30_000)
    assert "1 documents left the library" in messages[0]
    assert [d.path.endswith("a.txt") for d in lib.catalog.documents()] == [True]

    def row(pattern):
        for i in range(dialog.tree.topLevelItemCount()):
            item = dialog.tree.topLevelItem(i)
            if item.text(0) == pattern:
                return item
        return None

    qtbot.waitUntil(lambda: row("drafts/") is not None and row("drafts/").text(2) == "1", timeout=30_000)
    panel = LibraryPanel()
    qtbot.addWidget(panel)
    panel.set_exclusions(lib.exclusion_counts())
    assert "1 kept out" in panel.exclusions_btn.text()
    assert "drafts/: 1 kept out" in panel.exclusions_btn.toolTip()

    row("drafts/").setSelected(True)
    dialog.remove_btn.click()
    qtbot.waitUntil(lambda: len(messages) == 2, timeout=30_000)
    assert "No longer excluded: drafts/" in messages[1]
    lib.indexer.index()
    assert len(lib.catalog.documents()) == 2
    qtbot.waitUntil(lambda: row("drafts/") is None, timeout=30_000)
    runner.shutdown()
