"""Labelled cards show a mark: a result the person marked similar or not similar (for
this query, or against the passage a find-similar started from) says so on its card.
Read off the UI thread after each list and each mark; the cards repaint (results.py
``mark_words`` paints them)."""

from __future__ import annotations

from typing import Any

from app.gui.results import RESULT


def refresh_marks(page: Any) -> None:
    """Ask the library which shown results are labelled and put the marks on the cards."""
    if page.view_mode not in ("search", "similar"):
        return
    results = [row.result for row in page.results.rows if row.kind == RESULT and row.result.chunk_id > 0]
    if not results:
        return
    ids = [r.chunk_id for r in results]
    query = page.current_query if page.view_mode == "search" else None
    source = page.similar_source.chunk_id if page.view_mode == "similar" and page.similar_source else None
    if query is None and source is None:
        return

    def done(marks: dict[int, bool]) -> None:
        shown = {row.result.chunk_id: row.result for row in page.results.rows if row.kind == RESULT}
        for r in results:
            if shown.get(r.chunk_id) is r:
                r.mark = marks.get(r.chunk_id)      # type: ignore[union-attr]
        page.delegate.clear_cache()
        page.list.viewport().update()

    page.runner.call("label_table.marks", ids, query=query, source=source, key="label-marks", on_done=done)
