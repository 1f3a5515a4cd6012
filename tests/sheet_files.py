"""Spreadsheets made on the spot for tests and benches: .xlsx parts written directly
(fast enough for a million cells, and able to hold a formula with the value Excel
stored for it), .ods written with zipfile, .csv with the csv module."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
       'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
       'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
       'spreadsheetml.sheet.main+xml"/>{sheets}</Types>')
_CT_SHEET = ('<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.spreadsheetml.worksheet+xml"/>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
         'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
         'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class Formula:
    """A formula cell with the value Excel stored for it."""

    def __init__(self, formula: str, stored: float | str) -> None:
        self.formula, self.stored = formula, stored


def _cell(value: object) -> str:
    if isinstance(value, Formula):
        if isinstance(value.stored, str):
            return f'<c t="str"><f>{escape(value.formula)}</f><v>{escape(value.stored)}</v></c>'
        return f"<c><f>{escape(value.formula)}</f><v>{value.stored}</v></c>"
    if isinstance(value, (int, float)):
        return f"<c><v>{value}</v></c>"
    if value is None or value == "":
        return "<c/>"
    return f'<c t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def make_xlsx(path: Path, sheets: dict[str, list[list[object]]] | dict[str, object],
                    dimension: str | None = None) -> Path:
    """Write an .xlsx with these sheets (name -> rows, or name -> an iterable of row
    XML strings from number_rows), each declaring ``dimension`` ("A1:J100000") as Excel does."""
    names = list(sheets)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT.format(sheets="".join(_CT_SHEET.format(n=i + 1)
                                                                     for i in range(len(names)))))
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_NS_MAIN}" '
                   f'xmlns:r="{_NS_R}"><sheets>' + "".join(
                       f'<sheet name="{escape(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names))
                   + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns='
                   '"http://schemas.openxmlformats.org/package/2006/relationships">' + "".join(
                       f'<Relationship Id="rId{i + 1}" Type="{_NS_R}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                       for i in range(len(names))) + "</Relationships>")
        for i, name in enumerate(names):
            rows = sheets[name]
            with z.open(f"xl/worksheets/sheet{i + 1}.xml", "w") as fh:
                dim = f'<dimension ref="{dimension}"/>' if dimension else ""
                fh.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_NS_MAIN}">{dim}<sheetData>'
                         .encode())
                for row in rows:  # type: ignore[union-attr]
                    fh.write(("<row>" + "".join(_cell(v) for v in row) + "</row>").encode()
                             if isinstance(row, list) else row.encode())
                fh.write(b"</sheetData></worksheet>")
    return path


def number_rows(rows: int, columns: int):
    """Row XML of a sheet of numbers (rows x columns cells), made lazily."""
    cells_of = "".join("<c><v>{}</v></c>" for _ in range(columns))
    for r in range(rows):
        yield "<row>" + cells_of.format(*range(r * columns, (r + 1) * columns)) + "</row>"


def make_ods(path: Path, sheets: dict[str, list[str]]) -> Path:
    """Write an .ods whose sheets hold these table:table-row XML strings."""
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    body = "".join(f'<table:table table:name="{escape(name)}">{"".join(rows)}</table:table>'
                   for name, rows in sheets.items())
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="{office}" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body>"
               "</office:document-content>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                   'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
        z.writestr("content.xml", content)
    return path


def ods_row(*cells: object, repeat: int = 1) -> str:
    """A table:table-row of text and number cells (None: an empty cell)."""
    out = []
    for value in cells:
        if value is None:
            out.append("<table:table-cell/>")
        elif isinstance(value, (int, float)):
            out.append(f'<table:table-cell office:value-type="float" office:value="{value}">'
                       f"<text:p>{value}</text:p></table:table-cell>")
        else:
            out.append(f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p>'
                       "</table:table-cell>")
    rep = f' table:number-rows-repeated="{repeat}"' if repeat != 1 else ""
    return f"<table:table-row{rep}>{''.join(out)}</table:table-row>"


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


SAMPLE_CODE = "zqsheetcode"


def write_samples(folder: str | Path) -> list[str]:
    """One small spreadsheet of each kind (standard library only, so the packaging test
    can make them with any Python; .xls only where xlwt is installed), each holding
    SAMPLE_CODE. Returns the file names."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def rows(kind: str) -> list[list[object]]:     # a passage of its own in each file
        return [["Harbour", "Berths", "Note"], ["Kiel", 12, f"{SAMPLE_CODE} pilots board at dawn ({kind})"],
                ["Rostock", 9, "tugs wait by the north quay"]]

    make_xlsx(folder / "harbours.xlsx", {"Harbours": rows("xlsx")}, dimension="A1:C3")
    make_ods(folder / "harbours.ods", {"Harbours": [ods_row(*row) for row in rows("ods")]})
    write_csv(folder / "harbours.csv", rows("csv"))
    write_csv(folder / "harbours.tsv", rows("tsv"), delimiter="\t")
    try:
        import xlwt
    except ImportError:
        return sorted(p.name for p in folder.iterdir())
    book = xlwt.Workbook()
    sheet = book.add_sheet("Harbours")
    for r, row in enumerate(rows("xls")):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(folder / "harbours.xls"))
    return sorted(p.name for p in folder.iterdir())
