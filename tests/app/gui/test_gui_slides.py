"""The window: a slide's passage shows its whole slide ("Show slide N"); the Library tab
lists the files of a type Likewise does not read."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from tests.formats import PHRASES, make_pptx
from tests.gui_window import close_window, open_window

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui


def _action(menu, text):
    for a in menu.actions():
        if a.text() == text:
            return a
    raise AssertionError(f"no action {text!r} in {[a.text() for a in menu.actions()]}")


def test_show_slide_and_unsupported_rows(qtbot, tmp_path, tiny_model_dir):
    from core.library import Library

    folder = tmp_path / "talks"
    folder.mkdir()
    make_pptx(folder / "season.pptx", PHRASES[".pptx"][1])
    (folder / "setup.exe").write_bytes(b"MZ" + b"\0" * 1000)
    (folder / "setup2.exe").write_bytes(b"MZ" + b"\0" * 1000)
    with Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir) as lib:
        lib.add_folder(folder)
        lib.indexer.index()
    w = open_window(qtbot, tmp_path, tiny_model_dir)
    try:
        with qtbot.waitSignal(w.search_page.results_shown, timeout=60_000):
            w.search_page.set_query(PHRASES[".pptx"][0], "keyword")
        hit = next(r.result for r in w.search_page.results.rows if r.result.page_start == 2)
        w.search_page.list.setCurrentIndex(w.search_page.results.index(
            [r.result for r in w.search_page.results.rows].index(hit)))
        qtbot.waitUntil(lambda: w.search_page.preview.result is hit, timeout=10_000)
        assert w.search_page.preview.page_btn.text() == "Show slide 2"
        _action(w.search_page.result_menu(hit), "Show slide 2").trigger()
        qtbot.waitUntil(lambda: "slide 2 of 2" in w.search_page.preview.meta.text(), timeout=10_000)
        body = w.search_page.preview.body.toPlainText()
        assert "Lamp | Oil" in body and "Speaker notes" in body and PHRASES[".pptx"][0] in body
        assert "Boats return to the harbour" not in body               # slide 1 is not shown

        panel = w.library_panel
        qtbot.waitUntil(lambda: any(d.status == "unsupported" for d in panel.model.docs), timeout=10_000)
        row = next(d for d in panel.model.docs if d.status == "unsupported")
        assert row.path == "2 .exe files" and row.size == 2 * 1002 and "not a supported type" in row.error
        assert "2 files of a type not read" in panel.summary.text()
        panel.status_combo.setCurrentIndex(panel.status_combo.findText("Not a supported type (never read)"))
        assert panel.model.rowCount() == 1 and panel.model.docs[0].status == "unsupported"
    finally:
        close_window(qtbot, w)
