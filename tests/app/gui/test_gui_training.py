"""Fine-tuning seen and undone in the window: the minimum-label warning, honest progress,
the loss curve and before/after chart filled, activate, roll back, delete (pytest-qt)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from tests.gui_shots import shot
from tests.gui_window import close_window as _close
from tests.gui_window import index_texts, open_window

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui

TOPICS = ["bees carry pollen from flowers to the hive", "the bridge rusts where water meets iron",
          "the court ruled on the contract dispute", "rain doubled in the valley this decade",
          "the violin concerto was played in the hall", "the compiler optimises the inner loop"]


def _pairs(n: int) -> list[tuple[str, str, float]]:
    """n scored pairs (0-5): the same topic in other words scores high, other topics low."""
    out = []
    for i in range(n):
        a = TOPICS[i % len(TOPICS)]
        if i % 2 == 0:
            out.append((f"{a} (note {i})", f"in short, {a}, said report {i}", 4.0 + (i % 3) / 3))
        else:
            b = TOPICS[(i + 3) % len(TOPICS)]
            out.append((f"{a} (note {i})", f"{b}, said report {i}", (i % 4) / 3))
    return out


def _label_file(path, n):
    lines = ["sentence1\tsentence2\tlabel"] + [f"{a}\t{b}\t{s:.2f}" for a, b, s in _pairs(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def indexed(tmp_path, tiny_model_dir):
    return index_texts(tmp_path / "docs",
                       {f"note{i}.txt": f"{topic.capitalize()}.\n\nMore about it, part {i}.\n"
                        for i, topic in enumerate(TOPICS)}, tmp_path / "lib.sqlite", tiny_model_dir)


def _window(qtbot, tmp_path, tiny_model_dir):
    return open_window(qtbot, tmp_path, tiny_model_dir, watch=False)


def test_few_labels_warn_below_the_minimum_and_say_what_to_label(qtbot, tmp_path, tiny_library):
    from app.gui.tasks import TaskRunner
    from app.gui.train_dialog import TrainDialog

    lib = tiny_library
    lib.label_table.import_labels(_label_file(tmp_path / "few.tsv", 7))
    runner = TaskRunner(library=lambda: lib)
    dlg = TrainDialog(runner)
    qtbot.addWidget(dlg)
    dlg.show()
    try:
        qtbot.waitUntil(lambda: dlg.plan is not None, timeout=30_000)
        assert dlg.warning.isVisible()
        text = dlg.warning.text()
        assert "Only 7 usable labels" in text and "at least 20" in text and "13 more" in text
        assert "no evaluation" in text
        assert dlg.train_btn.text() == "Train anyway"
        shot(dlg, "10-train-few-labels-warning")
        # with enough labels the warning goes and the button is plain "Train"
        lib.label_table.import_labels(_label_file(tmp_path / "more.tsv", 24))
        dlg.update_plan()
        qtbot.waitUntil(lambda: dlg.train_btn.text() == "Train", timeout=30_000)
        assert not dlg.warning.isVisible()
    finally:
        dlg.close()
        runner.shutdown(30)


def test_train_shows_curve_and_chart_then_activate_and_roll_back(qtbot, tmp_path, tiny_model_dir, indexed,
                                                                monkeypatch):
    w = _window(qtbot, tmp_path, tiny_model_dir)
    try:
        w.labels_view.import_file(str(_label_file(tmp_path / "labels.tsv", 40)))
        qtbot.waitUntil(lambda: w.labels_view.tree.topLevelItemCount() == 40, timeout=30_000)
        original = w.lib.versions.active_model_id()
        # labelling one more keeps the list where the person was (it used to jump to row 1)
        tree = w.labels_view.tree
        tree.setCurrentItem(tree.topLevelItem(30))
        chosen = tree.currentItem().text(2)
        w.lib.label_table.add_label("pair_score", "a new first text", "a new second text", label=0.5)
        loaded = w.labels_view.labels
        w.labels_view.refresh()
        qtbot.waitUntil(lambda: w.labels_view.labels is not loaded and tree.topLevelItemCount() == 41,
                        timeout=30_000)
        assert tree.currentItem() is not None and tree.currentItem().text(2) == chosen
        w.open_train_dialog()
        dlg = w._extra_views["train"]
        qtbot.waitUntil(lambda: dlg.plan is not None and dlg.train_btn.isEnabled(), timeout=30_000)
        assert not dlg.warning.isVisible()
        seen = []
        orig_progress = dlg._progress
        monkeypatch.setattr(dlg, "_progress", lambda p: (seen.append(p), orig_progress(p)))
        dlg.epochs.setValue(2)
        dlg.train_btn.click()
        qtbot.waitUntil(lambda: dlg.result is not None, timeout=240_000)
        # progress went through every phase, and moved inside the measuring phases
        phases = [p.phase for p in seen]
        for phase in ("evaluating_before", "training", "evaluating_after"):
            assert phase in phases
        fractions = [p.fraction for p in seen if p.fraction is not None]
        assert fractions == sorted(fractions) and fractions[-1] == 1.0
        measuring = [p.fraction for p in seen if p.phase == "evaluating_before" and p.step]
        assert measuring and 0 < max(measuring) < 1
        assert dlg.progress.value() == dlg.progress.maximum()
        # the live loss curve and the before/after chart are filled, with numbers and words
        assert len(dlg.curve.points) == dlg.result.report["settings"]["steps"] >= 2
        names = [r[0] for r in dlg.chart.rows]
        assert any("Score" in n and "pairs" in n for n in names), names
        assert any(n.startswith("General pairs") for n in names), names
        f = dlg.result.forgetting
        assert f is not None and f"{f['before']:.1f} \u2192 {f['after']:.1f}" in dlg.result_label.text()
        assert "General language" in dlg.result_label.text()
        shot(dlg, "11-train-result")
        new_id = dlg.result.model_id
        dlg.activate_btn.click()
        # the library is re-encoded with the new version in the background, then it is used
        qtbot.waitUntil(lambda: w.lib.versions.active_model_id() == new_id, timeout=120_000)
        # Settings names the version in use (it said "Bundled" whatever was active) and
        # leads to the list of versions
        w.tabs.setCurrentIndex(0)
        w.open_settings()
        qtbot.waitUntil(lambda: w._extra_views.get("settings") is not None
                        and w._extra_views["settings"].isVisible(), timeout=10_000)
        settings = w._extra_views["settings"]
        assert "fine-tuned on your labels" in settings.in_use.text()
        assert dlg.result.name in settings.in_use.text()
        shot(settings, "14-settings-model-in-use")
        settings.manage_btn.click()
        assert w.tabs.currentWidget() is w.labels_view and not settings.isVisible()
        view = w.labels_view.models
        qtbot.waitUntil(lambda: len(view.models) == 2 and view.active() is not None
                        and view.active().id == new_id, timeout=30_000)
        assert view.back_btn.isEnabled()
        assert view.tree.topLevelItem(1).text(2) == "in use by search"
        shot(w, "12-models-fine-tuned-in-use")
        # roll back from the window: the original model's vectors are still there, at once
        view.back_btn.click()
        qtbot.waitUntil(lambda: w.lib.versions.active_model_id() == original, timeout=60_000)
        qtbot.waitUntil(lambda: view.active() is not None and view.active().id == original, timeout=30_000)
        assert not view.back_btn.isEnabled()
        assert "Search now uses" in view.note.text()
        w.open_settings()
        qtbot.waitUntil(lambda: w._extra_views["settings"] is not settings
                        and w._extra_views["settings"].isVisible(), timeout=10_000)
        assert "the original model" in w._extra_views["settings"].in_use.text()
        w._extra_views["settings"].reject()
        # delete the fine-tuned version (after the person confirms)
        asked = []
        monkeypatch.setattr(view, "confirm", lambda text: asked.append(text) or True)
        view.tree.setCurrentItem(view.tree.topLevelItem(1))
        assert view.delete_btn.isEnabled()
        view.delete_btn.click()
        qtbot.waitUntil(lambda: len(view.models) == 1, timeout=30_000)
        assert asked and [m.id for m in w.lib.versions.models()] == [original]
        shot(w, "13-models-rolled-back")
    finally:
        _close(qtbot, w)
