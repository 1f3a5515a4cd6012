"""What the caller of an extraction decides: today, whether OCR runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# progress(n, total): the n-th of total scanned pages is about to be read by OCR.
PageProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class ExtractOptions:
    ocr: bool = True          # read scanned pages and images by OCR (Settings.ocr_enabled)
