"""Shared by the cluster tests: a folder of real documents, and what two libraries must
have in common to be "the same library" (documents, passages by text hash, vectors)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from core.catalog import text_hash


def make_folder(target: Path, shared: Path, docx: int, pdfs: int = 1, malformed: int = 0) -> Path:
    """``docx`` valid Word files, ``pdfs`` small PDFs and ``malformed`` broken Word files."""
    target.mkdir(parents=True)
    valid = sorted((shared / "docx" / "valid").rglob("*.docx"))[:docx]
    pdf = sorted(p for p in (shared / "pdf_real").rglob("*.pdf") if p.stat().st_size < 150_000)[:pdfs]
    broken = sorted((shared / "docx" / "malformed").rglob("*.docx"))[:malformed]
    for i, src in enumerate([*valid, *pdf, *broken]):
        shutil.copy2(src, target / f"{i:03d}-{src.name}")
    return target


def snapshot(lib) -> dict:
    """{file name: (status, reason, [text hash of each passage in order])}."""
    out = {}
    for d in lib.catalog.documents():
        hashes = [text_hash(c.text) for c in lib.catalog.chunks_of(d.id)]
        out[Path(d.path).name] = (d.status, d.error, d.pages, d.size, d.mtime, hashes)
    return out


def vectors(lib) -> dict[str, np.ndarray]:
    """{text hash: vector} of the active model's vectors."""
    hashes = {text_hash(c.text) for d in lib.catalog.documents() for c in lib.catalog.chunks_of(d.id)}
    return lib.catalog.known_vectors(lib.versions.active_model_id(), hashes)


def assert_same_library(a, b, atol: float = 1e-5) -> None:
    sa, sb = snapshot(a), snapshot(b)
    assert sa == sb
    va, vb = vectors(a), vectors(b)
    assert va.keys() == vb.keys() and va
    worst = max(float(np.abs(va[h] - vb[h]).max()) for h in va)
    assert worst <= atol, f"vectors differ by up to {worst}"


def top_results(lib, queries: list[str], k: int = 5) -> list[list[tuple[str, str]]]:
    """(file name, passage text hash) of the top ``k`` dense results of each query."""
    return [[(Path(r.path).name, text_hash(r.text)) for r in lib.searcher.search(q, k=k, mode="dense")]
            for q in queries]


def run_stages(lib, shards: str, files_per_batch: int = 3) -> list[dict]:
    """What a cluster run does, batch by batch, without Ray: returns the records."""
    from core.cluster.work import EncodeWork, ExtractWork, pack_model

    model_id = lib.versions.active_model_id()
    digest = lib.versions.content_hash_of(model_id)
    bundle = pack_model(lib.versions.model_folder(model_id))
    extract = ExtractWork(shards, bundle, digest, timeout_s=60, memory_mb=2048,
                          max_tokens=lib.settings.chunk_max_tokens,
                          overlap_sentences=lib.settings.chunk_overlap_sentences)
    encode = EncodeWork(shards, bundle, digest, precision="fp32", device="cpu", batch_size=8)
    jobs = lib.indexer.jobs.file_jobs()
    records = []
    for start in range(0, len(jobs), files_per_batch):
        part = jobs[start : start + files_per_batch]
        batch = {"path": [j.path for j in part], "job_id": [j.id for j in part],
                 "folder_id": [j.folder_id for j in part]}
        out = encode(extract(batch))
        records += [{k: v[i] for k, v in out.items()} for i in range(len(part))]
    return records
