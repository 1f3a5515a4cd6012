"""Character error rate of OCR text against a reference written by reading the page
(tests/data/ocr/*.txt); used by tests/test_ocr.py and bench/bench_ocr.py."""

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
