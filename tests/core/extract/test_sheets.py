"""Spreadsheets (.xlsx .xls .ods .csv .tsv): the sheet name as the heading, rows with
their column names, a few rows per passage, formulas as stored values, other encodings,
and sheets far too large to read whole (bounded, with a note in the title)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.extract import extract
from core.extract.isolated import IsolatedExtractor
from core.extract.sheet_rows import MAX_CELLS, ROW_GROUP_CHARS
from tests.sheet_files import Formula, make_ods, make_xlsx, number_rows, ods_row, write_csv

CAPITALS = [["Country", "Capital", "Population"], ["Germany", "Berlin", 83200000],
            ["France", "Paris", 68000000], ["Italy", "Rome", 58900000]]


def _texts(result):
    return [(b.heading, b.text) for b in result.blocks]


def test_xlsx_from_openpyxl_rows_carry_their_column_names(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Capitals"
    for row in CAPITALS:
        sheet.append(row)
    sheet.append(["Spain", "Madrid", dt.datetime(2024, 5, 1)])
    plain = book.create_sheet("Plain")
    plain.append(["Berlin", 1])
    plain.append(["Paris", 2])
    book.save(tmp_path / "capitals.xlsx")
    result = extract(tmp_path / "capitals.xlsx")
    assert result.status == "indexed"
    assert _texts(result) == [
        ("Capitals", "Country: Germany; Capital: Berlin; Population: 83200000\n"
                     "Country: France; Capital: Paris; Population: 68000000\n"
                     "Country: Italy; Capital: Rome; Population: 58900000\n"
                     "Country: Spain; Capital: Madrid; Population: 2024-05-01"),
        # no header row (a number in the first row): columns named by their letters
        ("Plain", "A: Berlin; B: 1\nA: Paris; B: 2"),
    ]


def test_xlsx_formulas_read_as_their_stored_values(tmp_path):
    path = make_xlsx(tmp_path / "sums.xlsx", {"Sums": [
        ["Item", "Price", "Count", "Total"],
        ["Tea", 3.5, 2, Formula("B2*C2", 7)],
        ["Coffee", 4, 3, Formula("B3*C3", 12)],
        ["Label", "x", "y", Formula('CONCATENATE("zq","total")', "zqtotal")]]})
    text = "\n".join(b.text for b in extract(path).blocks)
    assert "Item: Tea; Price: 3.5; Count: 2; Total: 7" in text
    assert "Total: 12" in text and "Total: zqtotal" in text
    assert "B2*C2" not in text and "CONCATENATE" not in text


def test_header_detection_all_text_columns(tmp_path):
    # a header over text data: its names never recur in their columns
    named = write_csv(tmp_path / "named.csv", [["Name", "City"], ["Ada", "London"], ["Alan", "Wilmslow"]])
    assert _texts(extract(named)) == [(None, "Name: Ada; City: London\nName: Alan; City: Wilmslow")]
    # a first row whose value repeats below is data, not names
    data = write_csv(tmp_path / "data.csv", [["red", "apple"], ["red", "cherry"], ["green", "pear"]])
    assert _texts(extract(data)) == [(None, "A: red; B: apple\nA: red; B: cherry\nA: green; B: pear")]
    # a title row above the header is kept as a line, the header still names the columns
    titled = write_csv(tmp_path / "titled.csv", [["Port calls 2024", ""], ["Ship", "Tonnes"], ["Aurora", "1200"]])
    assert _texts(extract(titled)) == [(None, "Port calls 2024\nShip: Aurora; Tonnes: 1200")]
    # duplicated names, or a blank among them: not a header
    dup = write_csv(tmp_path / "dup.csv", [["x", "x"], ["1", "2"]])
    assert extract(dup).blocks[0].text.startswith("A: x; B: x")


def test_short_rows_share_a_passage_up_to_the_budget(tmp_path):
    rows = [["Code", "Note"]] + [[f"R{i:03d}", f"item number {i} of the stock list"] for i in range(200)]
    result = extract(write_csv(tmp_path / "stock.csv", rows))
    assert 5 < len(result.blocks) < 100
    assert all(len(b.text) <= ROW_GROUP_CHARS for b in result.blocks)
    lines = [line for b in result.blocks for line in b.text.split("\n")]
    assert lines == [f"Code: R{i:03d}; Note: item number {i} of the stock list" for i in range(200)]


def test_csv_in_latin1_with_semicolons_and_tsv(tmp_path):
    rows = [["Stadt", "Land", "Einwohner"], ["München", "Deutschland", "1488202"], ["Zürich", "Schweiz", "421878"]]
    latin = write_csv(tmp_path / "staedte.csv", rows, encoding="latin-1", delimiter=";")
    assert b"M\xfcnchen" in latin.read_bytes()
    assert _texts(extract(latin)) == [(None, "Stadt: München; Land: Deutschland; Einwohner: 1488202\n"
                                             "Stadt: Zürich; Land: Schweiz; Einwohner: 421878")]
    tsv = write_csv(tmp_path / "staedte.tsv", rows, encoding="utf-8-sig", delimiter="\t")
    assert extract(tsv).blocks[0].text.startswith("Stadt: München; Land: Deutschland")


def test_ods_sheets_values_and_padding_repeats(tmp_path):
    padding = ('<table:table-row table:number-rows-repeated="1048000">'
               '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>')
    path = make_ods(tmp_path / "cities.ods", {
        "Städte": [ods_row("City", "Country", "Rank"), ods_row("Köln", "Germany", 4), padding,
                   ods_row("Lyon", None, 3)],
        "Leer": [padding],
        "Many": [ods_row("same", "row", repeat=2_000_000_000)]})
    result = extract(path)
    assert result.status == "indexed"
    assert _texts(result)[0] == ("Städte", "City: Köln; Country: Germany; Rank: 4\nCity: Lyon; Rank: 3")
    many = [b for b in result.blocks if b.heading == "Many"]
    assert 0 < sum(b.text.count("\n") + 1 for b in many) <= 1000     # a repeat is expanded, boundedly


def test_xls_with_xlrd(tmp_path):
    xlwt = pytest.importorskip("xlwt", reason="xlwt (a dev dependency) writes the .xls sample")
    book = xlwt.Workbook()
    sheet = book.add_sheet("Prices")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate([["Item", "Price", "Since"], ["Tea", 3.5, dt.date(2020, 1, 2)], ["Coffee", 4, None]]):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value is not None:
                sheet.write(r, c, value)
    book.save(str(tmp_path / "prices.xls"))
    assert _texts(extract(tmp_path / "prices.xls")) == [
        ("Prices", "Item: Tea; Price: 3.5; Since: 2020-01-02\nItem: Coffee; Price: 4")]


def test_broken_sheets_end_with_a_reason(tmp_path):
    (tmp_path / "fake.xlsx").write_bytes(b"not a zip at all")
    (tmp_path / "fake.xls").write_bytes(b"not an OLE file either")
    (tmp_path / "fake.ods").write_bytes(b"PK\x03\x04 broken")
    for name in ("fake.xlsx", "fake.xls", "fake.ods"):
        result = extract(tmp_path / name)
        assert result.status == "error" and result.error, name
    empty = write_csv(tmp_path / "empty.csv", [])
    assert extract(empty).status == "no_text"


def test_a_million_cells_are_read_boundedly_in_the_worker(tmp_path):
    """100,000 rows x 10 columns: the first MAX_CELLS cells are read within the worker's
    usual limits and the title says the rest was left out."""
    path = make_xlsx(tmp_path / "million.xlsx", {"Big": number_rows(100_000, 10)}, dimension="A1:J100000")
    with IsolatedExtractor(timeout_s=60, memory_mb=4096) as ex:
        result = ex.extract(path)
    assert result.status == "indexed", result.error
    assert f"only its first {MAX_CELLS:,} filled cells were read" in (result.title or "")
    lines = sum(b.text.count("\n") + 1 for b in result.blocks)
    assert lines == MAX_CELLS // 10
    assert result.blocks[-1].text.split("\n")[-1].startswith(f"A: {MAX_CELLS - 10}; B: {MAX_CELLS - 9}")


def test_hostile_workbooks_are_refused_with_a_reason(tmp_path):
    import zipfile

    from tests.formats import LAUGHS

    good = make_xlsx(tmp_path / "good.xlsx", {"S": [["a", "b"]]})
    laughs = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(laughs, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", LAUGHS.encode() + b"<worksheet", 1)
            dst.writestr(info, data)
    result = extract(laughs)
    assert result.status == "error" and "declares XML entities" in result.error
    ods = make_ods(tmp_path / "laughs.ods", {"S": [ods_row("&lol9;")]})
    with zipfile.ZipFile(ods) as src:
        content = src.read("content.xml").replace(b"?>", b"?>" + LAUGHS.encode(), 1)
    with zipfile.ZipFile(tmp_path / "laughs2.ods", "w") as dst:
        dst.writestr("content.xml", content)
    result = extract(tmp_path / "laughs2.ods")
    assert result.status == "error" and "entities" in result.error
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (80 * 1024 * 1024) + b">")
    result = extract(bomb)
    assert result.status == "error" and "zip bomb refused" in result.error
