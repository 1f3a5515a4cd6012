"""The window, driven as a person would (pytest-qt, offscreen)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gui_window import close_window as _close
from tests.gui_window import open_window as _window

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[3]
WAIT_INDEX_MS = 240_000


def _wait_indexed(qtbot, w, timeout=WAIT_INDEX_MS):
    """Until the queue is empty and the window's counts say so."""
    def done():
        lib = w.lib
        return (lib is not None and lib.indexer.pending_jobs() == 0 and w.counts.get("queued", 1) == 0
                and sum(w.counts.get(s, 0) for s in ("indexed", "encrypted", "no_text", "error")) > 0)
    qtbot.waitUntil(done, timeout=timeout)


def _action(menu, text):
    for a in menu.actions():
        if a.text() == text:
            return a
    raise AssertionError(f"no action {text!r} in {[a.text() for a in menu.actions()]}")


# -- pure parts ---------------------------------------------------------------------------

def test_window_modules_import_no_torch():
    code = (
        "import sys, app.gui.main, app.gui.main_window, app.gui.tasks, app.gui.screenshots;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('torch','transformers')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_passage_html_marks_best_sentence_and_words():
    from app.gui.highlight import passage_html

    text = "Intro <b> here. The cat sat on the mat. Goodbye."
    best = (text.index("The cat"), text.index("mat.") + 4)
    cat = (text.index("cat"), text.index("cat") + 3)
    html = passage_html(text, best, [cat])
    assert "&lt;b&gt;" in html                       # text is escaped
    assert "<b>cat</b>" in html
    start = html.index("background-color")
    assert "The " in html[start:] and "mat." in html[start:]
    long = "word " * 400 + "The key sentence is here. " + "tail " * 400
    b = (long.index("The key"), long.index("here.") + 5)
    short = passage_html(long, b, [], limit=200)
    assert "The key sentence is here." in short and short.startswith("\u2026") and short.endswith("\u2026")
    assert len(short) < 600


def test_viewer_commands_choose_a_page_capable_viewer():
    from app.gui.viewer import open_at_page_command, reveal_command

    have = {"okular"}
    cmd = open_at_page_command("/d/a.pdf", 7, "linux", lambda n: n if n in have else None)
    assert cmd == ["okular", "--page", "7", "/d/a.pdf"]
    have = {"evince", "okular"}
    assert open_at_page_command("/d/a.pdf", 3, "linux", lambda n: n if n in have else None)[:2] == [
        "evince", "--page-label=3"]
    sumatra = open_at_page_command("/d/a.pdf", 3, "win32",
                                   lambda n: "C:/S/SumatraPDF.exe" if n.startswith("Sumatra") else None)
    assert sumatra == ["C:/S/SumatraPDF.exe", "-page", "3", "/d/a.pdf"]
    browser = open_at_page_command("/d/a.pdf", 5, "linux", lambda n: n if n == "firefox" else None)
    assert browser[0] == "firefox" and browser[1].endswith("#page=5")
    assert open_at_page_command("/d/a.docx", 3, "linux", lambda n: n) is None
    assert open_at_page_command("/d/a.pdf", 3, "darwin", lambda n: n) is None
    assert reveal_command("/d/a.pdf", "darwin") == ["open", "-R", "/d/a.pdf"]
    assert reveal_command("/d/a.pdf", "linux", lambda n: None) == ["xdg-open", "/d"]


def test_tasks_deliver_results_errors_and_cancel_on_the_ui_thread(qtbot):
    import threading

    from app.gui.tasks import TaskRunner
    from core.errors import Cancelled, InvalidInputError

    runner = TaskRunner()
    ui = threading.get_ident()
    seen: dict = {}

    def work(ctx):
        seen["worker"] = threading.get_ident()
        ctx.progress(1)
        return 42

    runner.run(work, on_done=lambda r: seen.update(result=r, thread=threading.get_ident()),
               on_progress=lambda p: seen.setdefault("progress", p))
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen["result"] == 42 and seen["thread"] == ui and seen["worker"] != ui
    assert seen["progress"] == 1

    def bad(ctx):
        raise InvalidInputError("nope")

    runner.run(bad, on_error=lambda e: seen.update(error=e))
    qtbot.waitUntil(lambda: "error" in seen)
    assert isinstance(seen["error"], InvalidInputError)

    gate = threading.Event()

    def slow(ctx):
        gate.wait(5)
        ctx.cancel.raise_if_cancelled()
        return "late"

    t = runner.run(slow, on_done=lambda r: seen.update(slow=r), on_cancelled=lambda: seen.update(cancelled=True),
                   on_error=lambda e: seen.update(slow_error=e))
    t.cancel()
    gate.set()
    qtbot.waitUntil(lambda: "cancelled" in seen)
    assert "slow" not in seen and "slow_error" not in seen

    # a newer task with the same key supersedes the older one: only the latest result shows
    gate2 = threading.Event()
    got: list = []
    runner.run(lambda ctx: (gate2.wait(5), "old")[1], key="search", on_done=got.append)
    runner.run(lambda ctx: "new", key="search", on_done=got.append)
    gate2.set()
    qtbot.waitUntil(lambda: not runner.running())
    from PySide6.QtCore import QCoreApplication

    QCoreApplication.sendPostedEvents()   # every result posted by the finished tasks is delivered
    assert got == ["new"]
    assert runner.shutdown(5)
    with pytest.raises(RuntimeError):
        runner.run(lambda ctx: None)
    assert not isinstance(seen.get("error"), Cancelled)


# -- the window with a real library ------------------------------------------------------------

REAL_DOCS = [
    "pdf_real/docling/multi_page.pdf",
    "pdf_real/py-pdf_sample-files/021-pdfa__crazyones-pdfa.pdf",
    "pdf_real/py-pdf_sample-files/011-google-doc-document__google-doc-document.pdf",
    "pdf_real/py-pdf_sample-files/004-pdflatex-4-pages__pdflatex-4-pages.pdf",
]


@pytest.mark.slow
def test_first_run_add_folder_search_find_similar_and_label(qtbot, tmp_path, shared_data,
                                                            default_model_dir, shipped_precision):
    from app.gui.results import RESULT, SOURCE

    docs = tmp_path / "docs"
    docs.mkdir()
    for rel in REAL_DOCS:
        shutil.copy(shared_data / rel, docs / Path(rel).name)
    w = _window(qtbot, tmp_path, default_model_dir)
    try:
        # an empty library opens on the first-run screen
        qtbot.waitUntil(lambda: w.search_stack.currentWidget() is w.first_run, timeout=30_000)
        assert w.first_run.isVisible()
        lines = w.first_run.lines          # every line of the welcome text shows, none cut off
        assert lines.height() >= lines.heightForWidth(lines.width()) > 0
        assert "similar passages" in lines.text()
        w.add_folder(str(docs))
        qtbot.waitUntil(lambda: w.search_stack.currentWidget() is w.search_page, timeout=30_000)
        _wait_indexed(qtbot, w)
        assert w.counts["indexed"] == len(REAL_DOCS)
        # the window searches on the precision the product ships: int8 on a CPU
        assert set(w.lib.versions.vector_precisions()) <= {"int8-openvino", "int8-onnxruntime"}

        # a paraphrase (no shared key words) finds the passage, with its page and highlight
        w.mode_combo.setCurrentIndex(w.mode_combo.findData("dense"))
        with qtbot.waitSignal(w.results_shown, timeout=60_000):
            w.set_query("programs made for people who write films")
        top = [r.result for r in w.results.rows[:3]]
        hit = next(r for r in top if r.path.endswith("multi_page.pdf") and "Screenwriting" in r.text)
        assert hit.page_start == 3
        assert hit.best_sentence is not None
        a, b = hit.best_sentence
        assert "Screenwriting" in hit.text[a:b] or "screenwriters" in hit.text[a:b]
        # the list paints it (delegate) and the preview shows it in context
        assert w.list.visualRect(w.results.index(0)).height() > 40
        assert w.list.grab().width() > 0
        row = [r.result for r in w.results.rows].index(hit)
        w.list.setCurrentIndex(w.results.index(row))
        qtbot.waitUntil(lambda: "background-color" in w.preview.body.toHtml() or
                        "#fff1a8" in w.preview.body.toHtml(), timeout=10_000)
        assert "p. 3" in w.preview.meta.text()

        # marking it relevant stores a labelled pair for this query
        _action(w.result_menu(hit), "Mark similar").trigger()
        qtbot.waitUntil(lambda: len(w.lib.label_table.labels()) == 1, timeout=10_000)
        label = w.lib.label_table.labels()[0]
        assert label.query == "programs made for people who write films"
        assert label.chunk2 == hit.chunk_id or label.chunk1 == hit.chunk_id

        # find similar passages: the source on top, no passage of its document below
        with qtbot.waitSignal(w.results_shown, timeout=60_000):
            _action(w.result_menu(hit), "Find similar passages").trigger()
        rows = w.results.rows
        assert rows[0].kind == SOURCE and rows[0].result.chunk_id == hit.chunk_id
        others = [r.result for r in rows[1:]]
        assert others and all(r.document_id != hit.document_id for r in others)
        assert all(r.kind == RESULT for r in rows[1:])

        # find similar documents: never the document itself
        with qtbot.waitSignal(w.results_shown, timeout=60_000):
            _action(w.result_menu(hit), "Find similar documents").trigger()
        docs_found = [r.result for r in w.results.rows[1:]]
        assert docs_found and all(r.document_id != hit.document_id for r in docs_found)
        assert len({r.document_id for r in docs_found}) == len(docs_found)
    finally:
        _close(qtbot, w)


def test_each_result_reaches_its_own_task_among_many(qtbot):
    """Many short tasks in a row, their objects freed as they finish: each callback gets
    its own task's result and progress."""
    import gc

    from app.gui.tasks import TaskRunner

    runner = TaskRunner()
    results: list = []
    progress: list = []

    def work(ctx, i):
        ctx.progress(("step", i))
        return ("result", i)

    for batch in range(6):
        for i in range(batch * 50, batch * 50 + 50):
            runner.query(lambda ctx, i=i: work(ctx, i), on_done=lambda r, i=i: results.append((i, r)))
            runner.run(lambda ctx, i=i: work(ctx, i), on_progress=lambda p, i=i: progress.append((i, p)),
                       min_progress_interval=0.0)
        qtbot.waitUntil(lambda n=batch: len(results) == (n + 1) * 50, timeout=30_000)
        gc.collect()
    qtbot.waitUntil(lambda: len(progress) == 300, timeout=30_000)
    assert all(r == ("result", i) for i, r in results)
    assert all(p == ("step", i) for i, p in progress)
    runner.shutdown(timeout_s=5)


def test_a_result_arriving_after_shutdown_is_dropped(qtbot):
    """A search that finishes while the window closes must not start its follow-up
    (best sentences) on the shut-down runner: the result is dropped, nothing raises."""
    from app.gui.tasks import TaskRunner

    runner = TaskRunner()
    seen: list = []

    def follow_up(result):
        seen.append(result)
        runner.run(lambda ctx: None)      # would raise: the runner is shut down

    runner.run(lambda ctx: "hits", on_done=follow_up)
    assert runner.wait_idle(5)            # done, but not yet delivered to the UI thread
    runner.shutdown(timeout_s=1)
    from PySide6.QtCore import QCoreApplication

    QCoreApplication.sendPostedEvents()   # the queued delivery (posted by now) runs here
    QCoreApplication.processEvents()
    assert seen == []


def test_throttled_progress_still_shows_the_end_of_every_phase(qtbot):
    """Progress is thinned to one report per interval, but the last step of a phase is
    never swallowed by the next phase, and the final report always arrives."""
    from types import SimpleNamespace as P

    from app.gui.tasks import TaskRunner

    runner = TaskRunner()
    shown: list = []

    def work(ctx):
        for step in range(1, 6):
            ctx.progress(P(phase="measuring", step=step))
        for step in range(1, 4):
            ctx.progress(P(phase="training", step=step))
        ctx.progress(P(phase="saving", step=0))
        ctx.progress(P(phase="done", step=0))
        return "ok"

    # an interval no run can outlast: only phase changes and the end let reports through
    task = runner.run(work, on_progress=lambda p: shown.append((p.phase, p.step)),
                      min_progress_interval=3600)
    qtbot.waitUntil(lambda: task.is_done and not runner.running(), timeout=10_000)
    qtbot.waitUntil(lambda: shown and shown[-1] == ("done", 0), timeout=5_000)
    assert shown == [("measuring", 1), ("measuring", 5), ("training", 1), ("training", 3),
                     ("saving", 0), ("done", 0)]
    runner.shutdown(1)


def test_broken_files_are_listed_with_reasons(qtbot, tmp_path, shared_data, tiny_model_dir, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(shared_data / "pdf_edgecases/encrypted/pdfjs__issue6010_1.pdf", docs / "locked.pdf")
    malformed = sorted((shared_data / "docx/malformed").glob("*.docx"))[2]
    shutil.copy(malformed, docs / "broken.docx")
    (docs / "notes.txt").write_text("A plain note about rivers and their floods.\n\nSecond paragraph.",
                                    encoding="utf-8")
    shutil.copy(shared_data / REAL_DOCS[1], docs / "crazy.pdf")
    w = _window(qtbot, tmp_path, tiny_model_dir)
    try:
        w.add_folder(str(docs))
        _wait_indexed(qtbot, w)
        qtbot.waitUntil(lambda: w.library_panel.model.rowCount() == 4, timeout=20_000)
        by_name = {os.path.basename(d.path): d for d in w.library_panel.model.docs}
        assert by_name["notes.txt"].status == "indexed"
        assert by_name["crazy.pdf"].status == "indexed"
        assert by_name["locked.pdf"].status == "encrypted"
        assert by_name["broken.docx"].status == "error" and by_name["broken.docx"].error
        # the table shows the reason, the banner offers the list
        col = w.library_panel.model.COLUMNS.index("Folder / reason")
        rows = {w.library_panel.model.index(i, 0).data(): w.library_panel.model.index(i, col).data()
                for i in range(4)}
        assert rows["broken.docx"] == by_name["broken.docx"].error
        qtbot.waitUntil(lambda: w.notice.isVisible(), timeout=10_000)
        assert {os.path.basename(p) for p in w.notice.failures} == {"locked.pdf", "broken.docx"}
        from app.gui.progress import FailuresDialog

        dlg = FailuresDialog(w.notice.failures, w)
        assert dlg.tree.topLevelItemCount() == 2
        # the rest of the library works: keyword search finds the note
        w.mode_combo.setCurrentIndex(w.mode_combo.findData("keyword"))
        with qtbot.waitSignal(w.results_shown, timeout=30_000):
            w.set_query("rivers floods")
        assert w.results.rows and w.results.rows[0].result.path.endswith("notes.txt")
        # keyboard: Down goes from the field to the results, Enter opens, Ctrl+F comes back
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication

        opened = []
        monkeypatch.setattr("app.gui.viewer.open_document", lambda path, page=None, **kw: opened.append(
            (path, page)) or True)
        w.activateWindow()
        w.search_edit.setFocus()
        qtbot.keyClick(w.search_edit, Qt.Key.Key_Down)
        assert QApplication.focusWidget() is w.list and w.list.currentIndex().row() == 0
        qtbot.keyClick(w.list, Qt.Key.Key_Return)
        assert opened and opened[0][0].endswith("notes.txt")
        qtbot.keyClick(w.list, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert QApplication.focusWidget() is w.search_edit
    finally:
        _close(qtbot, w)


def _docx_folder(tmp_path: Path, shared_data: Path, name: str, files: list[Path]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for i, f in enumerate(files):
        shutil.copy(f, folder / f"{i:03d}_{f.name}")
    return folder


class _ExtractionGate:
    """Holds the indexer inside the extraction of one chosen file until released: the
    test decides when indexing may go on, whatever the speed of the machine."""

    def __init__(self, monkeypatch, name: str) -> None:
        import threading

        from core.extract.isolated import IsolatedExtractor

        self.name = name
        self.reached = threading.Event()
        self.release = threading.Event()
        original = IsolatedExtractor.extract

        def extract(extractor, path, *args, **kwargs):
            if os.path.basename(os.fspath(path)) == self.name:
                self.reached.set()
                self.release.wait(120)
            return original(extractor, path, *args, **kwargs)

        monkeypatch.setattr(IsolatedExtractor, "extract", extract)


def test_ui_stays_responsive_while_indexing_and_close_resumes(qtbot, tmp_path, shared_data,
                                                            tiny_model_dir, monkeypatch):
    from PySide6.QtCore import QTimer

    from core.library import Library

    by_size = sorted((shared_data / "docx/valid").rglob("*.docx"), key=lambda p: p.stat().st_size)
    first = _docx_folder(tmp_path, shared_data, "first", by_size[100:112])
    second = _docx_folder(tmp_path, shared_data, "second", by_size[:10])
    # the last file of the first folder and the fourth of the second hold the indexer
    gate = _ExtractionGate(monkeypatch, sorted(p.name for p in first.iterdir())[-1])
    second_gate_name = sorted(p.name for p in second.iterdir())[3]
    w = _window(qtbot, tmp_path, tiny_model_dir)
    try:
        qtbot.waitUntil(lambda: w.model_loaded, timeout=60_000)
        w.add_folder(str(first))
        qtbot.waitUntil(gate.reached.is_set, timeout=120_000)
        qtbot.waitUntil(lambda: w.progress.last is not None and w.progress.last.chunks_done > 0,
                        timeout=120_000)
        # The indexer is busy inside a core call (held at the gate). The UI thread still
        # turns: timers fire, and a search runs and shows its results.
        ticks = []
        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(lambda: ticks.append(1))
        timer.start()
        w.mode_combo.setCurrentIndex(w.mode_combo.findData("dense"))
        with qtbot.waitSignal(w.results_shown, timeout=60_000):
            w.set_query("a table with cells")
        qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=30_000)
        timer.stop()
        assert w.results.rowCount() > 0
        assert w.progress.last.phase == "indexing" and not gate.release.is_set()
        gate.release.set()
        _wait_indexed(qtbot, w)
        assert len(w.lib.catalog.documents()) == 12

        # a second folder: the user pauses it after three files, then closes the window
        gate2 = _ExtractionGate(monkeypatch, second_gate_name)
        w.add_folder(str(second))
        qtbot.waitUntil(gate2.reached.is_set, timeout=120_000)
        qtbot.waitUntil(lambda: w.progress.last.phase == "indexing"
                        and w.progress.last.files_total >= 10, timeout=120_000)
        w.progress.pause_btn.click()
        qtbot.waitUntil(lambda: w.lib.indexer.paused, timeout=10_000)
        gate2.release.set()
        assert w.progress.last.phase == "indexing"
        w.close()
        qtbot.waitUntil(lambda: w.shutdown_done, timeout=60_000)
        assert w.session.lib is None and not w.runner.running()
    finally:
        gate.release.set()
        _close(qtbot, w)
    lib = Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir)
    try:
        left = lib.indexer.pending_jobs()
        done_before = len(lib.catalog.documents())
    finally:
        lib.close()
    assert left > 0 and done_before < 22
    # ...and the next start resumes where it stopped
    w2 = _window(qtbot, tmp_path, tiny_model_dir)
    try:
        _wait_indexed(qtbot, w2)
        assert len(w2.lib.catalog.documents()) == 22
    finally:
        _close(qtbot, w2)


SHARED_PARAGRAPH = ("The supplier shall indemnify the buyer against every claim arising from defects "
                    "in the goods delivered under this agreement, including claims of third parties.")


def test_similar_paragraphs_view_and_labels(qtbot, tmp_path, tiny_model_dir):
    from app.gui.dupes_view import DupesView

    docs = tmp_path / "contracts"
    docs.mkdir()
    topics = ["Payment is due within thirty days of the invoice date.",
              "The museum opens at nine and closes at five on weekdays.",
              "Rainfall in the valley doubled during the last decade."]
    for i, topic in enumerate(topics):
        # headings keep the sections apart: the liability section is one passage, the same
        # text in all three documents
        (docs / f"contract{i}.md").write_text(
            f"# Contract {i}\n\n{topic}\n\n# Liability\n\n{SHARED_PARAGRAPH}\n\n"
            f"# Signatures\n\nSigned on day {i + 3} by both parties.\n", encoding="utf-8")
    w = _window(qtbot, tmp_path, tiny_model_dir)
    try:
        w.add_folder(str(docs))
        _wait_indexed(qtbot, w)
        view: DupesView = w.dupes_view
        w.tabs.setCurrentWidget(view)
        view.mine_btn.click()
        qtbot.waitUntil(lambda: view.mine_btn.isEnabled() and view.tree.topLevelItemCount() > 0,
                        timeout=60_000)
        # (the tiny random model finds everything "near"; exact copies do not depend on it)
        view.show_combo.setCurrentIndex(view.show_combo.findData("pairs"))
        view.kind_combo.setCurrentIndex(view.kind_combo.findData("exact"))
        qtbot.waitUntil(lambda: view.tree.topLevelItemCount() == 3 and
                        all(p.kind == "exact" for p in view.items), timeout=10_000)
        assert all(SHARED_PARAGRAPH in p.a.text and SHARED_PARAGRAPH in p.b.text for p in view.items)
        assert len({p.a.document_id for p in view.items} | {p.b.document_id for p in view.items}) == 3
        # side by side: both passages shown, from two documents
        view.tree.setCurrentItem(view.tree.topLevelItem(0))
        qtbot.waitUntil(lambda: view.current is not None, timeout=10_000)
        assert "indemnify" in view.left.body.toPlainText() and "indemnify" in view.right.body.toPlainText()
        assert view.left.ref.document_id != view.right.ref.document_id
        pair_id = view.current.id
        # confirm: the decision stays
        view.confirm_btn.click()
        qtbot.waitUntil(lambda: w.lib.discovery.duplicate_pair(pair_id).decision == "confirmed", timeout=10_000)
        # "not similar" on two different texts (the tiny model calls them near) labels them
        view.kind_combo.setCurrentIndex(view.kind_combo.findData("near"))
        qtbot.waitUntil(lambda: view.items and all(p.kind == "near" for p in view.items), timeout=10_000)
        view.tree.setCurrentItem(view.tree.topLevelItem(0))
        qtbot.waitUntil(lambda: view.current is not None and view.current.kind == "near", timeout=10_000)
        near = view.current
        view.reject_btn.click()
        qtbot.waitUntil(lambda: len(w.lib.label_table.labels()) == 1, timeout=10_000)
        lab = w.lib.label_table.labels()[0]
        assert lab.label == 0 and {lab.chunk1, lab.chunk2} == {near.a.chunk_id, near.b.chunk_id}
        w.tabs.setCurrentWidget(w.labels_view)
        qtbot.waitUntil(lambda: w.labels_view.tree.topLevelItemCount() == 1, timeout=10_000)
        assert w.labels_view.tree.topLevelItem(0).text(1) == "not similar"
        # the train dialog says which loss it would use with these labels
        w.open_train_dialog()
        dlg = w._extra_views["train"]
        qtbot.waitUntil(lambda: "Will use" in dlg.plan_label.text(), timeout=10_000)
        dlg.close()
        n = w.labels_view.tree.topLevelItemCount()
        assert n == len(w.lib.label_table.labels())
        # delete one label from the list
        w.labels_view.tree.topLevelItem(0).setSelected(True)
        w.labels_view.delete_btn.click()
        qtbot.waitUntil(lambda: w.labels_view.tree.topLevelItemCount() == n - 1, timeout=10_000)
        assert len(w.lib.label_table.labels()) == n - 1
        # the document menu's "Show its repeated paragraphs" narrows the view to it
        doc = next(d for d in w.library_panel.model.docs if d.path.endswith("contract1.md"))
        _action(w.library_panel.document_menu(doc), "Show its repeated paragraphs").trigger()
        qtbot.waitUntil(lambda: view.document_filter is not None and view.doc_chip.isVisible(), timeout=5000)
        qtbot.waitUntil(lambda: view.items and all(doc.id in (p.a.document_id, p.b.document_id)
                                                   for p in view.items), timeout=10_000)
        assert view.tree.topLevelItemCount() == len(view.items)
        # a list that arrives after the user switched views (groups loaded, "pairs" now
        # chosen) is read as what it holds: a group is never opened as a pair
        assert view.show_combo.currentData() == "pairs"
        w.library_watch.stop()       # no refresh from the library while the late list is read
        qtbot.waitUntil(lambda: not w.runner.running(), timeout=10_000)
        clusters = w.lib.discovery.duplicate_clusters()
        assert clusters
        view._loaded(("clusters", clusters, 0))
        qtbot.waitUntil(lambda: "group of" in view.detail_label.text(), timeout=10_000)
        assert view.current_cluster is clusters[0] and view.current is None
    finally:
        _close(qtbot, w)


def test_settings_dialog_saves_per_user(qtbot):
    from app.gui.settings_dialog import SettingsDialog
    from core.settings import Settings

    dlg = SettingsDialog(Settings())
    qtbot.addWidget(dlg)
    assert not dlg.needs_restart()
    dlg.device.setCurrentIndex(dlg.device.findData("cpu"))
    dlg.max_tokens.setValue(200)
    dlg.overlap.setValue(2)
    dlg.reconcile.setValue(15)
    dlg.library.edit.setText("/tmp/elsewhere/lib.sqlite")
    assert dlg.ocr.isChecked()
    dlg.ocr.setChecked(False)
    assert dlg.needs_restart()
    dlg.result_settings().save()
    loaded = Settings.load()   # the user's config folder (a temp one in tests)
    assert loaded.ocr_enabled is False
    assert (loaded.device, loaded.chunk_max_tokens, loaded.chunk_overlap_sentences) == ("cpu", 200, 2)
    assert loaded.reconcile_interval_s == 900 and loaded.library_path == "/tmp/elsewhere/lib.sqlite"
    assert loaded.model_path == ""   # still the bundled model


def test_scanned_pages_show_in_the_progress_line_and_ocr_passages_on_their_card(qtbot):
    from app.gui.progress import progress_line
    from app.gui.results import ResultDelegate, ResultsModel, Row
    from app.gui.search_page import SOURCES
    from core.types import IndexProgress, SearchResult

    line = progress_line(IndexProgress(files_done=2, files_total=9, phase="indexing",
                                       current_file="/docs/scan.pdf", message="reading scanned page 3/40"))
    assert "scan.pdf" in line and "reading scanned page 3/40" in line
    assert dict((label, value) for value, label in SOURCES)["Scanned (OCR) only"] is True

    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QListView

    result = SearchResult(1, 1, "/docs/deck.pptx", "Deck", 4, 4, "Keeping the light", "Lamp oil", 0.9, ocr=True)
    model = ResultsModel()
    model.set_rows([Row("passage", result)])
    view = QListView()
    qtbot.addWidget(view)
    view.setModel(model)
    delegate = ResultDelegate(view)
    view.setItemDelegate(delegate)
    drawn: list[str] = []

    class Recorder(QPainter):
        def drawText(self, *args):          # noqa: N802 - Qt's name
            drawn.append(str(args[-1]))
            return super().drawText(*args)

    image = QImage(600, 200, QImage.Format.Format_ARGB32)
    painter = Recorder(image)
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    option.rect = image.rect()
    option.font = view.font()
    delegate.paint(painter, option, model.index(0, 0))
    painter.end()
    extras = " ".join(drawn)
    assert "slide 4" in extras and "read by OCR" in extras
