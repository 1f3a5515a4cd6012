"""Extraction in process: text decoding, Markdown headings, PDF pages and paragraphs,
encryption, DOCX order/headings/headers, and XML external entities never resolved."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from core.extract import ExtractOptions, extract
from core.extract.lines import page_paragraphs

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _texts(result) -> list[str]:
    return [b.text for b in result.blocks]


def _assert_clean_blocks(result) -> None:
    for block in result.blocks:
        assert block.text.strip() == block.text and block.text
        assert not CONTROL.search(block.text), block.text
        assert "\n\n" not in block.text and "  " not in block.text


# -- text and Markdown ------------------------------------------------------------------
@pytest.mark.parametrize(
    "data, expected",
    [
        ("Grüße aus Köln.\n\nZweiter Absatz.".encode(), ["Grüße aus Köln.", "Zweiter Absatz."]),
        (b"\xef\xbb\xbf" + "Café au lait.".encode(), ["Café au lait."]),
        ("\ufeffSmörgåsbord\r\n\r\nnext".encode("utf-16-le"), ["Smörgåsbord", "next"]),
        ("\ufeffEmpire État".encode("utf-16-be"), ["Empire État"]),
        ("Price: 5€ – “quoted”".encode("cp1252"), ["Price: 5€ – “quoted”"]),
        (b"caf\xe9 \x81\x8d raw", ["café raw"]),  # not cp1252 either: latin-1, C1 controls dropped
        (b"nul\x00 bytes\x00 gone\x07 and   spaces\tcollapse", ["nul bytes gone and spaces collapse"]),
    ],
)
def test_text_files_decode_without_failing(tmp_path, data, expected):
    path = tmp_path / "note.txt"
    path.write_bytes(data)
    result = extract(path)
    assert result.status == "indexed"
    assert _texts(result) == expected
    _assert_clean_blocks(result)


def test_empty_text_file_is_no_text(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"  \n\n\t\n")
    result = extract(path)
    assert result.status == "no_text" and result.error


@pytest.mark.parametrize("name", ["empty.docx", "empty.pdf", "empty.pptx", "empty.epub", "empty.txt"])
def test_an_empty_file_says_so_in_plain_words(tmp_path, name):
    """Not "not a .docx python-docx can read (PackageNotFoundError ...)": one reason, for
    every format, made in one place."""
    path = tmp_path / name
    path.write_bytes(b"")
    result = extract(path)
    assert result.status == "no_text" and result.error == "the file is empty"


def test_markdown_headings_become_headings(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text(
        "---\ntitle: front matter\n---\n\n# Getting started ##\n\nInstall the tool.\nThen run it.\n\n"
        "Usage\n=====\n\nRun `tool --help`.\n\n```python\n# not a heading\nprint(1)\n```\n\n"
        "## Details\n\nLast words.\n",
        encoding="utf-8",
    )
    result = extract(path)
    assert result.status == "indexed"
    assert result.title == "Getting started"
    got = [(b.kind, b.text, b.heading) for b in result.blocks]
    assert got == [
        ("paragraph", "---\ntitle: front matter\n---", None),
        ("heading", "Getting started", "Getting started"),
        ("paragraph", "Install the tool.\nThen run it.", "Getting started"),
        ("heading", "Usage", "Usage"),
        ("paragraph", "Run `tool --help`.", "Usage"),
        ("paragraph", "```python\n# not a heading\nprint(1)\n```", "Usage"),
        ("heading", "Details", "Details"),
        ("paragraph", "Last words.", "Details"),
    ]


def test_unsupported_and_missing_files_are_errors(tmp_path):
    assert extract(tmp_path / "missing.txt").status == "error"
    odd = tmp_path / "program.exe"
    odd.write_bytes(b"PK\x03\x04")
    result = extract(odd)
    assert result.status == "error" and "unsupported" in result.error


# -- PDF ------------------------------------------------------------------------------
def test_pdf_lines_are_joined_into_paragraphs():
    raw = (
        "A Short Title\n"
        "This is the first line of a paragraph that goes on and wraps at the\n"
        "right margin, and it continues with an exam-\n"
        "ple of a hyphenated word split across two lines of the printed page\n"
        "text.\n"
        "Second paragraph starts here and is long enough to look like body text\n"
        "of the page; it ends here.\n"
        "• a bullet item\n"
        "• another bullet item\n"
    )
    paras = page_paragraphs(raw)
    assert paras[0] == "A Short Title"
    assert "an example of a hyphenated word" in paras[1]
    assert paras[1].endswith("lines of the printed page text.")
    assert paras[2].startswith("Second paragraph") and paras[2].endswith("it ends here.")
    assert paras[3:] == ["• a bullet item", "• another bullet item"]


def test_pdf_pages_title_and_clean_text(shared_data):
    result = extract(shared_data / "pdf_real/pdfjs/tracemonkey.pdf")
    assert result.status == "indexed" and result.pages == 14
    assert result.title.startswith("Trace-based Just-in-Time Type Specialization")
    assert {b.page for b in result.blocks} == set(range(1, 15))
    _assert_clean_blocks(result)
    text = " ".join(_texts(result))
    assert "difficult to compile" in text          # ligature and line-end hyphen repaired
    ack = [b for b in result.blocks if "Acknowledgments" in b.text]
    assert ack and ack[0].page == 13


def test_pdf_text_layer_read_by_pdfium_and_by_pypdf_when_pdfium_cannot_open_it(shared_data, monkeypatch):
    import pypdfium2

    from core.extract import pdf_text

    path = shared_data / "pdf_real/pdfjs/tracemonkey.pdf"
    fast = extract(path)
    slides = extract(next(shared_data.glob("pdf_real/**/nonfree__nlp2004slides.pdf")))
    # PDFium maps CID fonts that pypdf turned into mojibake: the Japanese title is text
    assert slides.status == "indexed" and "固有表現" in slides.title
    assert "固有表現の発見" in " ".join(_texts(slides))

    def refuse(*args, **kwargs):
        raise pypdfium2.PdfiumError("Failed to load document (PDFium: Data format error).")

    monkeypatch.setattr(pypdfium2, "PdfDocument", refuse)
    assert pdf_text._open_pdfium(path, None) is None
    slow = extract(path)
    assert slow.status == "indexed" and slow.pages == fast.pages == 14 and slow.title == fast.title
    for result in (fast, slow):
        text = " ".join(_texts(result))
        assert "difficult to compile" in text and "Acknowledgments" in text


def test_pdf_glyph_names_are_not_indexed_as_text(shared_data):
    from core.extract.pdf_reader import unreadable

    assert unreadable("/g40/g68/g85/g81/g3/g74/g85/g72/g68/g87/g72/g85")
    assert unreadable("Highlights /g115/g3 /g40/g81/g75/g68/g81/g70/g72/g3/g87/g75/g72")
    assert unreadable("(cid:12)(cid:40)(cid:3)(cid:77)")
    assert not unreadable("Notice Date 06/22/2015 06/30/2015 07/01/2015")
    assert not unreadable("ibm.com/redbooks Redpaper Front cover, see /usr/lib/x86_64")
    # A real PDF whose fonts lack a Unicode map on most pages: only readable text is kept.
    # (OCR off: this test is about the text layer; tests/core/extract/test_ocr.py reads scans.)
    result = extract(shared_data / "pdf_real/pdfjs/TAMReview.pdf", ExtractOptions(ocr=False))
    assert result.status == "indexed" and result.blocks
    assert not any(unreadable(b.text) for b in result.blocks)
    assert not any("/g1" in b.text and b.text.count("/g") > 20 for b in result.blocks)
    assert "Technology Acceptance Model" in " ".join(_texts(result))


def test_pdf_statuses(shared_data):
    edge = shared_data / "pdf_edgecases"
    enc = extract(edge / "encrypted/pdfminer__rc4-128.pdf")
    assert enc.status == "encrypted" and "password" in enc.error
    aes = extract(edge / "encrypted/pdfminer__aes-256-r6.pdf")
    assert aes.status == "encrypted"
    opened = extract(edge / "encrypted_empty_user_password/pdfjs__issue17215.pdf")
    assert opened.status == "indexed" and _texts(opened) == ["Dummy PDF file"]
    scanned = extract(edge / "scanned_image_only/docling__ocr_test.pdf", ExtractOptions(ocr=False))
    assert scanned.status == "no_text" and "OCR" in scanned.error
    empty = extract(edge / "empty_or_blank/pdfplumber__empty.pdf")
    assert empty.status == "no_text" and empty.error == "the file is empty"
    broken = extract(edge / "malformed/pdfminer__simple1.pdf")
    assert broken.status == "error" and "PdfReadError" in broken.error


# -- DOCX ------------------------------------------------------------------------------
def _make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "ACME Confidential"
    document.sections[0].footer.paragraphs[0].text = "Printed copy"
    document.add_heading("Quarterly report", level=0)
    document.add_paragraph("Opening   words\tof the report.")
    document.add_heading("Numbers", level=1)
    table = document.add_table(rows=2, cols=3)
    for r, row in enumerate([("Region", "Q1", "Q2"), ("North", "10", "12")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("After the table.")
    section = document.add_section()
    section.header.is_linked_to_previous = False
    section.header.paragraphs[0].text = "ACME Confidential"   # same text: kept once
    document.add_paragraph("PLACEHOLDER in the second section.")
    document.save(path)
    return path


def test_docx_order_headings_tables_headers_once(tmp_path):
    result = extract(_make_docx(tmp_path / "report.docx"))
    assert result.status == "indexed"
    got = [(b.kind, b.text, b.heading) for b in result.blocks]
    assert got == [
        ("header", "ACME Confidential", None),
        ("heading", "Quarterly report", "Quarterly report"),
        ("paragraph", "Opening words of the report.", "Quarterly report"),
        ("heading", "Numbers", "Numbers"),
        ("table", "Region | Q1 | Q2\nNorth | 10 | 12", "Numbers"),
        ("paragraph", "After the table.", "Numbers"),
        ("paragraph", "PLACEHOLDER in the second section.", "Numbers"),
        ("footer", "Printed copy", None),
    ]
    assert result.title == "Quarterly report"


def test_docx_external_entity_is_never_resolved(tmp_path):
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("TOPSECRET-4711", encoding="utf-8")
    plain = _make_docx(tmp_path / "plain.docx")
    hostile = tmp_path / "hostile.docx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(hostile, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                xml = data.decode("utf-8")
                decl_end = xml.index("?>") + 2
                doctype = f'\n<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>'
                xml = xml[:decl_end] + doctype + xml[decl_end:]
                xml = xml.replace("PLACEHOLDER", "Leak: &xxe; end")
                data = xml.encode("utf-8")
            dst.writestr(item, data)
    result = extract(hostile)
    text = "\n".join(_texts(result))
    assert "TOPSECRET" not in text
    assert result.status == "indexed" and "Opening words of the report." in text
    assert "Leak:" in text


def test_real_docx_with_external_entity(shared_data):
    result = extract(shared_data / "docx/valid/poi/ExternalEntityInText.docx")
    assert result.status == "indexed"
    assert "Here should not be the POI web site" in " ".join(_texts(result))
    assert "Apache" not in " ".join(_texts(result))


def test_docx_python_docx_cannot_open_is_error(shared_data, tmp_path):
    strict = extract(shared_data / "docx/malformed/docling__Strict.docx")
    assert strict.status == "error" and "python-docx" in strict.error
    notzip = tmp_path / "fake.docx"
    notzip.write_bytes(b"this is not a zip")
    result = extract(notzip)
    assert result.status == "error" and result.error
