"""One route for every change (app/gui/tasks.py): the lane comes from the Library
method's marker, whichever view asks, and a view refreshes when, and only when, a kind
it shows changed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

pytest.importorskip("pytestqt")


@pytest.fixture
def runner(tiny_library):
    from app.gui.tasks import TaskRunner

    r = TaskRunner(library=lambda: tiny_library)
    yield r
    r.shutdown(30)


def _lanes(runner, monkeypatch) -> list[tuple[str, str]]:
    """(task name, lane) of every task the runner starts from now on."""
    started: list[tuple[str, str]] = []
    run = runner.run

    def spy(fn, **kwargs):
        started.append((kwargs.get("name", ""), kwargs.get("lane", "read")))
        return run(fn, **kwargs)

    monkeypatch.setattr(runner, "run", spy)
    return started


def test_a_label_write_takes_the_same_lane_from_the_search_tab_and_from_the_labels_tab(
        qtbot, tmp_path, tiny_library, runner, monkeypatch):
    from app.gui.labels_view import LabelsView
    from app.gui.search_page import SearchPage
    from app.gui.tasks import EDIT, WRITE, lane_for
    from core.changes import operation
    from core.train.label_table import Labels
    from core.train.training import Training
    from tests.app.gui.test_gui_training import _label_file

    lib = tiny_library
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Harbour pilots guide ships past the sandbanks.", encoding="utf-8")
    lib.add_folder(docs)
    lib.indexer.index()
    chunk = lib.catalog.chunks_of(lib.catalog.documents()[0].id)[0]
    page = SearchPage(runner, lambda: "")
    labels = LabelsView(runner)
    qtbot.addWidget(page)
    qtbot.addWidget(labels)
    started = _lanes(runner, monkeypatch)

    page.current_query = "ships"
    page.mark_relevant(SimpleNamespace(chunk_id=chunk.id), True)
    labels.import_file(str(_label_file(tmp_path / "labels.tsv", 3)))
    qtbot.waitUntil(lambda: sum(lib.label_table.label_counts().values()) == 4, timeout=30_000)
    lanes = dict(started)
    assert lanes["label_table.label_relevance"] == lanes["label_table.import_labels"] == EDIT
    # training, like indexing, is a long write: the write lane, wherever it is asked for
    assert lane_for(operation(Training.train)) == WRITE != lane_for(operation(Labels.label_pair))


def test_a_view_refreshes_when_and_only_when_a_kind_it_shows_changes(
        qtbot, tmp_path, tiny_library, runner, monkeypatch):
    from app.gui.labels_view import LabelsView

    lib = tiny_library
    docs = tmp_path / "docs"
    docs.mkdir()
    lib.add_folder(docs)
    refreshed: list[int] = []
    original = LabelsView.refresh
    monkeypatch.setattr(LabelsView, "refresh", lambda self: (refreshed.append(1), original(self)))
    view = LabelsView(runner)
    qtbot.addWidget(view)

    def announced(method: str, *args) -> None:
        with qtbot.waitSignal(runner.changed, timeout=30_000):
            runner.call(method, *args)

    announced("catalog.set_folder_paused", str(docs), True)  # folders: not what the Labels tab shows
    assert refreshed == []
    heard: list[object] = []
    runner.changed.connect(heard.append)
    finished: list[int] = []
    runner.call("label_table.labels", on_finished=lambda: finished.append(1))
    qtbot.waitUntil(lambda: bool(finished), timeout=30_000)
    assert heard == [] and refreshed == []                   # a read changes nothing
    announced("label_table.add_label", "pair_score", "a first text", "a second text", 0.5)
    assert refreshed == [1]
    qtbot.waitUntil(lambda: view.tree.topLevelItemCount() == 1, timeout=30_000)


def test_a_label_deleted_in_the_labels_tab_takes_the_mark_off_the_search_card(
        qtbot, tmp_path, tiny_library, runner):
    """Seen driving the window: a result marked similar kept its mark after its label was
    deleted in the Labels tab; the card follows every LABELS change, wherever it is made."""
    from app.gui.labels_view import LabelsView
    from app.gui.results import RESULT
    from app.gui.search_page import SearchPage

    lib = tiny_library
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Harbour pilots guide ships past the sandbanks.", encoding="utf-8")
    lib.add_folder(docs)
    lib.indexer.index()
    page = SearchPage(runner, lambda: "")
    labels = LabelsView(runner)
    qtbot.addWidget(page)
    qtbot.addWidget(labels)
    page.model_ready()
    page.set_query("harbour pilots", mode="keyword")

    def card():
        rows = [row.result for row in page.results.rows if row.kind == RESULT]
        return rows[0] if rows else None

    qtbot.waitUntil(lambda: card() is not None, timeout=30_000)
    page.mark_relevant(card(), True)
    qtbot.waitUntil(lambda: getattr(card(), "mark", None) is True, timeout=30_000)
    qtbot.waitUntil(lambda: labels.tree.topLevelItemCount() == 1, timeout=30_000)
    labels.tree.topLevelItem(0).setSelected(True)
    labels.delete_selected()
    qtbot.waitUntil(lambda: getattr(card(), "mark", None) is None, timeout=30_000)


def test_a_part_method_called_by_its_dotted_name_takes_its_markers_lane_and_is_announced_once(
        qtbot, tmp_path, tiny_library, runner, monkeypatch):
    """``call("label_table.label_pair", ...)`` reaches the part through the library, runs on
    the lane of the part method's own marker, and its write is heard once, by the library's
    events and by the runner."""
    from app.gui.tasks import EDIT, READ, WRITE
    from core.changes import LABELS, Changes

    lib = tiny_library
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Harbour pilots guide ships past the sandbanks.", encoding="utf-8")
    (docs / "b.txt").write_text("Tugs push the barges upriver at dawn.", encoding="utf-8")
    lib.add_folder(docs)
    lib.indexer.index()
    first, second = (lib.catalog.chunks_of(d.id)[0] for d in lib.catalog.documents())
    started = _lanes(runner, monkeypatch)
    told: list[Changes] = []
    lib.events.changed.subscribe(told.append)
    heard: list[Changes] = []
    runner.changed.connect(heard.append)

    with qtbot.waitSignal(runner.changed, timeout=30_000):
        runner.call("label_table.label_pair", first.id, second.id, True)
    finished: list[int] = []
    runner.call("label_table.label_counts", on_finished=lambda: finished.append(1))
    runner.call("indexer.process_jobs", on_finished=lambda: finished.append(1))
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=30_000)

    lanes = dict(started)
    assert lanes["label_table.label_pair"] == EDIT
    assert lanes["label_table.label_counts"] == READ
    assert lanes["indexer.process_jobs"] == WRITE
    assert told[0] == Changes.of(LABELS) and heard[0] == Changes.of(LABELS)
    assert told.count(Changes.of(LABELS)) == 1 and heard.count(Changes.of(LABELS)) == 1
    assert lib.label_table.label_counts()["pair_binary"] == 1
