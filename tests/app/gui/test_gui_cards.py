"""Result cards: the best sentence is on the card and comes with the list; find-similar
results say in words how alike they are; similar-paragraph groups stay after a restart
(pytest-qt)."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from types import SimpleNamespace

import pytest

from tests.gui_shots import shot
from tests.gui_window import close_window as _close
from tests.gui_window import index_texts, open_window

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui

FILLER = ("The committee met on a grey morning and went through the agenda item by item. "
          "Minutes of the previous meeting were read out and approved without changes. "
          "Several members asked for the budget tables to be printed in a larger font. "
          "A short break followed, with coffee served in the hall next to the library. "
          "After the break the chair summarised the open questions from the spring. ")
BEST = "Finally the lighthouse keeper explained how the lamp oil was stored during winter storms."
SHARED = ("The supplier shall indemnify the buyer against every claim arising from defects "
          "in the goods delivered under this agreement, including claims of third parties.")


def _window(qtbot, tmp_path, model_dir, watch=False):
    return open_window(qtbot, tmp_path, model_dir, watch=watch, size=(1000, 700),
                       ready=lambda w: w.model_loaded)


def test_the_best_sentence_is_on_the_card_when_the_list_arrives(qtbot, tmp_path, tiny_model_dir):
    from PySide6.QtGui import QFont

    from app.gui.results import RESULT

    # one long paragraph: the sentence with the query words comes last, far past 4 lines
    index_texts(tmp_path / "docs", {"minutes.txt": FILLER + BEST + "\n",
                                    "other.txt": "Bees carry pollen back to the hive in spring.\n"},
                tmp_path / "lib.sqlite", tiny_model_dir)
    w = _window(qtbot, tmp_path, tiny_model_dir)
    try:
        w.mode_combo.setCurrentIndex(w.mode_combo.findData("hybrid"))
        page = w.search_page
        with_list = {}
        shown_first = page._show_search

        def show(query, results, seconds):
            with_list.update({r.chunk_id: r.best_sentence for r in results})
            shown_first(query, results, seconds)

        page._show_search = show
        with qtbot.waitSignal(w.results_shown, timeout=60_000):
            w.set_query("lighthouse lamp oil")
        rows = [row for row in page.results.rows if row.kind == RESULT]
        hit = next(row.result for row in rows if "lighthouse" in row.result.text)
        # it came with the list (before the encoder's pass): the sentence with the words
        first = with_list[hit.chunk_id]
        assert first is not None and hit.text[first[0]:first[1]].strip() == BEST
        assert hit.best_sentence is not None
        width = w.search_page.delegate._text_width(_opt(w))
        # the card as it is painted when the list arrives (the tiny random model's own pick,
        # which replaces it a moment later, is not what this test is about)
        card = dataclasses.replace(hit, best_sentence=first)
        shown = " ".join(w.search_page.delegate.shown_text(card, width, QFont(w.search_page.list.font())).split())
        assert "lighthouse keeper explained how the lamp oil" in shown, shown
        assert not shown.startswith("The committee met")       # the card moved to the sentence
        shot(w, "30-best-sentence-on-the-card")
    finally:
        _close(qtbot, w)


def _opt(w):
    from PySide6.QtWidgets import QStyleOptionViewItem

    opt = QStyleOptionViewItem()
    opt.rect = w.search_page.list.viewport().rect()
    return opt


def test_similarity_words_from_the_measured_thresholds():
    from app.gui.similarity_words import (
        alike_word,
        bar_fraction,
        calibrate_passages,
        document_words,
    )
    from core.search.scores import band

    near, related = 0.85, 0.70
    assert alike_word(0.97, near, related) == "near copy"
    assert alike_word(0.75, near, related) == "same topic"
    assert alike_word(0.60, near, related) == "loosely related"
    assert alike_word(0.20, near, related) == "not alike"
    assert bar_fraction(0.20, near, related) == 0.0 and bar_fraction(0.9, near, related) == 1.0
    results = [SimpleNamespace(score=0.3), SimpleNamespace(score=0.92)]
    calibrate_passages(results, near, related)
    assert [r.alike for r in results] == ["not alike", "near copy"] and results[0].bar == 0.0
    # a similar document shows the engine's word and score: the words follow the ranking
    ranked = [SimpleNamespace(score=s, alike=band(s), matched_passages=m, source_passages=64)
              for s, m in ((1.0, 64), (0.8, 30), (0.5, 12), (0.05, 2))]
    words = [document_words(sim, near, related) for sim in ranked]
    assert [w[0] for w in words] == ["near copy", "same topic", "loosely related", "not alike"]
    assert [w[2] for w in words] == [1.0, 0.8, 0.5, 0.05] and words[1][1] == "30 of 64 passages match"


def test_a_find_similar_header_counts_only_what_is_alike():
    """25 cards saying "not alike" under "25 similar passages" misled: the header counts
    the alike ones and says plainly when none is."""
    from app.gui.similarity_words import alike_summary, calibrate_passages

    near, related = 0.85, 0.70
    closest = [SimpleNamespace(score=s) for s in (0.35, 0.3, 0.2)]
    calibrate_passages(closest, near, related)
    assert alike_summary(closest, "passage", " in other documents") == (
        "No similar passage in other documents; the 3 closest, not alike, are listed")
    mixed = [SimpleNamespace(score=s) for s in (0.92, 0.75, 0.3)]
    calibrate_passages(mixed, near, related)
    assert alike_summary(mixed, "passage", " in other documents") == (
        "2 similar passages in other documents, then 1 not alike")
    assert alike_summary(mixed[:2], "document") == "2 similar documents"
    assert alike_summary([], "document") == "No similar document"


def test_find_similar_shows_words_and_documents_go_by_file_name(qtbot, tmp_path, tiny_model_dir):
    from app.gui.results import DOCUMENT, RESULT
    from app.gui.similarity_words import WORD_COLOURS

    index_texts(tmp_path / "docs",
                {f"contract{i}.md": f"# Agreement\n\nPayment within {i + 20} days.\n\n{SHARED}\n"
                 for i in range(3)}, tmp_path / "lib.sqlite", tiny_model_dir)
    w = _window(qtbot, tmp_path, tiny_model_dir)
    try:
        chunk = next(c for c in w.lib.searcher.search(SHARED, mode="keyword", k=5) if SHARED in c.text)
        with qtbot.waitSignal(w.results_shown, timeout=60_000):
            w.find_similar_passages(chunk)
        found = [row.result for row in w.search_page.results.rows if row.kind == RESULT]
        assert found and all(r.alike in WORD_COLOURS for r in found)
        same = [r for r in found if SHARED in r.text]
        assert same and all(r.alike == "near copy" for r in same)    # the exact copies
        # the shared paragraph is on the card, after the heading and the payment line
        from PySide6.QtGui import QFont

        width = w.search_page.delegate._text_width(_opt(w))
        shown = w.search_page.delegate.shown_text(same[0], width, QFont(w.search_page.list.font()))
        assert "indemnify the buyer" in shown, shown
        shot(w, "31-find-similar-passages-in-words")
        with qtbot.waitSignal(w.results_shown, timeout=60_000):
            w.find_similar_documents(chunk.document_id)
        rows = [row.result for row in w.search_page.results.rows if row.kind == DOCUMENT]
        assert rows and all(" passages match" in r.note and r.alike and "body passages" in r.explanation for r in rows)
        shot(w, "32-find-similar-documents-in-words")
    finally:
        _close(qtbot, w)


def test_similar_paragraph_groups_are_still_there_after_reopening(qtbot, tmp_path, tiny_model_dir):

    topics = ["Payment is due within thirty days.", "The museum opens at nine.", "Rainfall doubled in the valley."]
    index_texts(tmp_path / "contracts",
                {f"contract{i}.md": f"# Contract {i}\n\n{topic}\n\n# Liability\n\n{SHARED}\n"
                 for i, topic in enumerate(topics)}, tmp_path / "lib.sqlite", tiny_model_dir)
    w = _window(qtbot, tmp_path, tiny_model_dir)
    try:
        view = w.dupes_view
        w.tabs.setCurrentWidget(view)
        view.mine_btn.click()
        qtbot.waitUntil(lambda: view.mine_btn.isEnabled() and view.tree.topLevelItemCount() > 0, timeout=60_000)
        groups = sorted(c.size for c in view.items)
        assert view.legend.text().startswith("Differences:")
    finally:
        _close(qtbot, w)
    w2 = _window(qtbot, tmp_path, tiny_model_dir, watch=True)   # as a person opens it: watching
    try:
        view = w2.dupes_view
        w2.tabs.setCurrentWidget(view)
        qtbot.waitUntil(lambda: view.tree.topLevelItemCount() > 0, timeout=60_000)
        assert sorted(c.size for c in view.items) == groups
        shot(w2, "33-similar-paragraph-groups-after-restart")
    finally:
        _close(qtbot, w2)


def test_could_not_open_says_why_and_gives_way_after_a_while(qtbot, tmp_path, tiny_model_dir, monkeypatch):
    from app.gui import viewer

    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    why = viewer.why_not_opened(str(pdf), 3, None, platform="linux", which=lambda _n: None)
    assert why.startswith("no PDF viewer is installed") and "evince" in why
    assert "failed to start: evince" in viewer.why_not_opened(str(pdf), 3, ["evince", "x"], platform="linux")
    assert "no longer there" in viewer.why_not_opened(str(tmp_path / "gone.pdf"), None, None)

    w = _window(qtbot, tmp_path, tiny_model_dir)
    try:
        monkeypatch.setattr(viewer, "launch", lambda cmd: False)
        monkeypatch.setattr(viewer, "open_document", lambda path, page=None, tried=False: False)
        monkeypatch.setattr(viewer, "why_not_opened",
                            lambda path, page, cmd: "no PDF viewer is installed (test)")
        w.search_page.open_path(str(pdf), 2)
        assert w.status_label.text() == f"Could not open {pdf}: no PDF viewer is installed (test)"
        assert w._flash_timer.isActive()
        w._flash_timer.stop()
        w._flash_timer.timeout.emit()        # the while has passed: the counts come back
        assert "Could not open" not in w.status_label.text()
        assert "passages in" in w.status_label.text()
    finally:
        _close(qtbot, w)
