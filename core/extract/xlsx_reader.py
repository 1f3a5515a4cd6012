"""Excel workbooks (.xlsx, .xlsm) with openpyxl, streamed.

- The archive is checked first (core.extract.archive: zip bombs, member counts, XML
  entity declarations), then openpyxl opens it read-only (rows are streamed from the
  sheet's XML, never held whole) with data_only=True: a formula reads as the value
  Excel stored with it, never as its formula text.
- Every worksheet in workbook order is read by core.extract.sheet_rows (the sheet's name
  is the heading, rows carry their column names, a few rows per passage, bounded).
  Chart sheets have no cells and are passed over. The sheet's declared size is
  forgotten before reading (reset_dimensions), so a sheet that claims a million rows or
  16,384 columns is not padded out to them: only the cells it holds are read. (A sheet
  without a declared size, which Excel and LibreOffice always write, costs openpyxl one
  extra pass over its XML when the workbook opens.)
- The title is the workbook's own title property, or the file name.
"""

from __future__ import annotations

from pathlib import Path

from core.extract.archive import check_package
from core.extract.clean import clean_line, short_reason
from core.extract.sheet_rows import SheetBlocks, sheet_result
from core.types import ERROR, ExtractResult


def extract_xlsx(path: Path) -> ExtractResult:
    import openpyxl

    check_package(path, path.suffix.lower())
    try:
        book = openpyxl.load_workbook(str(path), read_only=True, data_only=True, keep_links=False)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - anything openpyxl cannot open is this file's error
        return ExtractResult(status=ERROR, error=f"not a workbook openpyxl can read ({short_reason(exc)})")
    try:
        sheets = SheetBlocks()
        for sheet in book.worksheets:
            if hasattr(sheet, "iter_rows"):
                sheet.reset_dimensions()
                sheets.add_sheet(sheet.title, sheet.iter_rows(values_only=True))
        title = clean_line(book.properties.title or "") if book.properties else ""
    finally:
        book.close()
    return sheet_result(sheets, title if 3 <= len(title) <= 200 else path.stem)
