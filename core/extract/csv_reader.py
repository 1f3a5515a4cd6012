"""Comma- and tab-separated tables (.csv, .tsv) with the standard library's csv.

- The encoding: a byte-order mark if there is one; otherwise UTF-8 when the first
  SNIFF_BYTES decode as UTF-8, else Windows-1252 (which also reads Latin-1 text).
- The dialect (separator, quoting) is sniffed from the first SNIFF_BYTES (csv.Sniffer,
  among , ; tab and |); a .tsv is tab-separated when sniffing finds nothing.
- The file is streamed row by row into core.extract.sheet_rows (column names from a
  header row, a few rows per passage, bounded); a field longer than MAX_FIELD_CHARS
  makes the file an "error" rather than a memory hog.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

from core.extract.sheet_rows import SheetBlocks, sheet_result
from core.types import ERROR, ExtractResult

SNIFF_BYTES = 64 * 1024
MAX_FIELD_CHARS = 1_000_000
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def sniff_encoding(head: bytes) -> str:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:       # not merely a character cut at the sample's end
            return "cp1252"
    return "utf-8"


def sniff_dialect(sample: str, ext: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel_tab if ext == ".tsv" else csv.excel


def extract_csv(path: Path) -> ExtractResult:
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    encoding = sniff_encoding(head)
    csv.field_size_limit(MAX_FIELD_CHARS)
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        sample = fh.read(SNIFF_BYTES).replace("\x00", "")
        fh.seek(0)
        dialect = sniff_dialect(_whole_lines(sample), path.suffix.lower())
        sheets = SheetBlocks()
        try:
            sheets.add_sheet(None, csv.reader((line.replace("\x00", "") for line in fh), dialect))
        except csv.Error as exc:
            return ExtractResult(status=ERROR, error=f"not a table the csv module can read ({exc})")
    return sheet_result(sheets, path.stem, what="rows")


def _whole_lines(sample: str) -> str:
    """The sample without its last, possibly cut, line (it would confuse the sniffer)."""
    cut = sample.rfind("\n")
    return sample[:cut] if cut > 0 else sample
