"""OCR of scanned PDF pages and images, through the library and the isolated worker.

One library indexes six of the ten files of pdf_edgecases/scanned_image_only (the docling
OCR page upright and turned 90/180/270 degrees, a 1972 fax letter whose page rotation
does not match its content, a JBIG2 scan) and a PNG made from a rendered page; the other
four are slow multi-page scans (see bench/bench_ocr.py for all ten).
"""

from __future__ import annotations

import shutil

import pytest

from core.search.filters import SearchFilters
from tests.ocr_quality import cer, reference

SCANNED = "pdf_edgecases/scanned_image_only"
ROTATIONS = ["docling__ocr_test.pdf", "docling__ocr_test_rotated_90.pdf",
             "docling__ocr_test_rotated_180.pdf", "docling__ocr_test_rotated_270.pdf"]
# file -> (a phrase on it, the page it is on)
PHRASES = {name: ("self contained package", 1) for name in ROTATIONS}
PHRASES["docling__sample_with_rotation_mismatch.pdf"] = ("demodulation reconstructs the video signal", 1)
PHRASES["pdfminer__pdf-with-jbig2.pdf"] = ("Doesn't Work", 1)
PHRASES["page.png"] = ("Markdown in an easy self contained", 1)


@pytest.fixture(scope="module")
def scanned_library(tmp_path_factory, shared_data, tiny_model_dir):
    from core.library import Library

    base = tmp_path_factory.mktemp("scans")
    folder = base / "scans"
    folder.mkdir()
    for name in PHRASES:
        if name.endswith(".pdf"):
            shutil.copy(shared_data / SCANNED / name, folder / name)
    _render_png(shared_data / SCANNED / "docling__ocr_test.pdf", folder / "page.png")
    lib = Library(path=base / "lib.sqlite", model_path=tiny_model_dir)
    lib.add_folder(folder)
    lines: list[str] = []
    report = lib.indexer.index(progress=lambda p: lines.append(p.message) if p.message else None)
    yield lib, report, lines
    lib.close()


def _render_png(pdf_path, target) -> None:
    import pypdfium2 as pdfium
    from PIL import Image

    pdf = pdfium.PdfDocument(str(pdf_path))
    bitmap = pdf[0].render(scale=1.5)
    Image.fromarray(bitmap.to_numpy()[:, :, ::-1]).save(target)
    pdf.close()


def _documents(lib) -> dict[str, object]:
    import os

    return {os.path.basename(d.path): d for d in lib.catalog.documents()}


def test_scanned_pages_and_images_are_indexed(scanned_library):
    lib, report, _ = scanned_library
    assert report.failed == 0, report.failures
    docs = _documents(lib)
    for name in PHRASES:
        assert docs[name].status == "indexed", (name, docs[name].error)


@pytest.mark.parametrize("name", sorted(PHRASES))
def test_a_known_phrase_is_found_by_keyword_on_its_page(scanned_library, name):
    lib, _, _ = scanned_library
    phrase, page = PHRASES[name]
    results = lib.searcher.search(phrase, mode="keyword", k=20)
    hits = [r for r in results if r.path.endswith(name)]
    if hits:
        assert hits[0].page_start == page and hits[0].ocr
        return
    # The rotations read the same words: an exact repeat of a passage listed first is
    # named in that result's also_in ("also in 3 other files"), at its own page.
    repeats = [r for r in results if any(p.endswith(name) for p in r.also_in)]
    assert repeats and repeats[0].ocr, f"{phrase!r} not found in {name}"
    doc = next(d for d in lib.catalog.documents() if d.path.endswith(name))
    pages = [c.page_start for c in lib.catalog.chunks_of(doc.id) if phrase.lower() in c.text.lower()]
    assert pages and pages[0] == page


def test_passages_read_by_ocr_are_marked_and_filterable(scanned_library):
    lib, _, _ = scanned_library
    assert lib.searcher.search("Markdown", mode="keyword", k=20, filters=SearchFilters(ocr=True))
    assert lib.searcher.search("Markdown", mode="keyword", k=20, filters=SearchFilters(ocr=False)) == []


def test_progress_says_which_scanned_page_is_read(scanned_library):
    _, _, lines = scanned_library
    assert "reading scanned page 1/1" in lines


def test_rotated_pages_are_read_in_reading_order(scanned_library):
    lib, _, _ = scanned_library
    docs = _documents(lib)
    expected = reference("docling__ocr_test")
    for name in ROTATIONS:
        text = " ".join(c.text for c in lib.catalog.chunks_of(docs[name].id))
        assert cer(expected, text) < 0.05, (name, text)


def test_ocr_turned_off_leaves_scans_without_text(shared_data, tmp_path):
    from core.extract import ExtractOptions, extract

    result = extract(shared_data / SCANNED / "docling__ocr_test.pdf", ExtractOptions(ocr=False))
    assert result.status == "no_text" and "OCR is turned off" in result.error
    _render_png(shared_data / SCANNED / "docling__ocr_test.pdf", tmp_path / "page.png")
    image = extract(tmp_path / "page.png", ExtractOptions(ocr=False))
    assert image.status == "no_text" and "OCR is turned off" in image.error


def test_damaged_and_oversized_images_end_with_a_reason(tmp_path):
    from core.extract.isolated import IsolatedExtractor

    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (tmp_path / "text.jpg").write_bytes(b"not an image at all")
    # A PNG header declaring 100,000 x 100,000 pixels (a decompression bomb).
    import struct
    import zlib

    def png_chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    bomb = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + png_chunk(b"IEND", b""))
    (tmp_path / "bomb.png").write_bytes(bomb)
    with IsolatedExtractor(timeout_s=60, memory_mb=2048) as ex:
        for name in ("broken.png", "text.jpg", "bomb.png"):
            result = ex.extract(tmp_path / name)
            assert result.status == "error" and result.error, (name, result)
        assert "megapixels" in ex.extract(tmp_path / "bomb.png").error


def test_openvino_reads_the_same_text_as_onnx_runtime_and_bfloat16_reads_as_well(shared_data):
    """OCR runs its models on OpenVINO (faster here): in fp32 the text must be the very
    text ONNX Runtime reads; in bfloat16 (the default where the CPU has it) its error
    rate against the page's reference must be no worse. Each setting in its own process:
    the choice is made once."""
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT
    from tests.ocr_quality import cer, reference

    probe = ("import json, sys; from core.extract import ExtractOptions, extract; "
             "from rapidocr_onnxruntime.utils.infer_engine import OrtInferSession as S; "
             "r = extract(sys.argv[1], ExtractOptions(ocr=True)); "
             "print(json.dumps({'openvino': getattr(S, '_likewise_openvino', False), "
             "'text': [b.text for b in r.blocks]}))")
    name = "docling__sample_with_rotation_mismatch"
    page = str(shared_data / SCANNED / f"{name}.pdf")
    read = {}
    settings = {"onnxruntime": {"LIKEWISE_OCR_RUNTIME": "onnxruntime"},
                "openvino-f32": {"LIKEWISE_OCR_RUNTIME": "openvino", "LIKEWISE_OCR_PRECISION": "f32"},
                "openvino": {"LIKEWISE_OCR_RUNTIME": "openvino"}}
    for setting, extra in settings.items():
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIKEWISE_OCR_")}
        env.update(PYTHONPATH=str(ROOT), **extra)
        out = subprocess.run([sys.executable, "-c", probe, page], env=env, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        read[setting] = json.loads(out.stdout.strip().splitlines()[-1])
    assert read["openvino-f32"]["openvino"] and read["openvino"]["openvino"]
    assert not read["onnxruntime"]["openvino"]
    assert read["openvino-f32"]["text"] and read["openvino-f32"]["text"] == read["onnxruntime"]["text"]
    exact = cer(reference(name), "\n".join(read["onnxruntime"]["text"]))
    fast = cer(reference(name), "\n".join(read["openvino"]["text"]))
    assert fast <= exact + 0.002, (fast, exact)


def test_a_worker_with_a_tight_address_space_reads_scans_on_onnx_runtime(shared_data):
    """OpenVINO maps ~1.9 GB of address space (TAMReview.pdf ran out of memory under the
    worker's old 2 GB limit); under such a limit (a user's older setting) OCR keeps to ONNX
    Runtime, and the scan is still read."""
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    probe = ("import json, resource, sys; limit = int(sys.argv[1]) * 2**20; "
             "resource.setrlimit(resource.RLIMIT_AS, (limit, limit)); "
             "from core.extract.ocr import OcrEngine; OcrEngine(threads=1); "
             "from rapidocr_onnxruntime.utils.infer_engine import OrtInferSession as S; "
             "print(json.dumps(getattr(S, '_likewise_openvino', False)))")
    env = {k: v for k, v in os.environ.items() if k != "LIKEWISE_OCR_RUNTIME"}
    env["PYTHONPATH"] = str(ROOT)
    chosen = {}
    for limit in (2048, 4096):
        out = subprocess.run([sys.executable, "-c", probe, str(limit)], env=env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        chosen[limit] = json.loads(out.stdout.strip().splitlines()[-1])
    assert chosen == {2048: False, 4096: True}

    from core.extract import ExtractOptions
    from core.extract.isolated import IsolatedExtractor

    with IsolatedExtractor(timeout_s=120, memory_mb=2048) as ex:
        result = ex.extract(str(shared_data / SCANNED / "docling__ocr_test.pdf"), ExtractOptions(ocr=True))
    assert result.status == "indexed", result.error
    assert "self contained package" in " ".join(b.text for b in result.blocks).lower()


def test_a_page_is_read_on_onnx_runtime_when_openvino_fails_midway(shared_data, monkeypatch):
    """OpenVINO failing on a page (say, out of address space) must not cost the page."""
    import pypdfium2 as pdfium

    from core.extract.ocr import MAX_SIDE, OcrEngine
    from core.extract.scanned import _render

    pdf = pdfium.PdfDocument(str(shared_data / SCANNED / "docling__ocr_test.pdf"))
    image = _render(pdf, 1, MAX_SIDE)
    pdf.close()
    engine = OcrEngine(threads=1)
    sessions = [engine._ocr.text_det.infer, engine._ocr.text_rec.session, engine._ocr.text_cls.infer]
    if not all(getattr(s, "_likewise_request", None) is not None for s in sessions):
        pytest.skip("OCR is not on OpenVINO here")
    expected = engine.read(image)

    class Failing:
        def infer(self, feed):
            raise RuntimeError("std::bad_alloc")

    for session in sessions:
        session._likewise_request = Failing()
    assert engine.read(image) == expected
    assert all(s._likewise_request is None for s in sessions)   # ONNX Runtime from then on
