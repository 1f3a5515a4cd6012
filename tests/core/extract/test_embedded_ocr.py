"""Pictures inside .docx, .pptx, .odt and .epub files are read by OCR like scans, their
passages marked OCR; icons are passed over; OCR turned off reads none."""

from __future__ import annotations

import io
import zipfile

import pytest

from core.extract import ExtractOptions, extract
from tests.formats import epub_bytes, make_pptx

PICTURE_LINES = ("Harbour tide tables for March", "Pilots board at the north quay")


def _picture_png() -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1200, 300), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=48)
    for n, line in enumerate(PICTURE_LINES):
        draw.text((40, 60 + 90 * n), line, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _icon_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 32), "black").save(out, "PNG")
    return out.getvalue()


def _ocr_text(result) -> str:
    return " ".join(b.text for b in result.blocks if b.ocr)


def _read_both_lines(text: str) -> bool:
    words = text.lower().split()
    return all(w in words for w in ("harbour", "tide", "pilots", "quay"))


@pytest.fixture(scope="module")
def picture() -> bytes:
    return _picture_png()


def _docx(path, picture: bytes):
    import docx
    from docx.shared import Inches

    document = docx.Document()
    document.add_heading("Port notes", level=1)
    document.add_paragraph("The harbour master keeps the tide tables.")
    document.add_picture(io.BytesIO(_icon_png()), width=Inches(0.3))
    document.add_picture(io.BytesIO(picture), width=Inches(5))
    document.save(path)
    return path


def test_docx_picture_text_is_read_by_ocr_and_marked(tmp_path, picture):
    result = extract(_docx(tmp_path / "port.docx", picture))
    assert result.status == "indexed"
    assert [b.text for b in result.blocks if not b.ocr] == ["Port notes", "The harbour master keeps the tide tables."]
    ocr = [b for b in result.blocks if b.ocr]
    assert ocr and all(b.heading == "Picture 1" for b in ocr)      # the icon was passed over
    assert _read_both_lines(_ocr_text(result))
    off = extract(tmp_path / "port.docx", ExtractOptions(ocr=False))
    assert not any(b.ocr for b in off.blocks) and len(off.blocks) == 2


def test_pptx_picture_text_joins_its_slide(tmp_path, picture):
    from pptx import Presentation
    from pptx.util import Inches

    path = make_pptx(tmp_path / "deck.pptx", "Lighthouse keepers trim the lamp wicks")
    deck = Presentation(str(path))
    deck.slides[1].shapes.add_picture(io.BytesIO(picture), Inches(1), Inches(1), width=Inches(6))
    deck.save(path)
    result = extract(path)
    ocr = [b for b in result.blocks if b.ocr]
    assert ocr and {(b.page, b.heading) for b in ocr} == {(2, "Keeping the light")}
    assert _read_both_lines(_ocr_text(result))
    assert [b.page for b in result.blocks] == sorted(b.page for b in result.blocks)


def test_odt_and_epub_pictures_are_read(tmp_path, picture):
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
          'xmlns:xlink="http://www.w3.org/1999/xlink"')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body><office:text>'
               "<text:p>Port notes in writing.</text:p><text:p><draw:frame><draw:image "
               'xlink:href="Pictures/tide.png"/></draw:frame></text:p></office:text></office:body>'
               "</office:document-content>")
    odt = tmp_path / "port.odt"
    with zipfile.ZipFile(odt, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", content)
        z.writestr("Pictures/tide.png", picture)
        z.writestr("Pictures/unused.png", picture)          # not shown by the text: not read
    result = extract(odt)
    assert _read_both_lines(_ocr_text(result))
    assert len({b.heading for b in result.blocks if b.ocr}) == 1
    epub = tmp_path / "book.epub"
    epub.write_bytes(epub_bytes("The orchard apples ripen slowly"))
    with zipfile.ZipFile(epub, "a") as z:
        z.writestr("OEBPS/images/plate.png", picture)
    assert _read_both_lines(_ocr_text(extract(epub)))


def test_passages_of_pictures_are_marked_ocr_in_the_library(tmp_path, tiny_model_dir, picture):
    from core.library import Library

    folder = tmp_path / "docs"
    folder.mkdir()
    _docx(folder / "port.docx", picture)
    with Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir) as lib:
        lib.add_folder(folder)
        lib.indexer.index()
        rows = lib.store.query("SELECT text, ocr FROM chunks ORDER BY ord")
    assert [ocr for text, ocr in rows if "harbour master" in text] == [0]
    assert [ocr for text, ocr in rows if "quay" in text.lower()] == [1]
