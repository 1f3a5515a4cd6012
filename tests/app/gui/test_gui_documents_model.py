"""The Library tab lists 50,000 documents lazily (issue 27): the view is handed a page at a
time, and sorting and filtering by status, type and folder cover every document, not only
the rows shown."""

from __future__ import annotations

import pytest

from core.types import DocumentInfo

pytest.importorskip("pytestqt")

STATUSES = ("indexed", "indexed", "indexed", "error", "pending")
TYPES = (".pdf", ".docx", ".txt", ".md")


def _docs(n: int) -> list[DocumentInfo]:
    return [DocumentInfo(i + 1, f"/home/me/{'work' if i % 3 else 'mail'}/f{i:05d}{TYPES[i % 4]}", None,
                         TYPES[i % 4], (i * 7919) % 100_000, 0.0, STATUSES[i % 5],
                         "cannot read" if STATUSES[i % 5] == "error" else None, None, i % 40, None,
                         folder_id=1 if i % 3 else 2)
            for i in range(n)]


def test_fifty_thousand_documents_are_listed_a_page_at_a_time_sorted_and_filtered_over_all(qtbot):
    from PySide6.QtCore import Qt

    from app.gui.documents_model import PAGE, DocRole
    from app.gui.library_panel import LibraryPanel

    panel = LibraryPanel()
    qtbot.addWidget(panel)
    docs = _docs(50_000)
    panel.set_documents(docs)
    model = panel.model
    assert model.rowCount() == PAGE < 50_000 and model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 2 * PAGE

    panel.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)          # by size, over all 50,000
    assert model.index(0, 0).data(DocRole).size == max(d.size for d in docs)
    assert model.rowCount() == PAGE

    panel.status_combo.setCurrentIndex(2)                               # problems
    assert len(model.docs) == 10_000 and all(d.status == "error" for d in model.docs)
    panel.type_combo.setCurrentIndex(panel.type_combo.findData("pdf"))
    pdf_errors = [d for d in docs if d.status == "error" and d.ext == ".pdf"]
    assert len(model.docs) == len(pdf_errors) == 5_000 // 2
    panel.set_folders([])        # no folder rows: the folder filter offers only "All folders"
    assert panel.folder_combo.count() == 1
    model.set_filter(folder="/home/me/mail")
    assert {d.path.split("/")[3] for d in model.docs} == {"mail"} and len(model.docs) == 16_667

    model.set_filter(text="F49999")
    assert [d.id for d in model.docs] == [50_000] and model.rowCount() == 1
    panel.table.selectRow(0)
    assert [d.id for d in panel.selected_documents()] == [50_000]


def test_a_long_name_stays_on_one_line_with_its_start_and_extension(qtbot):
    """A row is one line high: wrapped at its hyphen, "020-xmp__output_with_metadata.pdf"
    had shown as "020-…"; on one line, elided in the middle, it keeps both ends."""
    from PySide6.QtCore import Qt

    from app.gui.library_panel import LibraryPanel

    panel = LibraryPanel()
    qtbot.addWidget(panel)
    assert not panel.table.wordWrap()
    assert panel.table.textElideMode() == Qt.TextElideMode.ElideMiddle
