"""The encoder's pace with the machine to itself, for the ETA (core/index/stage_costs.py).

While the first stage reads files, the encoder shares the cores with it and runs two to
three times slower than once the files are read, so the pace it shows early on says
little of the hour to come. Before the files are read, synthetic paragraphs of four
lengths (about 16, 64, 128 and 256 tokens) are encoded, after a warm-up round; the
seconds per text at each length make a curve the ETA reads at each passage's own length.

Per text and by tokens, not per character: a character of scientific prose costs the
encoder 1.6 times one of plain English (more tokens per character), and a text's cost
is not in proportion to its length (a short text pays the per-text work, a long one
more attention).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

CALIBRATE_FROM_FILES = 200    # runs of fewer files are short: no calibration
ROUND = 32                    # paragraphs per length
WORDS_EACH = (12, 50, 100, 220)  # words per paragraph: about 16, 64, 128 and 256 tokens
CHARS_PER_TOKEN = 4.0         # a passage whose tokens were not counted: its characters / this

_WORDS = ("the report notes that our results on the measured samples were consistent with the "
          "earlier findings of the survey, although the second group showed a smaller effect and "
          "several questions about the method remain open for the next review of the project").split()


class TextEncoder(Protocol):
    def encode(self, texts: list[str], batch_size: int = ...) -> object: ...

    def count_tokens(self, texts: list[str]) -> list[int]: ...


@dataclass(frozen=True)
class EncoderPace:
    """Seconds the encoder takes per text on its own, by the text's tokens: measured at a
    few lengths, straight lines between them, and no text longer than the model reads."""

    tokens: tuple[float, ...]
    seconds: tuple[float, ...]
    max_tokens: int

    def per_text(self, tokens: int) -> float:
        return float(np.interp(min(max(tokens, 1), self.max_tokens), self.tokens, self.seconds))


def paragraphs(count: int = ROUND, words_each: int = 70) -> list[str]:
    """Distinct paragraphs of one length (a batch of passages of one length wastes
    nothing on padding, as the encoder's length-sorted batches of a run do not)."""
    out = []
    for i in range(count):
        words = [_WORDS[(i * 7 + k * 3) % len(_WORDS)] for k in range(words_each)]
        out.append(f"Paragraph {i + 1}: " + " ".join(words).capitalize() + ".")
    return out


def tokens_of(text: str, counted: int) -> int:
    """A passage's tokens: as the chunker counted them, else guessed from its characters."""
    return counted if counted > 0 else max(1, round(len(text) / CHARS_PER_TOKEN))


def measure(encoder: TextEncoder) -> EncoderPace | None:
    """The encoder's pace on its own (about 0.6 s on 2 cores), or None when it fails (the
    ETA then does without)."""
    longest = int(getattr(encoder, "max_seq_length", 256) or 256)
    rounds = [paragraphs(ROUND, n) for n in WORDS_EACH]
    points: list[tuple[float, float]] = []
    try:
        encoder.encode(rounds[1], batch_size=ROUND)     # warms the runtime up
        for texts in rounds:
            tokens = min(float(np.mean(encoder.count_tokens(texts))), float(longest))
            began = time.perf_counter()
            encoder.encode(texts, batch_size=ROUND)
            points.append((tokens, (time.perf_counter() - began) / len(texts)))
    except Exception as exc:  # noqa: BLE001 - the ETA is a nicety; the run goes on
        log.info("no encoder calibration: %s", exc)
        return None
    points.sort()
    kept = [p for i, p in enumerate(points) if i == 0 or p[0] > points[i - 1][0]]
    return EncoderPace(tuple(t for t, _ in kept), tuple(s for _, s in kept), longest)
