"""`likewise-gui --similar FILE`: the window opens on the documents like that file."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from tests.gui_window import close_window as _close
from tests.gui_window import index_texts, open_window

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui

TEXTS = {
    "bees.txt": "Honey bees dance to tell the hive where the flowers are. Bees carry pollen home.",
    "hive.txt": "A hive of honey bees sends foragers to flowers; the waggle dance shows the way.",
    "rust.txt": "Iron rusts when water and oxygen reach the bare metal of a bridge.",
}


@pytest.fixture
def indexed(tmp_path, tiny_model_dir):
    return index_texts(tmp_path / "docs", {name: text + "\n" for name, text in TEXTS.items()},
                       tmp_path / "lib.sqlite", tiny_model_dir)


def _window(qtbot, tmp_path, tiny_model_dir):
    """Shown, not started: each test starts it when it wants."""
    return open_window(qtbot, tmp_path, tiny_model_dir, start=False, watch=False)


def test_similar_file_given_at_start_shows_similar_documents(qtbot, tmp_path, tiny_model_dir, indexed):
    from app.gui.results import ResultRole

    w = _window(qtbot, tmp_path, tiny_model_dir)
    shown = []
    w.results_shown.connect(shown.append)
    w.start()
    w.find_similar_to_file(str(indexed / "bees.txt"))      # before the library is open
    try:
        qtbot.waitUntil(lambda: "similar_docs" in shown, timeout=120_000)
        paths = [w.results.index(i, 0).data(ResultRole).path for i in range(w.results.rowCount())]
        assert paths[0].endswith("bees.txt")                 # the source first
        assert {p.rsplit("/", 1)[-1] for p in paths[1:]} == {"hive.txt", "rust.txt"}
        assert "similar documents" in w.header.text()
    finally:
        _close(qtbot, w)


def test_similar_file_outside_the_library_is_read_shown_and_its_folder_offered(qtbot, tmp_path, tiny_model_dir,
                                                                            indexed):
    from app.gui.results import ResultRole

    elsewhere = tmp_path / "Downloads"
    elsewhere.mkdir()
    stranger = elsewhere / "bees again.txt"
    stranger.write_text(TEXTS["bees.txt"] + "\n", encoding="utf-8")
    w = _window(qtbot, tmp_path, tiny_model_dir)
    shown = []
    w.results_shown.connect(shown.append)
    w.start()
    w.find_similar_to_file(str(stranger))
    try:
        qtbot.waitUntil(lambda: "similar_docs" in shown, timeout=120_000)
        rows = [(w.results.rows[i].kind, w.results.index(i, 0).data(ResultRole)) for i in range(w.results.rowCount())]
        assert rows[0][0] == "source" and rows[0][1].path == str(stranger)
        assert "Not in your library" in rows[0][1].text
        documents = [r.path.rsplit("/", 1)[-1] for kind, r in rows if kind == "document"]
        passages = [r.path.rsplit("/", 1)[-1] for kind, r in rows if kind == "result"]
        assert documents[0] == "bees.txt" and passages[0] == "bees.txt"
        assert "similar passage" in w.header.text()
        button = w.search_page.add_folder_button
        assert button.isVisible() and str(elsewhere) in button.toolTip()
        qtbot.waitUntil(lambda: not w.runner.running(), timeout=60_000)
        button.click()                                   # the offer taken: the folder is added
        qtbot.waitUntil(lambda: any(f.path == str(elsewhere) for f in w.lib.folders()), timeout=60_000)
        assert not button.isVisible()
    finally:
        _close(qtbot, w)
