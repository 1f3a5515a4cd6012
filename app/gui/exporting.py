"""Results and labels written to a file from the window (File menu): CSV or Markdown
for results (core/export.py), the label file format for labels (core/train/labels.py).
The writing runs off the UI thread; the status bar says what was written where."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog

from app.gui.errors import describe
from app.gui.results import SOURCE
from core.words import count

RESULT_FILTERS = "CSV spreadsheet (*.csv);;Markdown note (*.md)"
LABEL_FILTERS = "CSV (*.csv);;Tab-separated (*.tsv);;JSON lines (*.jsonl)"


def shown_results(window: Any) -> list[Any]:
    """The results the list shows now (the passage a find-similar started from left out)."""
    return [row.result for row in window.search_page.results.rows if row.kind != SOURCE]


def _suffixed(path: str, chosen_filter: str, default: str) -> str:
    if Path(path).suffix:
        return path
    for ext in (".csv", ".md", ".tsv", ".jsonl"):
        if ext[1:] in chosen_filter:
            return path + ext
    return path + default


def choose_and_export_results(window: Any) -> None:
    if not shown_results(window):
        window.flash_status("Nothing to export: search first, then export the results shown.")
        return
    path, chosen = QFileDialog.getSaveFileName(window, "Export results", str(Path.home() / "results.csv"),
                                               RESULT_FILTERS)
    if path:
        export_results(window, _suffixed(path, chosen, ".csv"))


def export_results(window: Any, path: str) -> Any:
    """Write the results shown to ``path`` (CSV, or Markdown for .md); returns the task."""
    from core.export import export_results as write_results

    results = shown_results(window)
    query = window.search_page.current_query

    def done(n: int) -> None:
        window.flash_status(f"Exported {count(n, 'result')} to {path}")

    return window.runner.run(lambda ctx: write_results(results, path, query), name="export results",
                             on_done=done, on_error=lambda exc: window.flash_status(
                                 f"Could not export the results: {describe(exc)}"))


def choose_and_export_labels(window: Any) -> None:
    if window.lib is None:
        return
    path, chosen = QFileDialog.getSaveFileName(window, "Export labels", str(Path.home() / "labels.csv"),
                                               LABEL_FILTERS)
    if path:
        export_labels(window, _suffixed(path, chosen, ".csv"))


def export_labels(window: Any, path: str) -> Any:
    """Write every label to ``path``: one file per kind of label when there are several
    kinds (``labels-pair.csv``, ``labels-triplet.csv``); returns the task."""
    def work(lib: Any, _ctx: Any) -> list[tuple[str, int]]:
        kinds = [k for k, n in lib.label_table.label_counts().items() if n]
        if len(kinds) <= 1:
            return [(path, lib.label_table.export_labels(path, kind=kinds[0] if kinds else None))]
        out = []
        for kind in kinds:
            p = Path(path)
            target = str(p.with_name(f"{p.stem}-{kind}{p.suffix}"))
            out.append((target, lib.label_table.export_labels(target, kind=kind)))
        return out

    def done(written: list[tuple[str, int]]) -> None:
        window.flash_status("Exported " + "; ".join(f"{count(n, 'label')} to {p}" for p, n in written))

    return window.runner.with_library(work, name="export labels", on_done=done, on_error=lambda exc: (
        window.flash_status(f"Could not export the labels: {describe(exc)}")))
