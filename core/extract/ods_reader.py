"""OpenDocument spreadsheets (.ods), streamed from content.xml with lxml's iterparse.

- The archive is checked first (core.extract.archive: zip bombs, member counts); the
  parser resolves no entities, loads no DTD and never reaches the network; a
  content.xml that declares entities is refused.
- Rows are read as they are parsed and each is freed at once, so a large sheet is
  never held whole. Each <table:table> is a sheet, its table:name the heading; rows go to
  core.extract.sheet_rows (column names, a few rows per passage, bounded).
- A cell's value is its stored value: office:value for numbers, percentages and
  currencies, office:date-value, office:boolean-value, otherwise its text paragraphs
  (what a formula cell shows is stored the same way).
- Repeats: number-columns-repeated / number-rows-repeated are expanded only for cells
  and rows that hold something, and then at most MAX_REPEAT times; the empty repeats
  that pad a sheet to its full size are never expanded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from core.extract.archive import Refused, open_zip
from core.extract.sheet_rows import SheetBlocks, sheet_result
from core.types import ExtractResult

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_SHEET, _ROW, _CELL, _COVERED = (f"{{{_TABLE}}}{n}" for n in ("table", "table-row", "table-cell",
                                                              "covered-table-cell"))
_NAME, _COLS_REP, _ROWS_REP = (f"{{{_TABLE}}}{n}" for n in ("name", "number-columns-repeated",
                                                            "number-rows-repeated"))
_TYPE, _VALUE, _DATE, _BOOL = (f"{{{_OFFICE}}}{n}" for n in ("value-type", "value", "date-value",
                                                             "boolean-value"))
_P = f"{{{_TEXT}}}p"
MAX_REPEAT = 1000
_NUMERIC = {"float", "percentage", "currency"}


def extract_ods(path: Path) -> ExtractResult:
    from lxml import etree

    sheets = SheetBlocks()
    with open_zip(path, ".ods") as archive:
        if "content.xml" not in archive.namelist():
            raise Refused("not an OpenDocument spreadsheet: content.xml is missing")
        with archive.open("content.xml") as stream:
            head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
            if b"<!ENTITY" in head.upper():
                raise Refused("content.xml declares XML entities (refused: entity expansion or external entities)")
            events = etree.iterparse(stream, events=("start", "end"), tag=(_SHEET, _ROW),
                                     resolve_entities=False, no_network=True, load_dtd=False,
                                     huge_tree=False, remove_comments=True, remove_pis=True)
            try:
                for name, rows in _sheets(events):
                    sheets.add_sheet(name, rows)
                    if sheets.full:
                        break
            except etree.XMLSyntaxError as exc:
                raise Refused(f"content.xml is not well-formed XML ({exc})") from None
    return sheet_result(sheets, path.stem)


def _sheets(events) -> Iterator[tuple[str, Iterator[list[object]]]]:
    for event, el in events:
        if event == "start" and el.tag == _SHEET:
            yield el.get(_NAME) or "", _rows(events)


def _rows(events) -> Iterator[list[object]]:
    """Rows of the sheet being parsed, until its end tag."""
    for event, el in events:
        if event == "end" and el.tag == _SHEET:
            el.clear()
            return
        if event != "end" or el.tag != _ROW:
            continue
        values = _row_values(el)
        repeat = int(el.get(_ROWS_REP) or 1) if any(v is not None for v in values) else 1
        el.clear()
        parent = el.getparent()
        while parent is not None and el.getprevious() is not None:
            del parent[0]
        for _ in range(min(repeat, MAX_REPEAT)):
            yield values


def _row_values(row) -> list[object]:
    values: list[object] = []
    pending_empty = 0
    for cell in row:
        if cell.tag not in (_CELL, _COVERED):
            continue
        repeat = int(cell.get(_COLS_REP) or 1)
        value = _cell_value(cell)
        if value is None:
            pending_empty += repeat          # padding: counted, expanded only if a value follows
            continue
        if pending_empty:
            values += [None] * min(pending_empty, MAX_REPEAT)
            pending_empty = 0
        values += [value] * min(repeat, MAX_REPEAT)
    return values


def _cell_value(cell) -> object:
    kind = cell.get(_TYPE)
    if kind in _NUMERIC and cell.get(_VALUE) is not None:
        try:
            number = float(cell.get(_VALUE))
        except ValueError:
            number = None
        if number is not None:
            return f"{number * 100:g}%" if kind == "percentage" else number
    if kind == "date" and cell.get(_DATE):
        try:
            return dt.datetime.fromisoformat(cell.get(_DATE))
        except ValueError:
            return cell.get(_DATE)
    if kind == "boolean" and cell.get(_BOOL):
        return cell.get(_BOOL) == "true"
    text = "\n".join("".join(p.itertext()) for p in cell.iter(_P))
    return text or None
