"""The encoder's pace with the machine to itself, for the ETA (core/index/progress.py).

While the first stage reads files, the encoder shares the cores with it and runs several
times slower than once the files are read (2 cores, bench-archive's 5,000 files: 5 ms a
passage, then 1 ms), so the pace it shows early on says little of the hour to come. A
few synthetic paragraphs are encoded before the files are read, twice (the first round
warms the runtime up); the second round's seconds per character, times the characters
(up to the model's length) of an average passage read, is the pace the ETA expects once the files are read.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

log = logging.getLogger(__name__)

CALIBRATE_FROM_FILES = 200    # runs of fewer files are short: no calibration
ROUND = 32                    # paragraphs per round
# A passage longer than this costs the encoder about as much as this many characters: it
# reads its first max_seq_length tokens (256, some 1,100 characters) and no more.
COUNTED_CHARS = 1_100

_WORDS = ("the report notes that our results on the measured samples were consistent with the "
          "earlier findings of the survey, although the second group showed a smaller effect and "
          "several questions about the method remain open for the next review of the project").split()


class TextEncoder(Protocol):
    def encode(self, texts: list[str], batch_size: int = ...) -> object: ...


def paragraphs(count: int = ROUND, words_each: int = 70) -> list[str]:
    """Distinct paragraphs of one length (a batch of passages of one length wastes
    nothing on padding, as the encoder's length-sorted batches of a run do not)."""
    out = []
    for i in range(count):
        words = [_WORDS[(i * 7 + k * 3) % len(_WORDS)] for k in range(words_each)]
        out.append(f"Paragraph {i + 1}: " + " ".join(words).capitalize() + ".")
    return out


def counted_chars(texts: list[str]) -> int:
    """The characters of these passages the encoder will read (see COUNTED_CHARS)."""
    return sum(min(len(t), COUNTED_CHARS) for t in texts)


def seconds_per_char(encoder: TextEncoder) -> float | None:
    """The encoder's seconds per character of text on its own, or None when it fails
    (the ETA then does without)."""
    texts = paragraphs()
    try:
        encoder.encode(texts, batch_size=len(texts))     # a round of the same size warms it up
        began = time.perf_counter()
        encoder.encode(texts, batch_size=len(texts))
        took = time.perf_counter() - began
    except Exception as exc:  # noqa: BLE001 - the ETA is a nicety; the run goes on
        log.info("no encoder calibration: %s", exc)
        return None
    return took / sum(len(t) for t in texts)
