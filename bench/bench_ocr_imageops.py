"""OCR through Likewise's own image operations (core.extract.imageops: numpy and Pillow,
what the bundle carries) against OCR through OpenCV (rapidocr's own calls; the dev
extra installs opencv-python-headless for this comparison).

Every page is read both ways by the same engine settings: the 4 pages with a reference
text in tests/data/ocr (character error rate against it) and the scanned pages of
TAMReview.pdf, 23 (no reference: the two readings are compared word by word). Prints CER
per page both ways, the share of words the two readings agree on, and seconds per page
both ways (wall, this process; the two ways alternate page by page so that a change of
the machine's load falls on both).

    .venv/bin/python bench/bench_ocr_imageops.py [--pages N]   (N: TAMReview pages, all by default)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.machine import cpu_model  # noqa: E402
from core.extract.ocr import OPENCV_IMAGE_OPS, OWN_IMAGE_OPS, OcrEngine  # noqa: E402
from tests.ocr_quality import (  # noqa: E402
    TAMREVIEW,
    cer,
    page_count,
    reference,
    reference_pages,
    render_page,
    word_agreement,
)

SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=0, help="TAMReview pages to read (0: all 23)")
    args = parser.parse_args()
    engines = {name: OcrEngine(image_ops=name) for name in (OPENCV_IMAGE_OPS, OWN_IMAGE_OPS)}
    pages = [(name, pdf, number, reference(name)) for name, pdf, number in reference_pages(SHARED)]
    tam = SHARED / TAMREVIEW
    count = page_count(tam)               # a scanned report: every page is an image
    pages += [(f"TAMReview p{n}", tam, n, None) for n in range(1, min(args.pages or count, count) + 1)]
    print(f"{cpu_model()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    print(f"\n{'page':44} {'CER cv2':>8} {'CER own':>8} {'words same':>11} {'s cv2':>6} {'s own':>6}")
    seconds = {name: 0.0 for name in engines}
    same_total = words_total = 0
    worst_gap = float("-inf")
    for name, pdf, number, ref in pages:
        image = render_page(pdf, number)
        texts = {}
        for ops, engine in engines.items():
            started = time.perf_counter()
            texts[ops] = "\n".join(engine.read(image))
            seconds[ops] += time.perf_counter() - started
            last = time.perf_counter() - started
            texts[ops + "_s"] = f"{last:6.2f}"
        same, words = word_agreement(texts[OPENCV_IMAGE_OPS], texts[OWN_IMAGE_OPS])
        same_total, words_total = same_total + same, words_total + words
        rates = ["", ""]
        if ref is not None:
            cv_rate, own_rate = cer(ref, texts[OPENCV_IMAGE_OPS]), cer(ref, texts[OWN_IMAGE_OPS])
            worst_gap = max(worst_gap, own_rate - cv_rate)
            rates = [f"{cv_rate:.4f}", f"{own_rate:.4f}"]
        print(f"{name:44} {rates[0]:>8} {rates[1]:>8} {same:5d}/{words:<5d} "
              f"{texts[OPENCV_IMAGE_OPS + '_s']} {texts[OWN_IMAGE_OPS + '_s']}")
    print(f"\nwords the two readings share: {same_total}/{words_total} = {same_total / max(words_total, 1):.4f}")
    print(f"largest CER of own ops minus OpenCV's on a reference page: {worst_gap:+.4f}")
    ratio = seconds[OWN_IMAGE_OPS] / seconds[OPENCV_IMAGE_OPS]
    print(f"seconds per page: OpenCV {seconds[OPENCV_IMAGE_OPS] / len(pages):.2f}, "
          f"own {seconds[OWN_IMAGE_OPS] / len(pages):.2f} (ratio {ratio:.2f})")
    print(f"load at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
