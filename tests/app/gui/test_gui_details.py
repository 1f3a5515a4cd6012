"""Issue 30's details as a person sees them: counts with the right noun, a progress line
that shortens the file name and not what is being done, a chart whose labels are not
cut, a one-step loss that is a line, labelled cards that say so, one word set for
labels, a Help menu, results and labels exported from the window."""

from __future__ import annotations

import csv
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


import pytest

from tests.gui_window import close_window, index_texts, open_window

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui

TEXTS = {"bees.md": "# Bees\n\nHoney bees dance to show the hive where the clover grows.\n",
         "iron.md": "# Iron\n\nIron rusts when water reaches the bare metal of a bridge.\n"}


def test_counts_read_as_words():
    from core.words import count

    assert count(1, "group") == "1 group"
    assert count(0, "group") == "0 groups"
    assert count(2, "pair") == "2 pairs"
    assert count(1204, "passage") == "1,204 passages"
    assert count(3, "match") == "3 matches"


def test_the_progress_line_shortens_the_file_name_not_the_status(qtbot):
    from app.gui.progress import ProgressWidget, progress_line
    from core.types import IndexProgress

    p = IndexProgress(phase="indexing", files_done=3, files_total=16, chunks_done=1200, chunks_total=3400,
                      eta_s=80.0, current_file="/docs/TAMReview-a-very-long-name-of-a-scanned-report.pdf",
                      message="reading scanned page 3/40", chunks_per_s=11.2, files_per_s=0.5,
                      words_eta_s=26.0, meaning_eta_s=80.0)
    assert progress_line(p).endswith("TAMReview-a-very-long-name-of-a-scanned-report.pdf")
    w = ProgressWidget()
    qtbot.addWidget(w)
    w.show()                      # a shown label is fitted as it is resized
    w.set_progress(p)
    w.label.resize(w.label.minimumSizeHint().width() + 20, 20)     # a narrow status bar
    text = w.label.text()
    assert "reading scanned page 3/40" in text and "ETA 1 min 20 s" in text
    assert "\u2026" in text and text.endswith("pdf") and "TAM" in text     # the name, shortened in its middle
    assert w.label.toolTip() == progress_line(p)


def test_chart_labels_have_their_room_and_a_one_step_loss_is_a_line(qtbot):
    from PySide6.QtGui import QColor

    from app.gui.train_dialog import AFTER_COLOUR, BeforeAfterChart, LossCurve

    chart = BeforeAfterChart()
    qtbot.addWidget(chart)
    name = "Similar / not similar: average precision (24 pairs)"
    chart.resize(900, 120)
    chart.set_rows([(name, 50.0, 61.0)])
    assert chart.label_width() >= chart.fontMetrics().horizontalAdvance(name)

    curve = LossCurve()
    qtbot.addWidget(curve)
    curve.resize(400, 160)
    curve.set_points([(1, 0.42)])
    image = curve.grab().toImage()
    blue = QColor(AFTER_COLOUR)

    def drawn_at(x: int) -> bool:
        return any(image.pixelColor(x, y).blue() > 150 and abs(image.pixelColor(x, y).red() - blue.red()) < 60
                   for y in range(image.height()))

    assert drawn_at(70) and drawn_at(200) and drawn_at(370)       # across the plot, not one dot


def test_marks_help_and_exports(qtbot, tmp_path, tiny_model_dir):
    from app.gui import exporting
    from app.gui.help_dialogs import shortcut_rows
    from app.gui.labels_view import SOURCE_WORDS
    from app.gui.results import mark_words

    index_texts(tmp_path / "docs", TEXTS, tmp_path / "lib.sqlite", tiny_model_dir)
    w = open_window(qtbot, tmp_path, tiny_model_dir, watch=False, ready=lambda w: w.model_loaded)
    try:
        w.set_query("clover", "keyword")
        w.search_now()
        qtbot.waitUntil(lambda: w.results.rowCount() == 1, timeout=30_000)
        hit = w.results.result_at(0)
        menu = w.result_menu(hit)
        words = [a.text() for a in menu.actions()]
        assert "Mark similar" in words and "Mark not similar" in words
        assert not any("relevant" in t for t in words)
        next(a for a in menu.actions() if a.text() == "Mark similar").trigger()
        qtbot.waitUntil(lambda: mark_words(w.results.result_at(0)) == "\u2713 marked similar", timeout=10_000)
        # the mark is there after a new search too (read from the library)
        with qtbot.waitSignal(w.results_shown, timeout=30_000):     # best sentences included
            w.search_now()
        qtbot.waitUntil(lambda: mark_words(w.results.result_at(0)) == "\u2713 marked similar", timeout=10_000)
        assert SOURCE_WORDS["dupes"] == "Similar paragraphs"

        # Help: the guide, the shortcuts (read from the menus), About
        help_items = [a.text() for a in w.help_menu.actions() if a.text()]
        assert help_items == ["Quick &guide", "&Keyboard shortcuts", "&About Likewise"]
        keys = dict(shortcut_rows(w))
        assert keys["Ctrl+1"] == "Search" and keys["Ctrl+E"] == "Export results"
        w.help_menu.actions()[0].trigger()
        assert "Add a folder" in w._extra_views["guide"].browser.toPlainText()
        w._extra_views["guide"].close()

        # File -> Export results (CSV and Markdown) and Export labels
        out_csv, out_md, labels = tmp_path / "r.csv", tmp_path / "r.md", tmp_path / "labels.csv"
        for path in (out_csv, out_md):
            task = exporting.export_results(w, str(path))
            qtbot.waitUntil(lambda t=task: t.is_done, timeout=10_000)
        qtbot.waitUntil(lambda: "Exported 1 result to" in w.status_label.text(), timeout=10_000)
        rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
        from core.export import result_rows

        assert len(rows) == 1 and rows[0]["file"].endswith("bees.md") and "clover" in rows[0]["passage"]
        assert rows[0]["best_sentence"] == result_rows([w.results.result_at(0)])[0]["best_sentence"]
        md = out_md.read_text(encoding="utf-8")
        assert md.startswith("# Search results for \u201cclover\u201d") and "bees.md" in md and "> " in md
        task = exporting.export_labels(w, str(labels))
        qtbot.waitUntil(lambda: task.is_done, timeout=10_000)
        qtbot.waitUntil(lambda: "Exported 1 label to" in w.status_label.text(), timeout=10_000)
        assert "clover" in labels.read_text(encoding="utf-8")
    finally:
        close_window(qtbot, w)
