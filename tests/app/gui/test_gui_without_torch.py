"""The window of the base download, where torch cannot be imported (issue 31): it opens a
library, indexes, searches, shows every tab (Search, Library, Similar paragraphs, Labels
with the model versions) and the Train dialog with the add-on's button, and never imports
torch. Run in its own Python, with a meta-path blocker, on the bundled model's int8 export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.no_torch import BLOCK_TORCH

pytest.importorskip("pytestqt")
pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = BLOCK_TORCH + r'''
import json, sys, time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.gui.main_window import MainWindow
from core.settings import Settings

app = QApplication(sys.argv[:1])
errors = []
sys.excepthook = lambda *exc: errors.append(repr(exc[1]))


def wait(cond, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if cond():
            return True
        time.sleep(0.02)
    return False


docs, library = Path(sys.argv[1]), Path(sys.argv[2])
w = MainWindow(settings=Settings(), library_path=library)
w.show()
w.start()
out = {"opened": wait(lambda: w.lib is not None, 120)}
w.add_folder(str(docs))
out["indexed"] = wait(lambda: w.lib.indexer.pending_jobs() == 0 and w.counts.get("chunks", 0) > 0
                      and w.counts.get("queued", 1) == 0, 300)
w.set_query("when are the tide tables posted")
out["results"] = wait(lambda: w.results.rowCount() > 0, 60)
out["tabs"] = []
for i in range(w.tabs.count()):
    w.tabs.setCurrentIndex(i)
    wait(lambda: False, 0.5)
    out["tabs"].append(w.tabs.tabText(i))
w.open_train_dialog()
dlg = w._extra_views["train"]
wait(lambda: getattr(dlg, "plan", None) is not None or dlg.plan_label.text() != "", 30)
out["addon_bar"] = dlg.addon_bar.isVisible()
out["addon_text"] = dlg.addon_bar.label.text()
dlg.close()
w.close()
out["closed"] = wait(lambda: w.shutdown_done, 60)
out["errors"] = errors
out["loaded"] = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print(json.dumps(out))
'''


def test_every_view_of_the_window_without_torch(tmp_path, shipped_encoder, shipped_fast_cache):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tides.txt").write_text("The harbour master posts the tide tables every Monday.\n", encoding="utf-8")
    (docs / "cats.txt").write_text("Our cat sleeps in the sun all afternoon.\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
           "LIKEWISE_PRECISION": "auto", "LIKEWISE_FAST_CACHE": str(shipped_fast_cache)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(docs), str(tmp_path / "lib.sqlite")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["opened"] and out["indexed"] and out["results"] and out["closed"], out
    assert out["tabs"] == ["Search", "Library", "Similar paragraphs", "Labels"], out["tabs"]
    assert out["addon_bar"] and "likewise addon install FILE" in out["addon_text"], out
    assert out["errors"] == [] and out["loaded"] == [], out
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
