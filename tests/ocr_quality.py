"""Character error rate of OCR text against a reference written by reading the page
(tests/data/ocr/*.txt); used by tests/core/extract/test_ocr.py and bench/bench_ocr.py."""

from __future__ import annotations

import re
from pathlib import Path

REFERENCES = Path(__file__).resolve().parent / "data" / "ocr"


_CJK = re.compile("[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def normalise(text: str, spaces: bool = True) -> str:
    return " ".join(text.split()) if spaces else "".join(text.split())


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(reference: str, hypothesis: str) -> float:
    """Edits (insertions, deletions, substitutions) per reference character, with
    whitespace collapsed (removed when the reference is Chinese, which has none between
    words); 0.0 is perfect."""
    spaces = _CJK.search(reference) is None
    ref, hyp = normalise(reference, spaces), normalise(hypothesis, spaces)
    return edit_distance(ref, hyp) / max(len(ref), 1)


def reference(name: str) -> str:
    return (REFERENCES / f"{name}.txt").read_text(encoding="utf-8")


def word_agreement(a: str, b: str) -> tuple[int, int]:
    """(words two readings of a page share in order, words of the longer reading): the
    longest matching sequence of words (difflib), so one changed word costs one."""
    import difflib

    words_a, words_b = a.split(), b.split()
    matcher = difflib.SequenceMatcher(a=words_a, b=words_b, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    return same, max(len(words_a), len(words_b))


SCANNED = "pdf_edgecases/scanned_image_only"
TAMREVIEW = "pdf_real/pdfjs/TAMReview.pdf"


def reference_pages(shared: Path) -> list[tuple[str, Path, int]]:
    """(name, PDF, page number) of the pages with a reference text."""
    return [(p.stem, shared / SCANNED / f"{p.stem}.pdf", 1) for p in sorted(REFERENCES.glob("*.txt"))]


def page_count(pdf: Path) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        return len(document)
    finally:
        document.close()


def render_page(pdf: Path, number: int):
    """The page as OCR sees it (core.extract.scanned's rendering)."""
    import pypdfium2 as pdfium

    from core.extract.ocr import MAX_SIDE
    from core.extract.scanned import _render

    document = pdfium.PdfDocument(str(pdf))
    try:
        return _render(document, number, MAX_SIDE)
    finally:
        document.close()
