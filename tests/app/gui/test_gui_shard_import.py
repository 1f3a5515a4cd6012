"""File -> Import encoded shards...: shards made by another library (the cluster stages,
without Ray) go into the window's library on the edit lane."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("pyarrow")
pytestmark = pytest.mark.gui


def test_import_encoded_shards_from_the_file_menu(qtbot, tmp_path, shared_data, tiny_model_dir):
    from app.gui.main_window import MainWindow
    from app.gui.shard_import import MENU_TEXT, import_shards, imported_text
    from core.library import Library
    from core.settings import Settings
    from tests.cluster_checks import assert_same_library, make_folder, run_stages

    folder = make_folder(tmp_path / "docs", shared_data, docx=3, pdfs=1, malformed=1)
    with Library(path=tmp_path / "elsewhere.sqlite", model_path=tiny_model_dir) as other:
        other.add_folder(folder)
        other.indexer.reconcile()
        run_stages(other, str(tmp_path / "shards"))
    w = MainWindow(settings=Settings(), library_path=tmp_path / "lib.sqlite", model_path=tiny_model_dir)
    qtbot.addWidget(w)
    w.show()
    w.start()
    qtbot.waitUntil(lambda: w.lib is not None, timeout=120_000)
    try:
        file_menu = w.menuBar().actions()[0].menu()
        assert MENU_TEXT in [a.text() for a in file_menu.actions()]
        import_shards(w, str(tmp_path / "not-a-folder"))
        qtbot.waitUntil(lambda: getattr(w, "shard_import_message", None) is not None, timeout=30_000)
        assert "not a folder" in w.shard_import_message.text()
        w.shard_import_message.close()
        import_shards(w, str(tmp_path / "shards"))
        qtbot.waitUntil(lambda: getattr(w, "shard_import_report", None) is not None, timeout=60_000)
        report = w.shard_import_report
        assert (report.indexed, report.failed) == (4, 1)
        assert imported_text(report).startswith("Imported 4 documents")
        assert len(w.lib.catalog.documents()) == 5
    finally:
        w.close()
        qtbot.waitUntil(lambda: w.shutdown_done, timeout=60_000)
    with Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir) as lib, \
            Library(path=tmp_path / "local.sqlite", model_path=tiny_model_dir) as local:
        local.add_folder(folder)
        local.indexer.index()
        # the documents and vectors are those of a local run (the folder row aside)
        assert_same_library(local, lib)
