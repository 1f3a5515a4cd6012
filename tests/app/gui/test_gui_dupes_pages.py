"""The similar-paragraphs view lists its groups a page at a time (issue 27): a library with
tens of thousands of groups shows the first page at once and the next ones as the list is
scrolled, in the order the library gives them."""

from __future__ import annotations

import numpy as np
import pytest

from tests.core.dupes.test_cell_mining import _add_document

pytest.importorskip("pytestqt")


def test_groups_are_listed_a_page_at_a_time_as_the_list_is_scrolled(qtbot, tiny_library):
    from app.gui.dupes_view import PAGE, DupesView
    from app.gui.tasks import TaskRunner

    lib = tiny_library
    dim = int(lib.store.query_one("SELECT dim FROM models WHERE id = ?", (lib.versions.active_model_id(),))[0])
    rng = np.random.default_rng(3)
    groups = 2 * PAGE + 50
    texts = [f"Paragraph {i} on the tides of the northern harbour, written down once and kept twice."
             for i in range(groups)]
    vecs = rng.standard_normal((groups, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    for copy in range(2):            # every paragraph in two documents: one exact group each
        for d in range(0, groups, 50):
            _add_document(lib, f"copy{copy}-{d}", texts[d : d + 50], vecs[d : d + 50])
    assert lib.discovery.mine_duplicates().clusters == groups

    runner = TaskRunner(library=lambda: lib)
    view = DupesView(runner)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    view.set_folders(lib.folders())
    qtbot.waitUntil(lambda: len(view.items) == PAGE, timeout=30_000)
    assert view.more and view.tree.topLevelItemCount() == PAGE
    assert view.summary.text().startswith(f"{PAGE}+ groups")

    bar = view.tree.verticalScrollBar()
    for expected in (2 * PAGE, groups):
        bar.setValue(bar.maximum())
        qtbot.waitUntil(lambda n=expected: len(view.items) == n, timeout=30_000)
    assert not view.more and view.summary.text().startswith(f"{groups} groups")
    assert [c.id for c in view.items] == [c.id for c in lib.discovery.duplicate_clusters()]
    runner.shutdown()
