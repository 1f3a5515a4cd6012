"""A synthetic archive of a person's files for bench/bench_archive.py (issue 27).

Paragraphs come from the shared data: SciFact abstracts (cut into paragraphs of two or
three sentences), STS-B and MRPC sentences (grouped three to five to a paragraph). Files
are .txt, .md, .html, .docx (python-docx) and copies of real PDFs from pdf_real (small,
text-layer ones), in nested folders whose names have spaces and non-ASCII letters. About
10 % of the files are whole-file copies of an earlier file in another folder, and about
3 % are near copies: the same file with one paragraph changed.

    python bench/archive_gen.py OUT_DIR --files 5000
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import os
import re
import shutil
import sys
from pathlib import Path

import numpy as np

SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
FOLDERS = ["Archiv 2016", "Projekte/Über den Fluss", "Notes — drafts", "mail/Ängste & Fragen", "Réunions 2019",
           "photos scans/old notes", "Thesis/chapter drafts", "Misc/日本語 メモ", "Work/Q3 reports", "Home/recipes"]
COPY_SHARE = 0.10
NEAR_COPY_SHARE = 0.03
PDF_MAX_BYTES = 400_000
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def paragraphs(shared: Path = SHARED) -> list[str]:
    """Every paragraph the generator draws from, real text only."""
    out: list[str] = []
    with open(shared / "beir_scifact" / "corpus.jsonl", encoding="utf-8") as fh:
        for line in fh:
            sents = _SENT.split(json.loads(line)["text"].strip())
            out.extend(" ".join(sents[i : i + 3]) for i in range(0, len(sents), 3) if sents[i:i + 3])
    sentences: list[str] = []
    with open(shared / "stsbenchmark" / "sts-train.csv", encoding="utf-8") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) >= 7:
                sentences += [f[5], f[6]]
    with open(shared / "mrpc" / "msr_paraphrase_train.txt", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for r in reader:
            sentences += [r[3], r[4]]
    rng = np.random.default_rng(0)
    i = 0
    while i < len(sentences):
        k = int(rng.integers(3, 6))
        out.append(" ".join(sentences[i : i + k]))
        i += k
    # control characters (a few in the shared sentences) cannot be written into a .docx
    return [_CONTROL.sub(" ", p) for p in out if len(p) > 40]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def real_pdfs(shared: Path = SHARED) -> list[Path]:
    """Small readable PDFs of pdf_real (no password, no error, text on their pages)."""
    found = []
    with open(shared / "pdf_real" / "manifest.tsv", encoding="utf-8") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        for r in rows:
            if (r["category"] == "real" and not r["password"] and r["encrypted"] == "False"
                    and not r["pypdf_error"] and int(r["bytes"] or 0) < PDF_MAX_BYTES
                    and int(r["words_first40pages_pypdf"] or 0) > 50):
                found.append(shared / "pdf_real" / r["file"])
    return [p for p in found if p.exists()]


def _write(path: Path, kind: str, title: str, paras: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == ".txt":
        path.write_text(title + "\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")
    elif kind == ".md":
        path.write_text(f"# {title}\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")
    elif kind == ".html":
        body = "".join(f"<p>{html.escape(p)}</p>\n" for p in paras)
        path.write_text(f"<html><head><title>{html.escape(title)}</title></head><body>"
                        f"<h1>{html.escape(title)}</h1>\n{body}</body></html>", encoding="utf-8")
    else:
        import docx

        d = docx.Document()
        d.add_heading(title, level=1)
        for p in paras:
            d.add_paragraph(p)
        d.save(str(path))


def generate(root: Path, files: int, seed: int = 0, shared: Path = SHARED) -> dict:
    """Write ``files`` files under ``root``; returns what was made (counts by kind)."""
    rng = np.random.default_rng(seed)
    pool = paragraphs(shared)
    pdfs = real_pdfs(shared)
    made: list[tuple[Path, str, list[str]]] = []
    counts = {"copies": 0, "near_copies": 0, "pdf": 0}
    kinds = [".txt", ".md", ".html", ".docx"]
    for i in range(files):
        folder = root / FOLDERS[i % len(FOLDERS)] / f"{2010 + (i // 7) % 12} box {i % 13}"
        roll = rng.random()
        if made and roll < COPY_SHARE:                       # the same file saved elsewhere
            src = made[int(rng.integers(0, len(made)))][0]
            dst = folder / f"copy of {src.name}"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            counts["copies"] += 1
            continue
        if made and roll < COPY_SHARE + NEAR_COPY_SHARE:     # an old draft: one paragraph changed
            src, kind, paras = made[int(rng.integers(0, len(made)))]
            if kind != ".pdf" and paras:
                paras = list(paras)
                paras[int(rng.integers(0, len(paras)))] = pool[int(rng.integers(0, len(pool)))]
                dst = folder / f"{src.stem} (draft {i}){kind}"
                _write(dst, kind, f"Draft {i}", paras)
                made.append((dst, kind, paras))
                counts["near_copies"] += 1
                continue
        if pdfs and roll > 0.95:
            src_pdf = pdfs[int(rng.integers(0, len(pdfs)))]
            dst = folder / f"paper {i} – {src_pdf.name}"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src_pdf, dst)
            made.append((dst, ".pdf", []))
            counts["pdf"] += 1
            continue
        kind = kinds[int(rng.integers(0, len(kinds)))]
        n = int(rng.integers(3, 30))
        start = int(rng.integers(0, len(pool) - n))
        paras = pool[start : start + n]
        path = folder / f"note {i:05d}{kind}"
        _write(path, kind, f"Note {i}", paras)
        made.append((path, kind, paras))
        counts[kind] = counts.get(kind, 0) + 1
    counts["files"] = files
    return counts


def change_files(root: Path, share: float, seed: int = 1) -> int:
    """Append a paragraph to ``share`` of the .txt and .md files (a 1 % rescan)."""
    rng = np.random.default_rng(seed)
    texts = sorted(p for p in root.rglob("*") if p.suffix in (".txt", ".md"))
    total = sum(1 for p in root.rglob("*") if p.is_file())
    picked = rng.choice(len(texts), size=min(len(texts), max(1, int(total * share))), replace=False)
    for k in picked:
        with open(texts[int(k)], "a", encoding="utf-8") as fh:
            fh.write(f"\n\nAdded on a later day, paragraph {int(k)} of the changed files.\n")
    return int(picked.size)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--files", type=int, default=5000)
    a = ap.parse_args()
    print(generate(a.out, a.files))
    sys.exit(0)
