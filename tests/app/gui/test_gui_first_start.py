"""A first start that says what it does: the library opens before the model's int8
export (75-85 s on a laptop), the export tells its steps in the window, and keyword
search works meanwhile; meaning search runs once the model is ready."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading

import pytest

from tests.gui_window import close_window, index_texts, open_window

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui


def test_a_new_library_opens_without_making_the_int8_export(tmp_path, tiny_model_dir, monkeypatch):
    """Library() used to load (and on first use export) the encoder to learn the model's
    name and size; the export now waits until the encoder is first asked for."""
    import core.encoder.precision as precision
    from core.library import Library

    calls = []
    monkeypatch.setattr(precision, "will_export", lambda *a, **k: True)
    monkeypatch.setattr(precision, "load_encoder", lambda *a, **k: calls.append(a) or 1 / 0)
    with Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir) as lib:
        (model,) = lib.versions.models()
        assert model.active and calls == []
        assert lib.versions.model_row(model.id)["dim"] == 32


def test_the_export_says_its_steps_and_keywords_work_meanwhile(qtbot, tmp_path, tiny_model_dir, monkeypatch):
    from core.model_versions import ModelVersions

    index_texts(tmp_path / "docs", {"bees.md": "# Bees\n\nHoney bees dance to show where the clover grows.\n",
                                    "iron.md": "# Iron\n\nIron rusts when water reaches the bare metal.\n"},
                tmp_path / "lib.sqlite", tiny_model_dir)
    release = threading.Event()
    real = ModelVersions.load_encoder_for_path

    def slow_first_use(self, path, digest=None):
        self._preparing("making the int8 model (quantizing for this CPU)", 2, 4)
        release.wait(120)               # the export, held until the test lets it end
        return real(self, path, digest)

    monkeypatch.setattr(ModelVersions, "load_encoder_for_path", slow_first_use)
    w = open_window(qtbot, tmp_path, tiny_model_dir, watch=False)
    try:
        qtbot.waitUntil(lambda: "step 2 of 4: making the int8 model" in w.status_label.text(), timeout=30_000)
        qtbot.waitUntil(lambda: "Preparing the model" in w.empty_label.text(), timeout=30_000)
        assert not w.model_loaded
        shown: list[str] = []
        w.results_shown.connect(shown.append)
        w.set_query("clover")                 # Hybrid, the default: needs the model
        w.search_now()
        qtbot.waitUntil(lambda: w.results.rowCount() == 1, timeout=30_000)
        assert "keywords only until the model is ready" in w.header.text()
        assert w.results.result_at(0).path.endswith("bees.md")
        release.set()
        qtbot.waitUntil(lambda: w.model_loaded, timeout=60_000)
        # the search runs again in the mode chosen, and the status line is the counts again
        qtbot.waitUntil(lambda: "keywords only" not in w.header.text() and w.results.rowCount() >= 1,
                        timeout=30_000)
        qtbot.waitUntil(lambda: "preparing" not in w.status_label.text(), timeout=30_000)
    finally:
        release.set()
        close_window(qtbot, w)
