"""Character error rate of OCR text against a reference written by reading the page
(tests/data/ocr/*.txt); used by tests/test_ocr.py and bench/bench_ocr.py."""

from __future__ import annotations

from pathlib import Path

REFERENCES = Path(__file__).resolve().parent / "data" / "ocr"


def normalise(text: str) -> str:
    return " ".join(text.split())


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
    whitespace collapsed; 0.0 is perfect."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    return edit_distance(ref, hyp) / max(len(ref), 1)


def reference(name: str) -> str:
    return (REFERENCES / f"{name}.txt").read_text(encoding="utf-8")
