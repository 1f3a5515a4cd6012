"""The window on a damaged library file: it says so in words, leaves the file as it was,
and its button moves the file aside and rebuilds from the same folders, without blocking."""

from __future__ import annotations

import hashlib
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from library_checks import write_notes

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui


def test_window_offers_to_rebuild_a_damaged_library(qtbot, tmp_path, tiny_model_dir):
    from app.gui.main_window import MainWindow
    from app.gui.rebuild_offer import REBUILD_TEXT
    from core.library import Library
    from core.settings import Settings

    folder = tmp_path / "docs"
    write_notes(folder, 0, 8)
    db = tmp_path / "lib.sqlite"
    with Library(path=db, model_path=tiny_model_dir) as lib:
        lib.add_folder(folder)
        lib.indexer.index()
    with open(db, "r+b") as fh:
        fh.truncate(db.stat().st_size // 2)
    before = hashlib.sha256(db.read_bytes()).hexdigest()

    w = MainWindow(settings=Settings(), library_path=db, model_path=tiny_model_dir)
    qtbot.addWidget(w)
    w.show()
    w.start()
    qtbot.waitUntil(lambda: w.open_problem_dialog is not None and w.open_problem_dialog.isVisible(),
                    timeout=60_000)
    dialog = w.open_problem_dialog
    assert dialog.text().startswith("The library file is damaged:") and "truncated" in dialog.text()
    assert w.lib is None
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not list(tmp_path.glob("*.damaged-*"))

    [button] = [b for b in dialog.buttons() if b.text() == REBUILD_TEXT]
    button.click()   # returns at once: the move and the new library are built off the UI thread
    qtbot.waitUntil(lambda: w.lib is not None, timeout=60_000)
    assert "kept as lib.sqlite.damaged-" in w.rebuild_notice.text()
    assert "indexing its 1 folder(s) again" in w.rebuild_notice.text()
    qtbot.waitUntil(lambda: w.lib.indexer.pending_jobs() == 0 and len(w.lib.catalog.documents(status="indexed")) == 8,
                    timeout=240_000)
    [moved] = [p for p in tmp_path.glob("lib.sqlite.damaged-*") if not p.name.endswith(("-wal", "-shm"))]
    assert hashlib.sha256(moved.read_bytes()).hexdigest() == before
    assert [f.path for f in w.lib.folders()] == [str(folder)]
    w.close()
    qtbot.waitUntil(lambda: w.shutdown_done, timeout=60_000)
