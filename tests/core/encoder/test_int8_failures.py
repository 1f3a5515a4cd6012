"""The int8 encoder failing after its gate passed (issue 32): a cached export that no longer
loads, and the runtime failing while it encodes. Neither may cost a document: the fp32
encoder takes over, with a message, and every file is indexed."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

from core.encoder.gates import GateSpec
from core.encoder.precision import load_encoder

LENIENT = GateSpec(min_cosine=0.5, max_sts_drop=100.0)   # for the tiny random model


@pytest.fixture
def own_model(tmp_path, tiny_model_dir, monkeypatch):
    """A copy of the tiny model with its own export cache (this test breaks the export)."""
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    (model / "note.json").write_text('{"copy": "int8 failures"}', encoding="utf-8")
    monkeypatch.setenv("LIKEWISE_PRECISION", "auto")
    monkeypatch.setenv("LIKEWISE_FAST_CACHE", str(tmp_path / "fast-cache"))
    return model


def _notes(folder, n: int) -> None:
    folder.mkdir()
    for i in range(n):
        (folder / f"n{i}.txt").write_text(f"Note {i} about herons on the river bank.\n\n"
                                          f"A second paragraph of note {i} about tides.\n", encoding="utf-8")


def test_a_cached_export_that_no_longer_loads_gives_way_to_fp32_with_a_message(own_model, tmp_path):
    from core.encoder.model import SentenceEncoder
    from core.library import Library

    first = load_encoder(own_model, spec=LENIENT)
    assert first.precision == "int8"                         # it passed its gate
    for f in first.folder.iterdir():                         # ...and is damaged later
        if f.suffix in (".onnx", ".xml", ".bin"):
            f.write_bytes(b"no longer a model")
    told: list[str] = []
    again = load_encoder(own_model, spec=LENIENT, notify=told.append)
    assert isinstance(again, SentenceEncoder) and again.precision == "fp32"
    assert told and "could not be loaded" in told[0] and "fp32" in told[0]

    folder = tmp_path / "docs"
    _notes(folder, 3)
    with Library(path=tmp_path / "lib.sqlite", model_path=own_model) as lib:
        lib.add_folder(folder)
        report = lib.indexer.index()
        assert report.failed == 0 and len(lib.catalog.documents(status="indexed")) == 3
        assert lib.versions.vector_precisions() == {"fp32": 6}
        assert any("could not be loaded" in n for n in lib.versions.encoder_notes)


def test_int8_failing_while_encoding_costs_no_document(own_model, tmp_path, caplog):
    # On the old code every document of the run ended "could not be indexed
    # (RuntimeError: std::bad_alloc)", blamed for the runtime's failure.
    from core.encoder.model import SentenceEncoder
    from core.library import Library

    fast = load_encoder(own_model, spec=LENIENT)
    assert fast.precision == "int8"
    calls = {"n": 0}

    def failing(feed):
        calls["n"] += 1
        raise RuntimeError("std::bad_alloc")

    fast._runner.run = failing
    folder = tmp_path / "docs"
    _notes(folder, 4)
    with caplog.at_level(logging.WARNING, logger="likewise.encoder"), \
            Library(path=tmp_path / "lib.sqlite", model_path=own_model,
                    encoder_factory=lambda _path: fast) as lib:
        lib.add_folder(folder)
        report = lib.indexer.index()
        assert calls["n"] == 1                                # tried once, then fp32 from there on
        assert report.failed == 0, report.failures
        docs = lib.catalog.documents()
        assert len(docs) == 4 and all(d.status == "indexed" and not d.error for d in docs)
        assert lib.versions.vector_precisions() == {"fp32": 8}
        assert fast.precision == "fp32" and "std::bad_alloc" in (fast.fallback_reason or "")
        ids, got = lib.store.all_vectors(lib.versions.active_model_id())
        texts = [lib.catalog.chunk(int(i)).text for i in ids]
        exact = SentenceEncoder.load(own_model, device="cpu").encode(texts)
        np.testing.assert_allclose(got, exact, atol=1e-5)
        assert lib.searcher.search("herons river", mode="dense", k=2)
    assert "failed while encoding" in caplog.text and "fp32 from now on" in caplog.text
