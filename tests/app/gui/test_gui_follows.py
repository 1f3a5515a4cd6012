"""The window's views follow the library whoever changes it: another task of the window
(the re-encoding after "Use this version"), another connection (mining), another
process (the command line). No tab is changed; each test waits for the view (pytest-qt)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import build_tiny_bert
from tests.gui_window import close_window, index_texts, open_window

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[3]
SHARED = ("The tenant shall keep the premises in good repair and return them in the condition "
          "in which they were received, fair wear and tear excepted.")
FILES = {f"lease{i}.md": f"# Lease {i}\n\nRent is due on day {i + 1} of each month.\n\n{SHARED}\n\n"
         f"# Notes\n\nSigned in the town hall, room {i + 10}.\n" for i in range(3)}


def _run_other_process(code: str) -> None:
    """Run ``code`` in another Python process (as the command line would)."""
    subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, check=True, timeout=300,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_library_lists_and_status_follow_another_process(qtbot, tmp_path, tiny_model_dir):
    lib_path = tmp_path / "lib.sqlite"
    index_texts(tmp_path / "first", {"a.md": "# A\n\nThe river floods every spring.\n"}, lib_path,
                tiny_model_dir)
    second = tmp_path / "second"
    second.mkdir()
    for name, text in FILES.items():
        (second / name).write_text(text, encoding="utf-8")
    w = open_window(qtbot, tmp_path, tiny_model_dir, watch=False,
                    ready=lambda w: w.library_panel.folders.topLevelItemCount() == 1)
    try:
        qtbot.waitUntil(lambda: "in 1 document" in w.status_label.text(), timeout=30_000)
        _run_other_process(f"""
            from core.library import Library
            with Library(path={str(lib_path)!r}, model_path={str(tiny_model_dir)!r}) as lib:
                lib.add_folder({str(second)!r})
                lib.indexer.index()
        """)
        # no tab change, no action in the window: the poll of the library file sees it
        qtbot.waitUntil(lambda: w.library_panel.folders.topLevelItemCount() == 2, timeout=10_000)
        qtbot.waitUntil(lambda: "in 4 documents" in w.status_label.text(), timeout=10_000)
        assert w.tabs.currentIndex() == 0
    finally:
        close_window(qtbot, w)


def test_models_table_follows_reencoding_to_its_end(qtbot, tmp_path, tiny_model_dir):
    """After "Use this version" the table used to stay at "re-encoding the library: 0 %"
    with the original "in use by search" until the tab was changed."""
    from core.library import Library

    lib_path = tmp_path / "lib.sqlite"
    index_texts(tmp_path / "docs", FILES, lib_path, tiny_model_dir)
    other = build_tiny_bert(tmp_path / "tuned", seed=1)
    with Library(path=lib_path, model_path=tiny_model_dir) as lib:
        tuned = lib.versions.add_finetuned("tuned-on-leases", other, 32, lib.versions.active_model_id(), {})
    w = open_window(qtbot, tmp_path, tiny_model_dir, watch=False, ready=lambda w: w.model_loaded)
    try:
        w.tabs.setCurrentWidget(w.labels_view)
        view = w.labels_view.models
        qtbot.waitUntil(lambda: view.tree.topLevelItemCount() == 2, timeout=10_000)
        row = next(i for i, m in enumerate(view.models) if m.id == tuned)
        view.tree.setCurrentItem(view.tree.topLevelItem(row))
        view.use_btn.click()

        def states() -> dict[int, str]:
            return {m.id: view.tree.topLevelItem(i).text(2) for i, m in enumerate(view.models)}

        qtbot.waitUntil(lambda: states().get(tuned) == "in use by search", timeout=60_000)
        assert list(states().values()).count("in use by search") == 1
        assert w.tabs.currentWidget() is w.labels_view
    finally:
        close_window(qtbot, w)


def test_similar_paragraphs_follow_mining_done_elsewhere(qtbot, tmp_path, tiny_model_dir):
    """Mining by another connection (the CLI's `duplicates`, another window) shows in the
    open tab, and "N new passages not compared yet" goes once they are compared."""
    from core.library import Library

    lib_path = tmp_path / "lib.sqlite"
    index_texts(tmp_path / "docs", FILES, lib_path, tiny_model_dir)
    w = open_window(qtbot, tmp_path, tiny_model_dir, watch=False)
    try:
        view = w.dupes_view
        w.tabs.setCurrentWidget(view)
        qtbot.waitUntil(lambda: "not compared yet" in view.summary.text(), timeout=10_000)
        with Library(path=lib_path, model_path=tiny_model_dir) as other:
            other.discovery.mine_duplicates()
        qtbot.waitUntil(lambda: view.tree.topLevelItemCount() > 0, timeout=10_000)
        qtbot.waitUntil(lambda: "not compared yet" not in view.summary.text(), timeout=10_000)
        n = view.tree.topLevelItemCount()
        assert view.summary.text().startswith(f"{n} group" + ("" if n == 1 else "s"))
        # a poll that finds the same list keeps the person's place
        view.tree.setCurrentItem(view.tree.topLevelItem(n - 1))
        chosen = view.tree.currentItem()
        view.refresh()
        qtbot.wait(300)
        assert view.tree.currentItem() is chosen
    finally:
        close_window(qtbot, w)


def test_a_stale_could_not_open_gives_way_to_a_successful_open(qtbot, tmp_path, tiny_model_dir, monkeypatch):
    from app.gui import viewer

    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    w = open_window(qtbot, tmp_path, tiny_model_dir, watch=False)
    try:
        monkeypatch.setattr(viewer, "open_document_why", lambda path, page=None: "no PDF viewer is installed")
        w.search_page.open_path(str(pdf), 2)
        assert "no PDF viewer" in w.status_label.text()
        monkeypatch.setattr(viewer, "open_document_why", lambda path, page=None: None)
        w.search_page.open_path(str(pdf), 2)       # a viewer was installed meanwhile
        assert w.status_label.text() == "Opened paper.pdf at page 2"
        # and a refresh of the library does not bring back the old message nor hide the new
        w.refresh_library()
        qtbot.wait(300)
        assert w.status_label.text() == "Opened paper.pdf at page 2"
    finally:
        close_window(qtbot, w)


def test_a_paused_folders_waiting_column_counts_a_file_that_arrives(qtbot, tmp_path, tiny_model_dir):
    lib_path = tmp_path / "lib.sqlite"
    docs = index_texts(tmp_path / "docs", {"a.md": "# A\n\nThe river floods every spring.\n"}, lib_path,
                       tiny_model_dir)
    w = open_window(qtbot, tmp_path, tiny_model_dir, watch_options={"debounce_s": 0.3, "reconcile_interval_s": 0},
                    ready=lambda w: w.library_panel.folders.topLevelItemCount() == 1)
    try:
        w.pause_folder(str(docs), True)
        item = w.library_panel.folders.topLevelItem
        qtbot.waitUntil(lambda: item(0).text(1) == "Paused", timeout=10_000)
        (docs / "arrived.md").write_text("# B\n\nA new note arrives while paused.\n", encoding="utf-8")
        qtbot.waitUntil(lambda: item(0).text(3) == "1", timeout=30_000)
        assert w.tabs.currentIndex() == 0 and item(0).text(2) == "1"      # not indexed meanwhile
        w.pause_folder(str(docs), False)
        qtbot.waitUntil(lambda: item(0).text(2) == "2" and item(0).text(3) == "", timeout=60_000)
    finally:
        close_window(qtbot, w)
