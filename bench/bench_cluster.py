"""make bench-cluster: the local indexer against a cluster run on a local Ray instance,
same files, same model, same precision, same machine.

Files: the first N valid .docx of ../shared/data/docx plus one small PDF (the cluster
test's folder, N=25 by default). Three runs, each into a fresh library:
  local     Indexer.index (likewise add-folder)
  cluster   core.cluster.pipeline.cluster_index, --address local (Ray started by the run)
  shards    the same again with the shards of the previous run in place (resume: nothing is
            extracted or encoded; what is left is Ray, hashing and the import)
Prints documents/s and passages/s of each, Ray's start, the import's time and the encoder
actor's own rate (passages it encoded / seconds in its encoder calls).

Then the import alone, the one part that cannot be spread over workers: --import-docs
synthetic documents of --import-passages passages each (random unit vectors of the model's
dimension), written as shards and imported into a fresh library (File -> Import encoded
shards..., the same ShardImporter.import_shard a cluster run calls per document).

Usage: python bench/bench_cluster.py [--docx N] [--precision auto|int8|fp32] [--cpus 2]
       [--import-docs 300 --import-passages 30] [--import-only]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docx", type=int, default=25)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--files-per-batch", type=int, default=8)
    parser.add_argument("--model", help="model folder (default: the bundled all-MiniLM-L6-v2)")
    parser.add_argument("--import-docs", type=int, default=300)
    parser.add_argument("--import-passages", type=int, default=30)
    parser.add_argument("--import-only", action="store_true")
    args = parser.parse_args()
    if args.import_only:
        print(json.dumps(import_rate(args), indent=2))
        return 0
    os.environ["LIKEWISE_PRECISION"] = args.precision
    import core.offline  # noqa: F401
    from core.cluster.pipeline import ClusterOptions, cluster_index
    from core.library import Library
    from tests.cluster_checks import make_folder

    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="likewise-bench-cluster-") as tmp:
        base = Path(tmp)
        folder = make_folder(base / "docs", SHARED, docx=args.docx, pdfs=1)
        model = args.model
        with Library(path=base / "local.sqlite", model_path=model) as lib:
            lib.add_folder(folder)
            t = time.monotonic()
            report = lib.indexer.index()
            wall = time.monotonic() - t
            passages = lib.status_counts()["chunks"]
            out["local"] = {"seconds": wall, "documents": report.indexed, "passages": passages,
                            "documents_per_s": report.indexed / wall, "passages_per_s": passages / wall,
                            "precision": lib.versions.vector_precisions()}
        options = ClusterOptions(shard_folder=str(base / "shards"), local_cpus=args.cpus,
                                 files_per_batch=args.files_per_batch)
        for name in ("cluster", "shards"):
            with Library(path=base / f"{name}.sqlite", model_path=model) as lib:
                run = cluster_index(lib, [folder], options)
                out[name] = {"seconds": run.seconds, "documents": run.report.indexed,
                             "passages": run.passages, "encoded": run.encoded,
                             "from_shards": run.from_shards, "ray_start_s": run.start_s,
                             "pipeline_s": run.pipeline_s, "import_s": run.import_s,
                             "encode_s": run.encode_s, **run.rates()}
    print(json.dumps(out, indent=2))
    local, cluster = out["local"], out["cluster"]
    print(f"local   {local['documents_per_s']:.2f} documents/s, {local['passages_per_s']:.1f} passages/s "
          f"({local['seconds']:.1f} s)")
    print(f"cluster {cluster['documents_per_s']:.2f} documents/s, {cluster['passages_per_s']:.1f} passages/s "
          f"({cluster['seconds']:.1f} s, of which Ray start {cluster['ray_start_s']:.1f} s, "
          f"import {cluster['import_s']:.1f} s); encoder actor {cluster['actor_passages_per_s']:.1f} passages/s")
    print(f"resume  {out['shards']['seconds']:.1f} s with every shard in place "
          f"({out['shards']['from_shards']} from shards, {out['shards']['encoded']} encoded)")
    if args.import_docs:
        print(json.dumps({"import": import_rate(args)}, indent=2))
    return 0


def import_rate(args: argparse.Namespace) -> dict:
    """Documents and passages per second of the import alone (synthetic shards)."""
    import numpy as np

    import core.offline  # noqa: F401
    from core.cluster.shards import Shard, write_shard
    from core.library import Library
    from core.types import Chunk

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="likewise-bench-import-") as tmp:
        base = Path(tmp)
        with Library(path=base / "lib.sqlite", model_path=args.model) as lib:
            digest = lib.versions.content_hash_of(lib.versions.active_model_id())
            dim = lib.versions.encoder().dim
            for d in range(args.import_docs):
                chunks, start = [], 0
                for i in range(args.import_passages):
                    text = f"Document {d} passage {i}: " + " ".join(
                        f"w{int(x)}" for x in rng.integers(0, 5000, 120))
                    chunks.append(Chunk(i, text, start, start + len(text)))
                    start += len(text) + 2
                vec = rng.standard_normal((len(chunks), dim)).astype(np.float32)
                vec /= np.linalg.norm(vec, axis=1, keepdims=True)
                write_shard(base / "shards", Shard(f"/synthetic/doc{d:05d}.txt", 1000 + d, 1.0e9 + d,
                                                   f"{d:064x}", digest, "indexed", chunks=chunks,
                                                   vectors=vec))
            t = time.monotonic()
            report = lib.shards.import_folder(base / "shards")
            wall = time.monotonic() - t
            size_mb = sum(p.stat().st_size for p in base.glob("lib.sqlite*")) / 1e6
            shards_mb = sum(p.stat().st_size for p in (base / "shards").rglob("*.parquet")) / 1e6
        passages = report.indexed * args.import_passages
        return {"documents": report.indexed, "passages": passages, "seconds": wall, "dim": dim,
                "documents_per_s": report.indexed / wall, "passages_per_s": passages / wall,
                "library_mb": size_mb, "shards_mb": shards_mb,
                "shard_bytes_per_passage": shards_mb * 1e6 / max(passages, 1)}


if __name__ == "__main__":
    sys.exit(main())
