"""The main window as the GUI tests open and close it, and a folder indexed beforehand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


def index_texts(folder: Path, files: dict[str, str], library_path: Path, model_dir: Path) -> Path:
    """Write ``files`` (name -> text) into a new ``folder`` and index it into the library."""
    from core.library import Library

    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    with Library(path=library_path, model_path=model_dir) as lib:
        lib.add_folder(folder)
        lib.indexer.index()
    return folder


def open_window(qtbot: Any, tmp_path: Path, model_dir: Path, *, start: bool = True,
                ready: Callable[[Any], bool] | None = None, size: tuple[int, int] | None = None,
                **kw: Any) -> Any:
    """The window on tmp_path/lib.sqlite; started (library open, and ``ready`` true) unless
    ``start`` is False."""
    from app.gui.main_window import MainWindow
    from core.settings import Settings

    w = MainWindow(settings=Settings(), library_path=tmp_path / "lib.sqlite", model_path=model_dir, **kw)
    qtbot.addWidget(w)
    if size is not None:
        w.resize(*size)
    w.show()
    if start:
        w.start()
        qtbot.waitUntil(lambda: w.lib is not None and (ready is None or ready(w)), timeout=120_000)
    return w


def close_window(qtbot: Any, w: Any) -> None:
    """Close as a person does and wait until the library is shut down."""
    if not w.shutdown_done:
        w.close()
        qtbot.waitUntil(lambda: w.shutdown_done, timeout=60_000)
