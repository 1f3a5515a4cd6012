"""The window's "same file in several places" list (app/gui/copies_dialog.py), reached
from the Library tab's "Copies..." button."""

from __future__ import annotations

import shutil


def test_copies_dialog_lists_each_file_with_every_place(qtbot, tmp_path, tiny_library):
    from app.gui.copies_dialog import CopiesDialog
    from app.gui.tasks import TaskRunner

    lib = tiny_library
    root = tmp_path / "docs"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    first = root / "a" / "minutes.md"
    first.write_text("# Minutes\n\nThe committee approved the new bicycle racks.\n", encoding="utf-8")
    shutil.copy(first, root / "b" / "minutes.md")
    (root / "alone.md").write_text("Nothing else is like this note about otters.\n", encoding="utf-8")
    lib.add_folder(root)
    lib.indexer.index()

    runner = TaskRunner(library=lambda: lib)
    dialog = CopiesDialog(runner)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.tree.topLevelItemCount() == 1, timeout=30_000)
    top = dialog.tree.topLevelItem(0)
    assert top.text(0).startswith("Same file in 2 places")
    assert sorted(top.child(i).text(0) for i in range(top.childCount())) == sorted(
        [str(first), str(root / "b" / "minutes.md")])
    assert "1 file is in more than one place (1 extra copy)" in dialog.note.text()
    runner.shutdown(timeout_s=5)
