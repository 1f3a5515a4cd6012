"""The window with mail in the library: a result card names the message and its sender,
and the "From" filter keeps only that sender's mail (issue 28)."""

from __future__ import annotations

import pytest

from tests.gui_window import close_window, open_window
from tests.mail_files import mbox_bytes, message

pytest.importorskip("pytestqt")


def test_from_filter_and_card_of_a_message(qtbot, tmp_path, tiny_model_dir):
    from core.library import Library

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "Inbox").write_bytes(mbox_bytes([
        message("Tide tables", "High water zqwater at noon.", sender="Carol <carol@example.org>"),
        message("Lamp oil", "Order more zqwater oil.", sender="Dan <dan@example.org>")]))
    with Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir) as lib:
        lib.add_folder(docs)
        lib.indexer.index()
    w = open_window(qtbot, tmp_path, tiny_model_dir, ready=lambda w: w.model_loaded)
    try:
        page = w.search_page
        page.mode_combo.setCurrentIndex(page.mode_combo.findData("keyword"))
        page.sender_edit.setText("carol")
        page.sender_edit.editingFinished.emit()
        assert page.filters().sender == "carol"
        page.search_edit.setText("zqwater")
        page.search_now()
        qtbot.waitUntil(lambda: page.results.rowCount() > 0, timeout=30_000)
        shown = [page.results.result_at(i) for i in range(page.results.rowCount())]
        assert [(r.title, r.sender) for r in shown] == [("Tide tables", "Carol <carol@example.org>")]
        assert page.results.data(page.results.index(0, 0)).startswith("Inbox › message 1")
    finally:
        close_window(qtbot, w)
