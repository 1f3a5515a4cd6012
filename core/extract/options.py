"""What the caller of an extraction decides (today, whether OCR runs), and what the
indexer asks of whatever reads its files (``Extractor``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from core.types import ExtractResult, Member

# progress(n, total): the n-th of total scanned pages is about to be read by OCR.
PageProgress = Callable[[int, int], None]
# member(m): one document inside a container (a mail attachment, an archive member), as read.
MemberFn = Callable[[Member], None]


@dataclass(frozen=True)
class ExtractOptions:
    ocr: bool = True          # read scanned pages and images by OCR (Settings.ocr_enabled)


class Extractor(Protocol):
    """Reads one file into an ExtractResult and never raises for a bad file. The indexer's
    is core.extract.isolated.IsolatedExtractor (a worker process with time and memory
    limits); a test may hand it anything that answers the same."""

    def extract(self, path: str | os.PathLike, options: ExtractOptions | None = None,
                progress: PageProgress | None = None, member: MemberFn | None = None,
                start: int = 0, first: int = 1) -> ExtractResult: ...

    def close(self) -> None: ...
