"""The training add-on from the window (issue 31): without torch the Train dialog says
what is missing and its button installs the add-on file off the UI thread; training
itself fails in words, not with a traceback (pytest-qt)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from tests.core.test_addon import make_addon

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui


def test_without_torch_the_train_dialog_installs_the_addon(qtbot, tmp_path, tiny_library, monkeypatch):
    import threading

    from app.gui import addon_bar
    from app.gui.tasks import TaskRunner
    from app.gui.train_dialog import TrainDialog
    from core import addon

    torch_there = {"now": False}
    monkeypatch.setattr(addon_bar, "torch_available", lambda: torch_there["now"])
    monkeypatch.setattr(addon, "torch_available", lambda: torch_there["now"])
    ui_thread = threading.get_ident()
    threads: list[int] = []
    real_install = addon_bar.install

    def install(path, progress=None):
        threads.append(threading.get_ident())
        manifest = real_install(path, progress=progress)
        torch_there["now"] = True          # as activate() makes it in a bundle
        return manifest

    monkeypatch.setattr(addon_bar, "install", install)
    runner = TaskRunner(library=lambda: tiny_library)
    dlg = TrainDialog(runner)
    qtbot.addWidget(dlg)
    dlg.show()
    try:
        bar = dlg.addon_bar
        assert bar.isVisible() and "likewise addon install FILE" in bar.label.text()
        assert "training add-on" in bar.button.text()
        # training without torch: the dialog says what is missing, in words
        dlg.start()
        qtbot.waitUntil(lambda: "training add-on" in dlg.progress_label.text(), timeout=30_000)
        assert "Traceback" not in dlg.progress_label.text()
        bar.install(str(make_addon(tmp_path / "fake.tar.xz")))
        qtbot.waitUntil(lambda: "is installed" in bar.label.text(), timeout=30_000)
        assert threads and threads[0] != ui_thread
        assert (addon.user_addon_dir() / "addon.json").is_file()
        assert not bar.button.isVisible()
    finally:
        dlg.close()
        runner.shutdown(30)
