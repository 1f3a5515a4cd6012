"""Render the window's main states to PNG files (``make screenshots``).

    QT_QPA_PLATFORM=offscreen python -m app.gui.screenshots docs/screenshots

A temporary library is built from a few real documents of the shared data (plus two
that cannot be read) with the bundled model; nothing of the user's is touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import core.offline  # noqa: F401

SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA",
                             Path(__file__).resolve().parents[3] / "shared" / "data"))
DOCS = [
    "pdf_real/docling/multi_page.pdf",
    "pdf_real/py-pdf_sample-files/021-pdfa__crazyones-pdfa.pdf",
    "pdf_real/py-pdf_sample-files/011-google-doc-document__google-doc-document.pdf",
    "pdf_real/py-pdf_sample-files/004-pdflatex-4-pages__pdflatex-4-pages.pdf",
    "pdf_real/docling/text_document_03.odt.pdf",
    "pdf_real/pdfplumber/scotus-transcript-p1.pdf",
]
BROKEN = [
    ("pdf_edgecases/encrypted/pdfjs__issue6010_1.pdf", "Quarterly report (locked).pdf"),
    ("docx/malformed/poi__clusterfuzz-testcase-minimized-POIXWPFFuzzer-4791943399604224.docx",
     "Minutes draft.docx"),
]
DOCX_FOR_BULK = 24
QUERY = "software made for people who write films"


def _prepare_folder(root: Path) -> Path:
    folder = root / "Documents"
    folder.mkdir(parents=True)
    for rel in DOCS:
        shutil.copy(SHARED / rel, folder / Path(rel).name)
    for rel, name in BROKEN:
        shutil.copy(SHARED / rel, folder / name)
    bulk = folder / "Word files"
    bulk.mkdir()
    for f in sorted((SHARED / "docx/valid").rglob("*.docx"))[:DOCX_FOR_BULK]:
        shutil.copy(f, bulk / f.name)
    return folder


def _wait(app, cond: Callable[[], bool], timeout: float) -> bool:
    from PySide6.QtCore import QEventLoop

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def _settle(app, seconds: float = 0.4) -> None:
    _wait(app, lambda: False, seconds)


def render(out_dir: Path, work: Path) -> list[Path]:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow
    from app.gui.resources import app_icon
    from core.settings import Settings

    # The app is always a QApplication (this process creates it, or a test did).
    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv[:1]))
    app.setApplicationName("Likewise")
    app.setWindowIcon(app_icon())
    out_dir.mkdir(parents=True, exist_ok=True)
    folder = _prepare_folder(work)
    w = MainWindow(settings=Settings(), library_path=work / "library.sqlite")
    w.resize(1240, 780)
    w.show()
    w.start()
    saved: list[Path] = []

    def shot(name: str) -> None:
        _settle(app)
        path = out_dir / name
        w.grab().save(str(path))
        saved.append(path)
        print(f"wrote {path}")

    if not _wait(app, lambda: w.lib is not None and w.search_stack.currentWidget() is w.first_run, 180):
        raise SystemExit("the library did not open")
    shot("01-first-run.png")

    w.add_folder(str(folder))
    _wait(app, lambda: w.progress.last is not None and w.progress.last.files_done >= 5
          and w.counts.get("chunks", 0) > 0, 600)
    w.set_query("typewriter")
    _wait(app, lambda: w.results.rowCount() > 0, 60)
    shot("02-indexing.png")

    _wait(app, lambda: w.lib is not None and w.lib.indexer.pending_jobs() == 0 and w.counts.get("queued", 1) == 0
          and w.progress.last is not None and w.progress.last.phase == "done", 900)
    _settle(app, 1.5)
    w.mode_combo.setCurrentIndex(w.mode_combo.findData("hybrid"))
    got: list[str] = []
    w.results_shown.connect(got.append)
    w.set_query(QUERY)
    _wait(app, lambda: "search" in got and w.preview.result is not None, 120)
    _settle(app, 1.0)
    shot("03-search-results.png")

    hit = next((r.result for r in w.results.rows if "Screenwriting" in r.result.text),
               w.results.rows[0].result)
    got.clear()
    w.find_similar_passages(hit)
    _wait(app, lambda: "similar" in got, 120)
    _settle(app, 1.0)
    shot("04-find-similar.png")

    w.tabs.setCurrentWidget(w.library_panel)
    w.library_panel.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)   # problems first
    w.refresh_library()
    _settle(app, 1.5)
    shot("05-library-with-errors.png")

    view = w.dupes_view
    w.tabs.setCurrentWidget(view)
    view.mine()
    _wait(app, lambda: view.mine_btn.isEnabled() and view.tree.topLevelItemCount() > 0, 600)
    _settle(app, 1.0)
    first = view.tree.topLevelItem(0)
    if view.items and first is not None:
        view.tree.setCurrentItem(first)
        _wait(app, lambda: view.right.ref is not None or view.current is not None, 60)
    shot("06-similar-paragraphs.png")

    w.close()
    _wait(app, lambda: w.shutdown_done, 60)
    return saved


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Render the window's main states to PNG.")
    p.add_argument("out_dir", nargs="?", default="docs/screenshots")
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="likewise-shots-") as tmp:
        work = Path(tmp)
        os.environ["LIKEWISE_DATA_DIR"] = str(work / "data")
        os.environ["LIKEWISE_CONFIG_DIR"] = str(work / "config")
        render(Path(args.out_dir).resolve(), work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
