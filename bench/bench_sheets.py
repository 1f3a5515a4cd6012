"""make bench-index (its sheets row): spreadsheets and old Word files, read by Likewise's
readers against the bare library reading the same cells, same files, same run.

Files are generated here: per format FILES workbooks of ROWS rows x 6 columns (a header
row, text, numbers, dates), and FILES Word 97 .doc files of 200 paragraphs (read with
antiword when it is installed). Likewise's side is core.extract.extract (the reader the
worker runs: header detection, "Column: value" rows, rows grouped into passages); the
peer reads every cell with the same library and nothing more (openpyxl read-only, xlrd,
lxml iterparse, csv.reader; antiword's raw output). Printed per format: files/s and
passages/s for Likewise, the peer's files/s, and the ratio of the two times.

Usage: python bench/bench_sheets.py [--files N] [--rows N]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.extract import extract  # noqa: E402
from tests.sheet_files import make_ods, make_xlsx, ods_row, write_csv  # noqa: E402
from tests.word97 import make_doc  # noqa: E402

WORDS = "harbour pilot tide quay berth cargo crane ferry lock buoy".split()


def _rows(n: int) -> list[list[object]]:
    rows: list[list[object]] = [["Ship", "Port", "Cargo", "Tonnes", "Arrived", "Note"]]
    for i in range(n):
        w = WORDS[i % len(WORDS)]
        rows.append([f"MV {w.title()} {i}", f"Port {i % 37}", w, 1000 + i * 7,
                     (dt.date(2024, 1, 1) + dt.timedelta(days=i % 365)).isoformat(),
                     f"the {w} was checked by the {WORDS[(i * 3) % len(WORDS)]} crew"])
    return rows


def make_files(folder: Path, files: int, rows: int) -> dict[str, list[Path]]:
    data = _rows(rows)
    out: dict[str, list[Path]] = {}
    for n in range(files):
        out.setdefault(".xlsx", []).append(make_xlsx(folder / f"s{n}.xlsx", {"Arrivals": data},
                                                     dimension=f"A1:F{len(data)}"))
        out.setdefault(".ods", []).append(make_ods(folder / f"s{n}.ods", {"Arrivals": [ods_row(*r) for r in data]}))
        out.setdefault(".csv", []).append(write_csv(folder / f"s{n}.csv", data))
        out.setdefault(".tsv", []).append(write_csv(folder / f"s{n}.tsv", data, delimiter="\t"))
        out.setdefault(".doc", []).append(make_doc(folder / f"d{n}.doc", [
            f"Paragraph {i}: the {WORDS[i % 10]} report on the {WORDS[(i * 7) % 10]} and its upkeep."
            for i in range(200)]))
    try:
        import xlwt
    except ImportError:
        return out
    for n in range(files):
        book = xlwt.Workbook()
        sheet = book.add_sheet("Arrivals")
        for r, row in enumerate(data[:65535]):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
        book.save(str(folder / f"s{n}.xls"))
        out.setdefault(".xls", []).append(folder / f"s{n}.xls")
    return out


def peer_read(path: Path) -> int:
    """Every cell (or the text) read by the bare library; returns the cells read."""
    ext = path.suffix
    if ext == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        n = sum(len(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
        book.close()
        return n
    if ext == ".xls":
        import xlrd

        book = xlrd.open_workbook(str(path))
        return sum(len(book.sheet_by_index(i).row_values(r)) for i in range(book.nsheets)
                   for r in range(book.sheet_by_index(i).nrows))
    if ext == ".ods":
        import zipfile

        from lxml import etree

        with zipfile.ZipFile(path) as z, z.open("content.xml") as fh:
            n = 0
            for _, el in etree.iterparse(fh, tag="{urn:oasis:names:tc:opendocument:xmlns:table:1.0}table-cell"):
                n += 1
                el.clear()
            return n
    if ext in (".csv", ".tsv"):
        with open(path, newline="", encoding="utf-8") as fh:
            return sum(len(r) for r in csv.reader(fh, delimiter="\t" if ext == ".tsv" else ","))
    done = subprocess.run(["antiword", "-w", "0", str(path)], capture_output=True, check=True)
    return len(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = make_files(Path(tmp), args.files, args.rows)
        print(f"bench-sheets: {args.files} files per format, {args.rows} rows x 6 columns per sheet "
              "(.doc: 200 paragraphs), extraction in this process, CPU")
        print(f"{'format':<7}{'files':>6}{'passages':>10}{'files/s':>10}{'passages/s':>12}"
              f"{'peer files/s':>14}{'ratio':>8}  status")
        for ext, paths in files.items():
            if ext == ".doc" and shutil.which("antiword") is None:
                status = extract(paths[0]).error
                print(f"{ext:<7}{len(paths):>6}{'-':>10}{'-':>10}{'-':>12}{'-':>14}{'-':>8}  {status}")
                continue
            extract(paths[0])           # imports and first-call costs are not timed, on either side
            peer_read(paths[0])
            results, ours, peer = [], 0.0, 0.0
            for p in paths:             # file by file, each side in turn: a busy machine slows both alike
                t0 = time.perf_counter()
                results.append(extract(p))
                t1 = time.perf_counter()
                peer_read(p)
                ours, peer = ours + t1 - t0, peer + time.perf_counter() - t1
            passages = sum(len(r.blocks) for r in results)
            statuses = ", ".join(sorted({r.status for r in results}))
            print(f"{ext:<7}{len(paths):>6}{passages:>10}{len(paths) / ours:>10.2f}{passages / ours:>12.0f}"
                  f"{len(paths) / peer:>14.2f}{ours / peer:>8.2f}  {statuses}")


if __name__ == "__main__":
    main()
