"""Activating a trained version: the library is re-encoded through the indexer's queue,
search keeps the old vectors until every passage has a new one, the switch is atomic,
an interrupted re-encoding resumes, and earlier versions come back without re-encoding."""

from __future__ import annotations

import numpy as np

from core.cancel import CancelToken
from core.library import Library
from core.store import vec_table

TOPICS = [
    "Contracts must be signed by both parties before the work begins.",
    "The tenant pays the rent on the first day of every month.",
    "Cells divide by mitosis; the chromosomes are copied first.",
    "The river floods in spring when the snow in the mountains melts.",
    "Interest rates rose again, and mortgage payments followed.",
    "The orchestra rehearsed the symphony for three weeks.",
]


def _docs(folder):
    folder.mkdir()
    for i, text in enumerate(TOPICS):
        body = "\n\n".join(f"{text} Paragraph {j} adds detail number {i * 10 + j}." for j in range(3))
        (folder / f"doc{i}.txt").write_text(body, encoding="utf-8")


def _train(lib):
    for i, a in enumerate(TOPICS):
        lib.label_table.add_label("pair_binary", a, a.lower(), label=1, source="import")
        lib.label_table.add_label("pair_binary", a, TOPICS[(i + 2) % len(TOPICS)], label=0, source="import")
    return lib.training.train(batch_size=4, check_forgetting=False, device="cpu")


def _embed_jobs(lib, model_id):
    return lib.store.query_one(
        "SELECT COUNT(*) FROM jobs WHERE kind = 'embed' AND model_id = ?", (model_id,))[0]


def _stored(lib, model_id):
    rows = lib.store.query(f"SELECT c.id, c.text FROM chunks c JOIN {vec_table(model_id)} v ON v.chunk_id = c.id")
    ids = [r[0] for r in rows]
    return ids, [r[1] for r in rows], lib.store.get_vectors(model_id, ids)


def test_activation_reencodes_switches_atomically_and_resumes(tmp_path, tiny_model_dir, monkeypatch):
    from core.index import meaning

    monkeypatch.setattr(meaning, "GROUP_DOCUMENTS", 1)    # one document per encoded group
    _docs(tmp_path / "docs")
    path = tmp_path / "lib.sqlite"
    lib = Library(path=path, model_path=tiny_model_dir)
    lib.add_folder(tmp_path / "docs")
    lib.indexer.index()
    base = lib.versions.active_model_id()
    total = lib.status_counts()["chunks"]
    result = _train(lib)
    new = result.model_id

    assert lib.versions.activate(new) is False
    assert (lib.versions.active_model_id(), lib.versions.target_model_id()) == (base, new)
    assert _embed_jobs(lib, new) == len(TOPICS)

    # Encode two documents' passages, then stop (as a crash or a closed window would).
    token = CancelToken()
    groups = []

    def stop_after_two(p):
        if p.phase == "embedding" and p.chunks_done and p.chunks_done not in groups:
            groups.append(p.chunks_done)
            if len(groups) >= 2:
                token.cancel()

    assert lib.indexer.process_jobs(progress=stop_after_two, cancel=token).cancelled
    done, all_chunks = lib.versions.switch_progress()
    assert 0 < done < all_chunks == total
    assert lib.versions.active_model_id() == base          # search still on the old vectors
    hits = lib.searcher.search(TOPICS[2], mode="dense", k=3)
    assert hits and lib.versions.active_model_id() == base
    info = {m.id: m for m in lib.versions.models()}
    assert info[base].active and info[new].target and info[new].vectors == done
    lib.close()

    # Reopen: the queue is still there and finishes the switch.
    lib = Library(path=path, model_path=tiny_model_dir)
    try:
        assert (lib.versions.active_model_id(), lib.versions.target_model_id()) == (base, new)
        lib.indexer.process_jobs()
        assert (lib.versions.active_model_id(), lib.versions.target_model_id()) == (new, None)
        assert _embed_jobs(lib, new) == 0
        lib.close()
        lib = Library(path=path, model_path=tiny_model_dir)     # the activated version stays
        assert (lib.versions.active_model_id(), lib.versions.target_model_id()) == (new, None)

        # Both versions hold every passage, each with its own model's vectors.
        for model_id in (base, new):
            ids, texts, stored = _stored(lib, model_id)
            assert len(ids) == total
            fresh = lib.versions.encoder(model_id).encode(texts)
            np.testing.assert_allclose(stored, fresh, atol=1e-5)
        _, texts, old_vecs = _stored(lib, base)
        assert not np.allclose(old_vecs, lib.versions.encoder(new).encode(texts), atol=1e-4)

        # Going back to the base model needs no re-encoding: its vectors are complete; the
        # search lets go of the other version's in-memory graph (it is saved to its file).
        lib.searcher.search(TOPICS[1], mode="dense", k=3)
        assert set(lib.searcher._accels) == {new}
        assert lib.versions.activate(base) is True
        lib.searcher.search(TOPICS[1], mode="dense", k=3)
        assert set(lib.searcher._accels) == {base}
        assert (lib.versions.active_model_id(), lib.versions.target_model_id()) == (base, None)
        assert lib.indexer.pending_jobs() == 0
        assert all(m.vectors == total for m in lib.versions.models())
        # The active model cannot be deleted; the other one can, with its vectors.
        lib.versions.delete(new)
        assert not lib.store.vec_table_exists(new)
        assert [m.id for m in lib.versions.models()] == [base]
    finally:
        lib.close()


def test_stale_version_is_reencoded_only_where_passages_changed(tmp_path, tiny_model_dir):
    _docs(tmp_path / "docs")
    lib = Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir)
    try:
        lib.add_folder(tmp_path / "docs")
        lib.indexer.index()
        base = lib.versions.active_model_id()
        new = _train(lib).model_id
        lib.versions.activate(new)
        lib.indexer.process_jobs()
        assert lib.versions.active_model_id() == new
        # A document changes while the new model is active: the base model misses it.
        (tmp_path / "docs" / "doc0.txt").write_text("A completely different text about tides.", encoding="utf-8")
        lib.indexer.index()
        assert lib.versions.activate(base) is False            # not complete any more
        report = lib.indexer.process_jobs()
        assert report.chunks_encoded == 1 and lib.versions.active_model_id() == base
    finally:
        lib.close()
