"""OCR of a multi-page TIFF (each frame a page) and of a JPEG (issue 32): the text of each
page is found on that page, the passages are marked as read by OCR."""

from __future__ import annotations

import pytest

from core.extract import extract

SCANNED = "pdf_edgecases/scanned_image_only"
PAGE_A = ("docling__ocr_test.pdf", "self contained package")
PAGE_B = ("docling__sample_with_rotation_mismatch.pdf", "demodulation")


def _page_image(pdf_path):
    import pypdfium2 as pdfium
    from PIL import Image

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        bitmap = pdf[0].render(scale=1.5)
        return Image.fromarray(bitmap.to_numpy()[:, :, ::-1]).convert("RGB")
    finally:
        pdf.close()


@pytest.fixture(scope="module")
def pages(shared_data):
    return [_page_image(shared_data / SCANNED / name) for name, _ in (PAGE_A, PAGE_B)]


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def test_each_frame_of_a_multi_page_tiff_is_a_page_of_its_own(pages, tmp_path):
    tiff = tmp_path / "two_pages.tiff"
    pages[0].save(tiff, save_all=True, append_images=[pages[1]], compression="tiff_lzw")
    result = extract(tiff)
    assert result.status == "indexed", result.error
    assert result.pages == 2
    assert all(b.ocr for b in result.blocks)
    by_page = {p: _normal(" ".join(b.text for b in result.blocks if b.page == p)) for p in (1, 2)}
    assert PAGE_A[1] in by_page[1] and PAGE_A[1] not in by_page[2]
    assert PAGE_B[1] in by_page[2] and PAGE_B[1] not in by_page[1]


def test_a_jpeg_is_read_by_ocr(pages, tmp_path):
    jpeg = tmp_path / "page.jpg"
    pages[0].save(jpeg, quality=90)
    result = extract(jpeg)
    assert result.status == "indexed", result.error
    assert result.pages == 1 and all(b.ocr and b.page == 1 for b in result.blocks)
    assert PAGE_A[1] in _normal(" ".join(b.text for b in result.blocks))
