"""OCR: rapidocr (the engine Likewise ships) against Tesseract (a comparison only).

For every page of pdf_edgecases/scanned_image_only that has a reference text in
tests/data/ocr (written by reading the page), both engines read the same rendering
(pypdfium2, long side 2000 px); the character error rate and the seconds per page (wall
and CPU) are printed with the machine's load. Then every file of that folder is
extracted with OCR (rapidocr) and its status and seconds per page are printed.

Tesseract runs as `tesseract IMAGE - --psm 1 -l eng` (automatic page segmentation with
orientation detection; `-l chi_sim+eng` for the Chinese page) when the program is
installed (Debian: tesseract-ocr, tesseract-ocr-chi-sim). rapidocr needs no language.

    .venv/bin/python bench/bench_ocr.py [--no-tesseract]
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.extract import extract  # noqa: E402
from core.extract.ocr import MAX_SIDE, engine  # noqa: E402
from tests.ocr_quality import REFERENCES, cer  # noqa: E402

SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))
SCANNED = SHARED / "pdf_edgecases" / "scanned_image_only"
ROTATED = ["docling__ocr_test_rotated_90", "docling__ocr_test_rotated_180", "docling__ocr_test_rotated_270"]


def render(pdf_path: Path, page: int = 0):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    p = pdf[page]
    width, height = p.get_size()
    image = p.render(scale=min(MAX_SIDE / max(width, height), 300 / 72)).to_numpy().copy()
    pdf.close()
    return image


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tesseract(image, lang: str) -> tuple[str, float, float]:
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "page.png")
        Image.fromarray(image[:, :, 2::-1]).save(path)       # BGR(A) -> RGB
        started, cpu = time.perf_counter(), children_cpu()
        out = subprocess.run(["tesseract", path, "-", "--psm", "1", "-l", lang], capture_output=True, text=True,
                             check=False, env=dict(os.environ, OMP_THREAD_LIMIT="2"))
        return out.stdout, time.perf_counter() - started, children_cpu() - cpu


def rapid(image, lang: str) -> tuple[str, float, float]:
    reader = engine()
    started, cpu = time.perf_counter(), time.process_time()
    text = "\n".join(reader.read(image))
    return text, time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    use_tesseract = "--no-tesseract" not in sys.argv and shutil.which("tesseract") is not None
    engine()                                    # load the models before timing
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    pages = [(name, name) for name in (p.stem for p in sorted(REFERENCES.glob("*.txt")))]
    pages += [(name, "docling__ocr_test") for name in ROTATED]
    engines = [("rapidocr", rapid)] + ([("tesseract", tesseract)] if use_tesseract else [])
    print(f"\n{'page':48} {'engine':10} {'CER':>6} {'wall s':>7} {'cpu s':>6}")
    totals: dict[str, list[float]] = {name: [0.0, 0.0, 0.0] for name, _ in engines}
    for file_stem, ref_stem in pages:
        image = render(SCANNED / f"{file_stem}.pdf")
        reference = (REFERENCES / f"{ref_stem}.txt").read_text(encoding="utf-8")
        lang = "chi_sim+eng" if any("\u4e00" <= c <= "\u9fff" for c in reference) else "eng"
        for name, read in engines:
            text, wall, cpu = read(image, lang)
            rate = cer(reference, text)
            totals[name][0] += rate
            totals[name][1] += wall
            totals[name][2] += cpu
            print(f"{file_stem:48} {name:10} {rate:6.3f} {wall:7.1f} {cpu:6.1f}")
    for name, (rate, wall, cpu) in totals.items():
        print(f"{'mean over ' + str(len(pages)) + ' pages':48} {name:10} {rate / len(pages):6.3f} "
              f"{wall / len(pages):7.1f} {cpu / len(pages):6.1f}")

    print(f"\nevery file of {SCANNED.name}, rapidocr in this process:")
    for path in sorted(SCANNED.glob("*.pdf")):
        started, cpu = time.perf_counter(), time.process_time()
        result = extract(path)
        wall, used = time.perf_counter() - started, time.process_time() - cpu
        pages_read = len({b.page for b in result.blocks if b.ocr}) or 1
        print(f"{path.name:48} {result.status:8} {result.pages or 0:2d} pp  {wall / pages_read:5.1f} s/page wall "
              f"{used / pages_read:5.1f} s/page cpu")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
