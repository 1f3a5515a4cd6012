"""OCR without OpenCV (issue 31): rapidocr's image operations done by
core/extract/imageops.py (numpy, Pillow) read pages as well as OpenCV does.

The quality gate reads the pages with a reference text (tests/data/ocr) and three scanned
pages of TAMReview.pdf both ways: Likewise's own operations must not raise the character
error rate by more than 0.005 on any page, and must agree with OpenCV's reading on at
least 98.5 % of words. Where OpenCV is not installed, the CER is checked against the
references alone (OpenCV's CER, measured, plus 0.005). bench/bench_ocr_imageops.py
prints the same figures for all 23 pages of TAMReview.pdf, with seconds per page.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from core.extract import imageops
from tests.ocr_quality import (
    TAMREVIEW,
    cer,
    reference,
    reference_pages,
    render_page,
    word_agreement,
)

HAVE_OPENCV = importlib.util.find_spec("cv2") is not None
CER_MARGIN = 0.005
MIN_WORD_AGREEMENT = 0.985
# OpenCV's CER on the reference pages (bench/bench_ocr_imageops.py), used when OpenCV is absent.
OPENCV_CER = {"docling__ocr_test": 0.0, "docling__sample_with_rotation_mismatch": 0.0078,
              "pdfminer__pdf-with-jbig2": 0.0, "pdfplumber__issue-203-decimalize": 0.0045}
TAMREVIEW_PAGES = (1, 2, 3)


def test_own_image_operations_read_pages_as_well_as_opencv(shared_data):
    from core.extract.ocr import OPENCV_IMAGE_OPS, OWN_IMAGE_OPS, OcrEngine

    own = OcrEngine(threads=2, image_ops=OWN_IMAGE_OPS)
    opencv = OcrEngine(threads=2, image_ops=OPENCV_IMAGE_OPS) if HAVE_OPENCV else None
    pages = [(name, pdf, number, reference(name)) for name, pdf, number in reference_pages(shared_data)]
    pages += [(f"TAMReview p{n}", shared_data / TAMREVIEW, n, None) for n in TAMREVIEW_PAGES]
    assert len(pages) == len(OPENCV_CER) + len(TAMREVIEW_PAGES)
    same = words = 0
    for name, pdf, number, ref in pages:
        image = render_page(pdf, number)
        text = "\n".join(own.read(image))
        if opencv is None:
            if ref is not None:
                assert cer(ref, text) <= OPENCV_CER[name] + CER_MARGIN, (name, text)
            continue
        expected = "\n".join(opencv.read(image))
        if ref is not None:
            assert cer(ref, text) <= cer(ref, expected) + CER_MARGIN, (name, text, expected)
        page_same, page_words = word_agreement(expected, text)
        same, words = same + page_same, words + page_words
    if opencv is not None:
        assert words > 1000       # TAMReview's pages hold most of them
        assert same / words >= MIN_WORD_AGREEMENT, (same, words)


def test_scans_are_read_where_opencv_cannot_be_imported(tmp_path, shared_data):
    """The bundle has no OpenCV: a process tree in which `import cv2` fails (as it does
    there) still reads a scanned PDF and an image through the isolated worker, on
    OpenVINO where it is installed."""
    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['cv2'] = None\n")
    from PIL import Image

    from tests.conftest import ROOT

    png = tmp_path / "page.png"
    Image.fromarray(render_page(shared_data / "pdf_edgecases/scanned_image_only/docling__ocr_test.pdf", 1)
                    [:, :, 2::-1]).save(png)
    probe = """
import json, sys
from core.extract import ExtractOptions
from core.extract.isolated import IsolatedExtractor
try:
    import cv2
    found = True
except ImportError:
    found = False
texts = []
with IsolatedExtractor(timeout_s=300, memory_mb=4096) as ex:
    for path in sys.argv[1:]:
        result = ex.extract(path, ExtractOptions(ocr=True))
        texts.append([result.status, " ".join(b.text for b in result.blocks)])
from core.extract.ocr import OcrEngine
OcrEngine(threads=1)
from rapidocr_onnxruntime.utils.infer_engine import OrtInferSession
print(json.dumps({"cv2": found, "texts": texts, "openvino": getattr(OrtInferSession, "_likewise_openvino", False)}))
"""
    env = {k: v for k, v in os.environ.items() if k != "LIKEWISE_OCR_RUNTIME"}
    env["PYTHONPATH"] = os.pathsep.join([str(blocker), str(ROOT)])
    scan = shared_data / "pdf_edgecases/scanned_image_only/docling__sample_with_rotation_mismatch.pdf"
    out = subprocess.run([sys.executable, "-c", probe, str(scan), str(png)], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["cv2"] is False
    (scan_status, scan_text), (png_status, png_text) = found["texts"]
    assert scan_status == "indexed" and "demodulation reconstructs the video signal" in scan_text.lower()
    assert png_status == "indexed" and "self contained package" in png_text.lower()
    assert found["openvino"] == (importlib.util.find_spec("openvino") is not None)


def test_a_call_rapidocr_does_not_make_fails_clearly():
    with pytest.raises(imageops.ImageOpsError, match="GaussianBlur"):
        imageops.GaussianBlur(np.zeros((4, 4), np.uint8), (3, 3), 0)
    with pytest.raises(imageops.ImageOpsError, match="interpolation"):
        imageops.resize(np.zeros((4, 4), np.uint8), (2, 2), interpolation=imageops.INTER_CUBIC)
    with pytest.raises(imageops.ImageOpsError, match="warpPerspective"):
        imageops.warpPerspective(np.zeros((4, 4), np.uint8), np.eye(3), (2, 2))


# -- each operation against OpenCV's ---------------------------------------------------

@pytest.fixture
def cv2():
    return pytest.importorskip("cv2")


def _image(seed: int, shape=(57, 203, 3)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@pytest.mark.parametrize("size", [(320, 48), (100, 20), (407, 115), (64, 32)])
def test_bilinear_resize_is_opencvs(cv2, size):
    image = _image(1)
    diff = np.abs(cv2.resize(image, size).astype(int) - imageops.resize(image, size))
    assert diff.max() <= 1


@pytest.mark.parametrize("size", [(100, 20), (150, 40), (905, 1280)])
def test_area_resize_is_opencvs(cv2, size):
    image = _image(2, (2000, 1414, 3)) if size[0] > 203 else _image(2)
    expected = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    diff = np.abs(expected.astype(int) - imageops.resize(image, size, interpolation=imageops.INTER_AREA))
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3


@pytest.mark.parametrize("corners", [
    [[10, 5], [180, 5], [180, 50], [10, 50]],                      # upright: scale and shift
    [[10.3, 5.2], [180.7, 8.1], [178.2, 50.4], [9.1, 47.6]],       # turned and skewed
    [[-4, -3], [150, 2], [190, 70], [3, 60]],                      # reaching outside the image
    [[230, 70], [400, 75], [398, 120], [229, 115]],                # wholly outside: edge pixels
])
def test_perspective_crop_is_opencvs(cv2, corners):
    image = _image(3)
    source = np.float32(corners)
    target = np.float32([[0, 0], [170, 0], [170, 42], [0, 42]])
    matrix = cv2.getPerspectiveTransform(source, target)
    assert np.allclose(imageops.getPerspectiveTransform(source, target), matrix, atol=1e-6)
    expected = cv2.warpPerspective(image, matrix, (170, 42), borderMode=cv2.BORDER_REPLICATE,
                                   flags=cv2.INTER_CUBIC)
    got = imageops.warpPerspective(image, matrix, (170, 42), borderMode=imageops.BORDER_REPLICATE,
                                   flags=imageops.INTER_CUBIC)
    assert np.abs(expected.astype(int) - got).max() <= 1


def test_text_regions_and_their_rectangles_are_opencvs(cv2):
    rng = np.random.default_rng(4)
    kernel = np.array([[1, 1], [1, 1]])
    speckle = (rng.random((120, 160)) > 0.93).astype(np.uint8)
    assert np.array_equal(imageops.dilate(speckle, kernel), cv2.dilate(speckle, kernel))
    blobs = cv2.dilate(cv2.dilate(speckle, kernel), kernel) * 255
    ours, _ = imageops.findContours(blobs, imageops.RETR_LIST, imageops.CHAIN_APPROX_SIMPLE)
    theirs, _ = cv2.findContours(blobs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    assert len(ours) == len(theirs) > 20

    def rectangles(module, contours):
        found = []
        for contour in contours:
            rect = module.minAreaRect(contour)
            corners = sorted(np.round(module.boxPoints(rect), 2).tolist())
            found.append((corners, round(min(rect[1]), 2)))
        return sorted(found)

    for (a, side_a), (b, side_b) in zip(rectangles(imageops, ours), rectangles(cv2, theirs), strict=True):
        assert np.allclose(a, b, atol=0.02) and abs(side_a - side_b) <= 0.02


def test_box_score_mask_and_mean_are_opencvs(cv2):
    rng = np.random.default_rng(5)
    differing = total = 0
    for _ in range(200):
        centre, (w, h), angle = rng.uniform(10, 50, 2), rng.uniform(3, 40, 2), rng.uniform(-0.3, 0.3)
        turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        box = (np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2) @ turn.T + centre
        polygon = box.reshape(1, -1, 2).astype(np.int32)
        expected, got = np.zeros((70, 70), np.uint8), np.zeros((70, 70), np.uint8)
        cv2.fillPoly(expected, polygon, 1)
        imageops.fillPoly(got, polygon, 1)
        differing, total = differing + int((expected != got).sum()), total + int(expected.sum())
        scores = rng.random((70, 70)).astype(np.float32)
        assert imageops.mean(scores, expected)[0] == pytest.approx(cv2.mean(scores, expected)[0], abs=1e-5)
    assert differing / total < 0.01
