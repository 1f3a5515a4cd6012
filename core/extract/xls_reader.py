"""Excel 97-2003 workbooks (.xls) with xlrd.

xlrd reads the BIFF records of the OLE file; formulas read as the values Excel stored;
dates (numbers with a date format) are turned into dates with the workbook's date mode.
Sheets are loaded one at a time (on_demand) and read by core.extract.sheet_rows. A file
xlrd cannot read (encrypted, damaged, or an .xlsx renamed .xls) is an "error" with the
reason; a password-protected workbook is "encrypted".
"""

from __future__ import annotations

from pathlib import Path

from core.extract.clean import short_reason
from core.extract.sheet_rows import SheetBlocks, sheet_result
from core.types import ENCRYPTED, ERROR, ExtractResult


def extract_xls(path: Path) -> ExtractResult:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True, logfile=_Quiet())
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - anything xlrd cannot open is this file's error
        reason = short_reason(exc)
        if "encrypt" in reason.lower() or "password" in reason.lower():
            return ExtractResult(status=ENCRYPTED, title=path.stem, error="the workbook is protected by a password")
        return ExtractResult(status=ERROR, error=f"not an Excel 97-2003 workbook xlrd can read ({reason})")
    try:
        sheets = SheetBlocks()
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            sheets.add_sheet(sheet.name, _rows(sheet, book.datemode))
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return sheet_result(sheets, path.stem)


def _rows(sheet, datemode: int):
    import xlrd

    for r in range(sheet.nrows):
        values: list[object] = []
        for cell in sheet.row(r):
            if cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    values.append(xlrd.xldate_as_datetime(cell.value, datemode))
                except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                    values.append(cell.value)
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                values.append(bool(cell.value))
            elif cell.ctype == xlrd.XL_CELL_ERROR:
                values.append(None)
            else:
                values.append(cell.value)
        yield values


class _Quiet:
    """xlrd's log goes nowhere (it would write warnings into the worker's stderr)."""

    def write(self, text: str) -> int:
        return len(text)
