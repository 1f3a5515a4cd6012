"""Every write of the Library says what it changed, once, through ``events.changed``
(core/changes.py); a read says nothing. The window refreshes its views from that."""

from __future__ import annotations

import pytest

from core.changes import (
    DOCUMENTS,
    EXCLUSIONS,
    FOLDERS,
    LABELS,
    QUEUE,
    Changes,
    operation,
    reads,
    writes,
)
from core.events import Events


def _heard(lib) -> list[Changes]:
    heard: list[Changes] = []
    lib.events.changed.subscribe(heard.append)
    return heard


def test_a_write_tells_what_it_changed_and_a_read_tells_nothing(tmp_path, tiny_library):
    lib = tiny_library
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Harbour pilots guide ships past the sandbanks.", encoding="utf-8")
    heard = _heard(lib)
    lib.add_folder(docs)
    assert heard == [Changes.of(FOLDERS, DOCUMENTS, QUEUE)]
    lib.folders(), lib.catalog.documents(), lib.label_table.labels()
    assert len(heard) == 1
    lib.label_table.add_label("pair_score", "a first text", "a second text", label=0.5)
    assert heard[-1].touches({LABELS}) and not heard[-1].touches({FOLDERS})


def test_a_write_made_of_writes_tells_once(tmp_path, tiny_library):
    """remove_exclusion re-scans through reconcile (itself a write): one Changes, the outer one's."""
    lib = tiny_library
    docs = tmp_path / "docs"
    (docs / "drafts").mkdir(parents=True)
    (docs / "drafts" / "b.txt").write_text("A draft about tides.", encoding="utf-8")
    lib.add_folder(docs)
    lib.indexer.index()
    lib.add_exclusion("drafts/")
    heard = _heard(lib)
    lib.remove_exclusion("drafts/")
    assert heard == [Changes.of(EXCLUSIONS, FOLDERS, DOCUMENTS, QUEUE)]


def test_a_failed_write_tells_nothing():
    class Part:
        def __init__(self) -> None:
            self.events = Events()

        @writes(LABELS)
        def fails(self) -> None:
            raise ValueError("refused")

        @reads
        def look(self) -> int:
            return 1

    part = Part()
    heard: list[Changes] = []
    part.events.changed.subscribe(heard.append)
    with pytest.raises(ValueError):
        part.fails()
    assert heard == [] and part.look() == 1
    assert operation(Part.fails).write and not operation(Part.look).write
    with pytest.raises(ValueError):
        writes("not-a-kind")
