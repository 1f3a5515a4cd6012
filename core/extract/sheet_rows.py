"""Rows of a sheet -> passages (blocks), for every spreadsheet reader (.xlsx .xls .ods
.csv .tsv).

- Each sheet's blocks carry the sheet's name as their heading (a .csv has none).
- A row is written with its column names: "Country: Germany; Capital: Berlin". The names
  come from the first row when it looks like a header (looks_like_header: every cell
  filled with a short text that is no number and no date, no name twice, and the rows
  below either hold a number or date under it or never repeat its texts); otherwise
  the columns are named by their letters ("A: Germany; B: Berlin"). Up to MAX_TITLE_ROWS
  rows of a single cell above a header row are the table's title, kept as plain lines.
- Several short rows share one block, up to ROW_GROUP_CHARS characters, so a passage
  is a few rows rather than one cell; a longer row is a block of its own (the chunker
  cuts it if it does not fit the encoder).
- Bounded: at most MAX_CELLS filled cells are read from a file, and at most MAX_VISITED
  cells (filled or not) are looked at; past either limit reading stops and
  SheetBlocks.note says what was left out, so a sheet of millions of cells costs a few
  seconds and a few thousand passages, never the worker's limits.
- Values: numbers without a needless ".0", dates as ISO dates (with the time when there
  is one), booleans as TRUE/FALSE; a formula's value is whatever the reader gives (its
  stored result).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from core.extract.clean import clean_line
from core.types import Block

ROW_GROUP_CHARS = 480
MAX_CELLS = 200_000
MAX_VISITED = 5_000_000
MAX_HEADER_CELL_CHARS = 60
HEADER_SAMPLE_ROWS = 50
MAX_TITLE_ROWS = 3
_NUMBER = re.compile(r"^[-+]?(\d[\d,. ]*)?\d(e[-+]?\d+)?%?$", re.IGNORECASE)
_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


def cell_text(value: object) -> str:
    """A cell's value as the text a passage shows."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    text = " ".join(str(value).split())         # a cell's line breaks and tabs become spaces
    return text if text.isascii() and text.isprintable() else clean_line(text)


def is_number_or_date(text: str) -> bool:
    return bool(_NUMBER.match(text) or _DATE.match(text))


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def looks_like_header(first: Sequence[str], below: Sequence[Sequence[str]]) -> bool:
    """Does the first row name the columns of the rows below it?"""
    filled = [t for t in first if t]
    if len(filled) < 2 or len(filled) != len(first) or not below:
        return False
    if len(set(filled)) != len(filled):
        return False
    if any(len(t) > MAX_HEADER_CELL_CHARS or is_number_or_date(t) for t in filled):
        return False
    typed_below = any(i < len(row) and row[i] and is_number_or_date(row[i])
                      for row in below for i in range(len(first)))
    if typed_below:
        return True
    # all text: a header names its column once; data repeats its values or varies
    return not any(i < len(row) and row[i] == first[i] for row in below for i in range(len(first)))


@dataclass
class SheetBlocks:
    """Collects the blocks of a file's sheets; ``note`` is set when a limit stopped it."""

    blocks: list[Block] = field(default_factory=list)
    cells: int = 0
    visited: int = 0
    note: str | None = None

    @property
    def full(self) -> bool:
        return self.note is not None

    def add_sheet(self, name: str | None, rows: Iterable[Sequence[object]]) -> None:
        """Read one sheet's rows (each a sequence of raw cell values), until a limit."""
        if self.full:
            return
        heading = clean_line(name) if name else None
        sample: list[list[str]] = []
        it = iter(rows)
        for raw in it:
            row = self._row(raw)
            if row is None:
                break
            if any(row):
                sample.append(row)
                if len(sample) > HEADER_SAMPLE_ROWS:
                    break
        names: list[str] | None = None
        titles: list[str] = []
        # a title or two above the table (rows of one filled cell) when a header row follows
        lead = 0
        while lead < min(len(sample) - 2, MAX_TITLE_ROWS) and sum(1 for t in sample[lead] if t) == 1:
            lead += 1
        if sample and looks_like_header(_trimmed(sample[lead]), sample[lead + 1:]):
            titles = [next(t for t in row if t) for row in sample[:lead]]
            names = _trimmed(sample[lead])
            del sample[:lead + 1]
        group = _Group(heading, names)
        for title in titles:
            group.add_text(title, self.blocks)
        for row in sample:
            self._emit(group, row)
        if not self.full:
            for raw in it:
                row = self._row(raw)
                if row is None:
                    break
                if any(row):
                    self._emit(group, row)
        group.flush(self.blocks)

    def _row(self, raw: Sequence[object]) -> list[str] | None:
        """The row's texts, or None once a limit is reached (the note says which)."""
        self.visited += max(len(raw), 1)
        if self.visited > MAX_VISITED:
            self.note = f"only its first {MAX_VISITED:,} cells were looked at"
            return None
        texts = [cell_text(v) for v in raw]
        filled = sum(1 for t in texts if t)
        if self.cells + filled > MAX_CELLS:
            self.note = f"only its first {MAX_CELLS:,} filled cells were read"
            return None
        self.cells += filled
        return texts

    def _emit(self, group: _Group, row: list[str]) -> None:
        group.add(row, self.blocks)


class _Group:
    """Rows of one sheet waiting to become one block."""

    def __init__(self, heading: str | None, names: list[str] | None) -> None:
        self.heading = heading
        self.names = names
        self.lines: list[str] = []
        self.size = 0

    def line(self, row: list[str]) -> str:
        names = self.names or []
        parts = []
        for i, text in enumerate(row):
            if text:
                name = names[i] if i < len(names) and names[i] else column_letters(i)
                parts.append(f"{name}: {text}")
        return "; ".join(parts)

    def add(self, row: list[str], blocks: list[Block]) -> None:
        self.add_text(self.line(row), blocks)

    def add_text(self, line: str, blocks: list[Block]) -> None:
        if self.lines and self.size + len(line) + 1 > ROW_GROUP_CHARS:
            self.flush(blocks)
        self.lines.append(line)
        self.size += len(line) + 1

    def flush(self, blocks: list[Block]) -> None:
        if self.lines:
            blocks.append(Block(text="\n".join(self.lines), heading=self.heading, kind="table"))
        self.lines, self.size = [], 0


def _trimmed(row: list[str]) -> list[str]:
    """The row without its empty cells at the end."""
    end = len(row)
    while end and not row[end - 1]:
        end -= 1
    return row[:end]


def sheet_result(sheets: SheetBlocks, title: str, what: str = "sheets"):
    """The ExtractResult of a spreadsheet: a limit's note is added to its title, so the
    library and every result show that part of the file was left out."""
    from core.types import INDEXED, NO_TEXT, ExtractResult

    if sheets.note:
        title = f"{title} ({sheets.note})"
    if not sheets.blocks:
        return ExtractResult(status=NO_TEXT, title=title, error=f"the {what} have no text")
    return ExtractResult(status=INDEXED, blocks=sheets.blocks, title=title)
