"""How many passages of the shared corpus (all of pdf_real and docx/valid) are left out
of meaning search (issue 30): every file extracted as the indexer does (isolated workers,
OCR on), cut into passages (core.chunk with the default model's tokenizer), and marked
by core.chunk.noise_flags, the rule the catalog stores as ``chunks.noise``.

    .venv/bin/python bench/noise_passages.py [--workers 2] [--timeout 120]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.chunk import chunk_blocks, noise_flags  # noqa: E402
from core.extract.isolated import extract_many  # noqa: E402
from core.extract.options import ExtractOptions  # noqa: E402
from core.text import is_fragment  # noqa: E402
from core.types import INDEXED  # noqa: E402

SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    import core.offline  # noqa: F401
    from core.encoder import SentenceEncoder
    from core.paths import default_model_path

    enc = SentenceEncoder.load(default_model_path(), device="cpu")
    files = sorted(p for sub in ("pdf_real", "docx/valid") for p in (SHARED / sub).rglob("*")
                   if p.suffix.lower() in (".pdf", ".docx"))
    started = time.perf_counter()
    counts: Counter[str] = Counter()
    per_file: list[tuple[int, int, str]] = []
    for path, result in extract_many(files, workers=args.workers, timeout_s=args.timeout,
                                     memory_mb=2048, options=ExtractOptions()):
        counts[f"files {result.status}"] += 1
        if result.status != INDEXED:
            continue
        chunks = chunk_blocks(result.blocks, enc.count_tokens, max_tokens=enc.max_seq_length)
        flags = noise_flags(chunks)
        fragments = sum(is_fragment(c.text) for c in chunks)
        counts["passages"] += len(chunks)
        counts["noise"] += sum(flags)
        counts["noise: fragments"] += fragments
        counts["noise: repeated on most pages (furniture)"] += sum(flags) - fragments
        counts["fewer than 3 words"] += sum(len(c.text.split()) < 3 for c in chunks)
        counts["3 characters or fewer"] += sum(len(c.text.strip()) <= 3 for c in chunks)
        per_file.append((sum(flags), len(chunks), str(Path(path).relative_to(SHARED))))
    print(f"{len(files)} files in {time.perf_counter() - started:.0f} s")
    for name in sorted(counts):
        print(f"  {name}: {counts[name]}")
    print(f"passages removed from meaning search: {counts['noise']} of {counts['passages']} "
          f"({100 * counts['noise'] / max(counts['passages'], 1):.1f} %)")
    print("most noise:")
    for noise, total, name in sorted(per_file, reverse=True)[:8]:
        print(f"  {noise:>5} of {total:>5}  {name}")


if __name__ == "__main__":
    main()
