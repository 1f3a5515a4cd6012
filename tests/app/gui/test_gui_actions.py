"""The window's actions a person clicks (issue 32): Index now, Stop indexing and Resume,
Re-index, Remove folder, Use this version, the filter menus and Group by document, and the
full-disk and busy errors shown. Indexing is held at gates, never timed."""

from __future__ import annotations

import os
import threading
import time

import pytest

from core.library import Library
from tests.gui_window import close_window, open_window

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui

WAIT_MS = 120_000


def _window(qtbot, tmp_path, model_dir, watch=False):
    return open_window(qtbot, tmp_path, model_dir, watch=watch, size=(1000, 700),
                       ready=lambda w: w.model_loaded)


def _note(word: str, n: int = 1) -> str:
    return "\n\n".join(f"Paragraph {k} of a note about the {word} lighthouse keeper." for k in range(n)) + "\n"


def _indexed(folder, lib_path, model_dir, files: dict[str, str], mtimes: dict[str, float] | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        if mtimes and name in mtimes:
            os.utime(folder / name, (mtimes[name], mtimes[name]))
    with Library(path=lib_path, model_path=model_dir) as lib:
        lib.add_folder(folder)
        lib.indexer.index()
    return folder


class _Gate:
    """Holds the indexer inside the extraction of one file until released."""

    def __init__(self, monkeypatch, name: str) -> None:
        from core.extract.isolated import IsolatedExtractor

        self.reached, self.release = threading.Event(), threading.Event()
        original = IsolatedExtractor.extract

        def extract(extractor, path, *args, **kwargs):
            if os.path.basename(os.fspath(path)) == name:
                self.reached.set()
                self.release.wait(120)
            return original(extractor, path, *args, **kwargs)

        monkeypatch.setattr(IsolatedExtractor, "extract", extract)


def _status_lines(w) -> list[str]:
    """Every text the status bar shows from now on (a message may give way to the counts
    soon after: the test still sees that it was shown)."""
    shown: list[str] = []
    real = w.status_label.setText

    def set_text(text: str) -> None:
        shown.append(text)
        real(text)

    w.status_label.setText = set_text
    return shown


def _search(qtbot, w, query: str) -> list:
    with qtbot.waitSignal(w.results_shown, timeout=60_000):
        w.set_query(query)
    return [r.result for r in w.results.rows]


def _names(results) -> list[str]:
    return sorted(os.path.basename(r.path) for r in results)


def test_filter_menus_and_group_by_document(qtbot, tmp_path, tiny_model_dir):
    year = 365 * 86400
    _indexed(tmp_path / "docs", tmp_path / "lib.sqlite", tiny_model_dir,
             {"two.txt": _note("granite", 2), "one.md": _note("basalt"), "old.txt": _note("chalk")},
             mtimes={"old.txt": time.time() - 3 * year})
    w = _window(qtbot, tmp_path, tiny_model_dir)
    try:
        page = w.search_page
        w.mode_combo.setCurrentIndex(w.mode_combo.findData("keyword"))
        assert _names(_search(qtbot, w, "lighthouse keeper")) == ["old.txt", "one.md", "two.txt", "two.txt"]

        def choose(combo, label: str) -> list:
            with qtbot.waitSignal(w.results_shown, timeout=60_000):
                combo.setCurrentIndex(combo.findText(label))
            return [r.result for r in w.results.rows]

        assert _names(choose(page.type_combo, "Markdown")) == ["one.md"]
        assert _names(choose(page.type_combo, "Text")) == ["old.txt", "two.txt", "two.txt"]
        assert _names(choose(page.date_combo, "Past year")) == ["two.txt", "two.txt"]
        assert _names(choose(page.type_combo, "All types")) == ["one.md", "two.txt", "two.txt"]
        assert _names(choose(page.date_combo, "Any time")) == ["old.txt", "one.md", "two.txt", "two.txt"]
        with qtbot.waitSignal(w.results_shown, timeout=60_000):
            page.group_check.setChecked(True)
        grouped = [r.result for r in w.results.rows]
        assert _names(grouped) == ["old.txt", "one.md", "two.txt"]
        assert next(r for r in grouped if r.path.endswith("two.txt")).other_hits == 1
    finally:
        close_window(qtbot, w)


def test_index_now_stop_indexing_and_resume(qtbot, tmp_path, tiny_model_dir, monkeypatch):
    folder = _indexed(tmp_path / "docs", tmp_path / "lib.sqlite", tiny_model_dir, {"a.txt": _note("first")})
    w = _window(qtbot, tmp_path, tiny_model_dir)
    try:
        names = [f"{c}.txt" for c in "bcdefgh"]
        for name in names:
            (folder / name).write_text(_note(name[0] + "word"), encoding="utf-8")
        gate = _Gate(monkeypatch, "f.txt")                 # held at the fifth new file
        w.index_action.trigger()                           # Index now: the new files are read
        qtbot.waitUntil(gate.reached.is_set, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: w.progress.stop_btn.isVisible(), timeout=WAIT_MS)
        with qtbot.waitSignal(w.session.indexing_stopped, timeout=WAIT_MS) as stopped:
            w.progress.stop_btn.click()                    # Stop indexing
        assert stopped.args == [True]
        gate.release.set()                                 # the cancelled run ends after that
        qtbot.waitUntil(lambda: w.progress.last is not None and w.progress.last.phase == "cancelled",
                        timeout=WAIT_MS)
        # its last report does not hide "Resume indexing" (on the old code it did)
        assert w.progress.resume_btn.isVisible()
        assert w.progress.label.text().startswith("Indexing stopped")
        assert w.lib.indexer.pending_jobs() > 0 and len(w.lib.catalog.documents()) < 8  # the rest waits
        w.progress.resume_btn.click()                      # Resume indexing
        qtbot.waitUntil(lambda: w.lib.indexer.pending_jobs() == 0
                        and len(w.lib.catalog.documents(status="indexed")) == 8, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: not w.progress.resume_btn.isVisible(), timeout=WAIT_MS)
    finally:
        close_window(qtbot, w)


def test_reindex_and_remove_folder(qtbot, tmp_path, tiny_model_dir, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    folder = _indexed(tmp_path / "docs", tmp_path / "lib.sqlite", tiny_model_dir,
                      {"a.txt": _note("alpha"), "b.txt": _note("beta")})
    w = _window(qtbot, tmp_path, tiny_model_dir)
    try:
        doc = next(d for d in w.lib.catalog.documents() if d.path.endswith("a.txt"))
        stat = os.stat(folder / "a.txt")
        (folder / "a.txt").write_text(_note("gamma"), encoding="utf-8")     # same size and time:
        os.utime(folder / "a.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns))  # a scan sees no change
        shown = _status_lines(w)
        w.reindex_document(doc)                                               # Re-index
        qtbot.waitUntil(lambda: any("will be read again" in t for t in shown), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: any("gamma" in c.text for c in w.lib.catalog.chunks_of(doc.id)), timeout=WAIT_MS)

        answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
        w.remove_folder(str(folder))                        # Remove folder, answered No
        qtbot.waitUntil(lambda: not answers or answers == [QMessageBox.StandardButton.Yes], timeout=1000)
        assert len(w.lib.catalog.documents()) == 2
        w.remove_folder(str(folder))                        # ...and Yes
        qtbot.waitUntil(lambda: any("Removed" in t for t in shown), timeout=WAIT_MS)
        assert any(t.startswith("Removed") and t.endswith("(2 documents)") for t in shown)
        assert w.lib.catalog.documents() == [] and w.lib.folders() == []
        assert (folder / "a.txt").exists()                  # the files themselves are not touched
    finally:
        close_window(qtbot, w)


def test_use_this_version_switches_search_to_the_chosen_model(qtbot, tmp_path, tiny_model_dir):
    from conftest import build_tiny_bert

    second = build_tiny_bert(tmp_path / "second-model", seed=3)
    folder = _indexed(tmp_path / "docs", tmp_path / "lib.sqlite", tiny_model_dir, {"a.txt": _note("alpha")})
    with Library(path=tmp_path / "lib.sqlite", model_path=second) as lib:       # a switch, finished
        lib.indexer.index()
        assert folder.exists() and len(lib.versions.models()) == 2
        first_id = next(m.id for m in lib.versions.models() if not m.active)
    w = _window(qtbot, tmp_path, second)
    try:
        view = w.labels_view.models
        w.show_model_versions()
        qtbot.waitUntil(lambda: view.tree.topLevelItemCount() == 2, timeout=WAIT_MS)
        row = [m.id for m in view.models].index(first_id)
        view.tree.setCurrentItem(view.tree.topLevelItem(row))
        assert view.use_btn.isEnabled()
        with qtbot.waitSignal(view.status, timeout=WAIT_MS) as said:
            view.use_btn.click()                            # Use this version
        assert said.args[0].startswith("Search now uses")   # its vectors exist: at once
        assert w.lib.versions.active_model_id() == first_id
        qtbot.waitUntil(lambda: not view.use_btn.isEnabled() or view.selected().active, timeout=WAIT_MS)
    finally:
        close_window(qtbot, w)


def test_full_disk_and_busy_errors_are_shown_in_words(qtbot, tmp_path, tiny_model_dir, monkeypatch):
    from core import faults
    from core.store import failures

    folder = _indexed(tmp_path / "docs", tmp_path / "lib.sqlite", tiny_model_dir, {"a.txt": _note("alpha")})
    w = _window(qtbot, tmp_path, tiny_model_dir)
    try:
        (folder / "b.txt").write_text(_note("beta"), encoding="utf-8")
        monkeypatch.setenv("LIKEWISE_TEST_HOOKS", "1")
        monkeypatch.setenv("LIKEWISE_FAIL_AT", "write:1")   # the next document write meets a full disk
        faults._load()
        shown = _status_lines(w)
        refreshed: list[int] = []
        real_loaded = w._library_loaded

        def loaded(data):
            refreshed.append(len(shown))
            real_loaded(data)

        w._library_loaded = loaded
        w.index_action.trigger()
        qtbot.waitUntil(lambda: any("the disk holding the library is full" in t for t in shown),
                        timeout=WAIT_MS)
        said = next(t for t in shown if "the disk holding the library is full" in t)
        assert said.startswith("Indexing stopped:") and "Traceback" not in said and "Errno" not in said
        # the library's counts, refreshed after the run, do not wipe the message at once
        # (on the old code they did: it flickered away)
        before = len(refreshed)
        w.refresh_library()
        qtbot.waitUntil(lambda: len(refreshed) > before, timeout=WAIT_MS)
        assert w.status_label.text() == said
        assert w.lib.indexer.jobs.file_jobs_pending() == 1   # b.txt stays queued
        monkeypatch.delenv("LIKEWISE_FAIL_AT")
        faults._load()
        w.index_action.trigger()                             # space freed: Index now
        qtbot.waitUntil(lambda: w.lib.indexer.pending_jobs() == 0 and len(w.lib.catalog.documents()) == 2,
                        timeout=WAIT_MS)

        lib = w.lib
        monkeypatch.setattr(lib.indexer, "index", lambda *a, **k: (_ for _ in ()).throw(
            failures.busy(lib.path, 10)))
        w.index_action.trigger()
        qtbot.waitUntil(lambda: any(t.startswith("The library is busy:") for t in shown), timeout=WAIT_MS)
        assert any(t.startswith("The library is busy:") and "Nothing was lost" in t for t in shown)
    finally:
        close_window(qtbot, w)
        monkeypatch.delenv("LIKEWISE_FAIL_AT", raising=False)     # never left armed for later tests
        monkeypatch.delenv("LIKEWISE_TEST_HOOKS", raising=False)
        faults._load()
