"""One window per library: a second launch hands its request to the running window and
exits (two processes talk over the local socket; a socket left by a crash is taken over)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from tests.gui_window import close_window, index_texts, open_window

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[3]


def _python(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"})


def _finish(qtbot, proc: subprocess.Popen, timeout_ms: int = 60_000) -> int:
    """Let the event loop run (the server answers) until ``proc`` has exited."""
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=timeout_ms)
    return int(proc.returncode)


def _client(name: str, similar: str) -> subprocess.Popen:
    return _python(f"""
        import sys
        from PySide6.QtCore import QCoreApplication
        from app.gui.single_instance import send_request
        app = QCoreApplication([])
        sys.exit(0 if send_request({name!r}, {{"similar": {similar!r}}}) else 3)
    """)


def test_names_differ_by_library_and_by_user(tmp_path):
    from app.gui.single_instance import server_name

    a = server_name(tmp_path / "one.sqlite", "ann")
    assert a == server_name(tmp_path / "one.sqlite", "ann")
    assert a != server_name(tmp_path / "two.sqlite", "ann")
    assert a != server_name(tmp_path / "one.sqlite", "bob")


def test_a_request_from_another_process_reaches_the_listening_window(qtbot):
    from app.gui.single_instance import InstanceServer

    name = f"likewise-test-{uuid.uuid4().hex[:12]}"
    server = InstanceServer()
    assert server.listen(name)
    try:
        with qtbot.waitSignal(server.request, timeout=60_000) as got:
            proc = _client(name, "/docs/report.pdf")
        assert got.args == [{"similar": "/docs/report.pdf"}]
        assert _finish(qtbot, proc) == 0            # the second launch was answered and exits
        # a second window on the same name is refused while this one lives
        assert not InstanceServer().listen(name)
    finally:
        server.close()
    # nobody listens any more: a launch finds no window and runs on its own
    assert _finish(qtbot, _client(name, "")) == 3


def test_a_socket_left_by_a_crash_is_taken_over(qtbot):
    from app.gui.single_instance import InstanceServer

    name = f"likewise-test-{uuid.uuid4().hex[:12]}"
    crashed = _python(f"""
        import os
        from PySide6.QtCore import QCoreApplication
        from PySide6.QtNetwork import QLocalServer
        app = QCoreApplication([])
        server = QLocalServer()
        assert server.listen({name!r})
        os._exit(0)          # a crash: the socket file stays behind
    """)
    assert _finish(qtbot, crashed) == 0
    server = InstanceServer()
    try:
        assert server.listen(name)
        with qtbot.waitSignal(server.request, timeout=60_000):
            proc = _client(name, "/a.txt")
        assert _finish(qtbot, proc) == 0
    finally:
        server.close()


def test_likewise_gui_similar_hands_over_to_the_open_window(qtbot, tmp_path, tiny_model_dir):
    """`likewise-gui --similar FILE` with the window open: no second window, no second
    library writer; the open window comes forward with the documents like FILE."""
    from app.gui.single_instance import claim_or_hand_over, server_name

    docs = index_texts(tmp_path / "docs", {"bees.txt": "Honey bees dance to show the hive the flowers.\n",
                                           "hive.txt": "Foragers of a hive find flowers by the waggle dance.\n"},
                       tmp_path / "lib.sqlite", tiny_model_dir)
    w = open_window(qtbot, tmp_path, tiny_model_dir, watch=False, ready=lambda w: w.model_loaded)
    server = claim_or_hand_over(server_name(tmp_path / "lib.sqlite"), {})
    assert server is not None
    server.request.connect(w.take_request)
    shown: list[str] = []
    w.results_shown.connect(shown.append)
    try:
        w.tabs.setCurrentWidget(w.labels_view)          # somewhere else in the window
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.gui.main", "--library", str(tmp_path / "lib.sqlite"),
             "--model", str(tiny_model_dir), "--no-watch", "--similar", str(docs / "bees.txt")],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"})
        assert _finish(qtbot, proc, 120_000) == 0
        qtbot.waitUntil(lambda: "similar_docs" in shown, timeout=60_000)
        assert w.tabs.currentWidget() is w.search_stack
        assert "similar document" in w.header.text()
    finally:
        server.close()
        close_window(qtbot, w)
