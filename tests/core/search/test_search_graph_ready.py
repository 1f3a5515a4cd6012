"""The search graph is made by the indexing run (issue 27): after indexing, the next
process's first search opens the saved graph instead of building it; more documents
indexed leave it current again; a run leaves a graph of what it encoded so far while it
runs (a kill costs a catch-up, not a build); a truncated or foreign graph is refused and
rebuilt; and a search never waits for a graph being built."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from core.index import meaning
from core.library import Library
from core.search import accel, graph_keeper
from core.search.accel import Accelerator
from core.search.graph_file import meta_path
from core.store import Store, vec_table


@pytest.fixture
def graph_everywhere(monkeypatch):
    """Every library, however small, is searched through the graph."""
    monkeypatch.setattr(accel, "ANN_THRESHOLD", 1)


def _notes(folder: Path, start: int, n: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        (folder / f"note{i:02d}.md").write_text(
            f"# Note {i}\n\nThe keeper{i} of lighthouse number {i} logged the fog at dawn.\n\n"
            f"Second paragraph of note {i}: tides, cargo and weather {i * 7}.\n", encoding="utf-8")


def _graph(db: Path, lib: Library) -> Path:
    return Path(str(db) + f".m{lib.versions.active_model_id()}.usearch")


def _vectors(lib: Library) -> int:
    return lib.store.count(f"SELECT COUNT(*) FROM {vec_table(lib.versions.active_model_id())}")


def _first_search(db: Path, model: Path) -> tuple[Accelerator, list[int]]:
    """A fresh library object (as a new process): one search by meaning, and its accelerator."""
    lib = Library(path=db, model_path=model)
    try:
        found = [r.chunk_id for r in lib.searcher.search("lighthouse fog at dawn", mode="dense", k=5)]
        return lib.searcher._accels[lib.versions.active_model_id()], found
    finally:
        lib.close()


def test_indexing_leaves_the_graph_the_next_search_opens(tmp_path, tiny_model_dir, graph_everywhere):
    db, folder = tmp_path / "lib.sqlite", tmp_path / "docs"
    _notes(folder, 0, 8)
    lib = Library(path=db, model_path=tiny_model_dir)
    lib.add_folder(folder)
    lib.indexer.index()
    graph, vectors = _graph(db, lib), _vectors(lib)
    lib.close()
    assert graph.exists() and json.loads(meta_path(graph).read_text())["count"] == vectors

    acc, found = _first_search(db, tiny_model_dir)
    assert acc.opened == 1 and acc.rebuilds == 0 and len(acc) == vectors and found

    _notes(folder, 8, 6)       # more documents: the run leaves the graph current again
    lib = Library(path=db, model_path=tiny_model_dir)
    lib.indexer.reconcile()
    lib.indexer.index()
    more = _vectors(lib)
    lib.close()
    assert more > vectors and json.loads(meta_path(graph).read_text())["count"] == more
    acc, _ = _first_search(db, tiny_model_dir)
    assert acc.opened == 1 and acc.rebuilds == 0 and len(acc) == more


def test_a_run_saves_what_it_has_encoded_as_it_goes(tmp_path, tiny_model_dir, graph_everywhere, monkeypatch):
    monkeypatch.setattr(graph_keeper, "SYNC_EVERY", 1)
    monkeypatch.setattr(graph_keeper, "SAVE_MIN", 1)
    monkeypatch.setattr(meaning, "GROUP_DOCUMENTS", 2)
    db, folder = tmp_path / "lib.sqlite", tmp_path / "docs"
    _notes(folder, 0, 10)
    lib = Library(path=db, model_path=tiny_model_dir)
    graph = _graph(db, lib)
    on_disk: list[tuple[int, int]] = []    # (vectors in the saved graph, vectors in the store) per group

    killed = tmp_path / "at-kill"       # the graph files as a kill after the first group leaves them
    killed.mkdir()

    def after_group(_written) -> None:    # runs after the keeper's own subscriber
        saved = json.loads(meta_path(graph).read_text())["count"] if meta_path(graph).exists() else 0
        on_disk.append((saved, _vectors(lib)))
        if len(on_disk) == 1:
            for p in (graph, meta_path(graph)):
                (killed / p.name).write_bytes(p.read_bytes())

    lib.events.vectors_written.subscribe(after_group)
    lib.add_folder(folder)
    lib.indexer.index()
    lib.close()
    assert len(on_disk) >= 3
    saved, stored = on_disk[0]
    assert 0 < saved == stored < on_disk[-1][1]     # a kill here would leave a graph of this much

    for p in (graph, meta_path(graph)):            # back to what the kill left: the rest is caught up
        p.write_bytes((killed / p.name).read_bytes())
    acc, found = _first_search(db, tiny_model_dir)
    assert acc.opened == 1 and acc.rebuilds == 0 and len(acc) == on_disk[-1][1] and found


def test_a_truncated_or_foreign_graph_is_rebuilt_and_answers_right(tmp_path, tiny_model_dir, graph_everywhere):
    db, folder = tmp_path / "lib.sqlite", tmp_path / "docs"
    _notes(folder, 0, 8)
    lib = Library(path=db, model_path=tiny_model_dir)
    lib.add_folder(folder)
    lib.indexer.index()
    graph = _graph(db, lib)
    lib.close()
    _, right = _first_search(db, tiny_model_dir)

    data = graph.read_bytes()
    graph.write_bytes(data[: len(data) // 2])           # a half-written file
    acc, found = _first_search(db, tiny_model_dir)
    assert acc.opened == 0 and acc.rebuilds == 1 and found == right
    assert graph.stat().st_size == len(data)             # written again, whole

    meta = json.loads(meta_path(graph).read_text())
    meta_path(graph).write_text(json.dumps({**meta, "model_key": "another model"}))
    acc, found = _first_search(db, tiny_model_dir)
    assert acc.opened == 0 and acc.rebuilds == 1 and found == right


def test_a_graph_built_with_other_settings_is_made_again(tmp_path, tiny_model_dir, graph_everywhere, monkeypatch):
    db, folder = tmp_path / "lib.sqlite", tmp_path / "docs"
    _notes(folder, 0, 6)
    lib = Library(path=db, model_path=tiny_model_dir)
    lib.add_folder(folder)
    lib.indexer.index()
    lib.close()
    monkeypatch.setattr(accel, "ANN_EXPANSION_ADD", accel.ANN_EXPANSION_ADD // 2)   # an older build
    acc, _ = _first_search(db, tiny_model_dir)
    assert acc.opened == 0 and acc.rebuilds == 1
    acc, _ = _first_search(db, tiny_model_dir)       # saved again, with these settings, when it closed
    assert acc.opened == 1 and acc.rebuilds == 0


def test_a_search_does_not_wait_for_a_graph_being_built(tmp_path, monkeypatch):
    store = Store(tmp_path / "acc.sqlite")
    dim, n = 16, 300
    rng = np.random.default_rng(3)
    mat = rng.standard_normal((n, dim)).astype(np.float32)
    mat /= np.linalg.norm(mat, axis=1, keepdims=True)
    with store.write() as conn:
        conn.execute("INSERT INTO models(id, name, path, dim, created_at) VALUES (1, 'synthetic', '-', ?, 0)", (dim,))
        store.ensure_vec_table(conn, 1, dim)
        store.put_vectors(conn, 1, list(range(1, n + 1)), mat)
    acc = Accelerator(store, 1, ann_threshold=1)
    started, gate = threading.Event(), threading.Event()
    add = accel._Ann.add

    def held_add(self, ids, m):        # the build stops here until the search has answered
        started.set()
        gate.wait()
        add(self, ids, m)

    monkeypatch.setattr(accel._Ann, "add", held_add)
    builder = threading.Thread(target=acc.sync)
    builder.start()
    answered: list[list[int]] = []
    searcher = threading.Thread(target=lambda: answered.append(acc.search(mat[41], 3).ids.tolist()))
    try:
        assert started.wait(60)
        searcher.start()
        searcher.join(60)          # a guard against a hang only: it answers without the build
        assert answered and answered[0][0] == 42 and acc.scans == 1 and acc.building
    finally:
        gate.set()
        builder.join()
        searcher.join()
    assert acc.uses_ann and acc.search(mat[41], 1).ids.tolist() == [42] and acc.scans == 1
    store.close()
