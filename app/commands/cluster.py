"""Cluster commands: cluster index (through Ray), cluster import (shards made elsewhere)."""

from __future__ import annotations

import sys
from typing import Any

from app.commands.common import add_common, library_path, open_library, print_json, shown


def register(sub: Any) -> None:
    p = sub.add_parser("cluster", help="index through a Ray cluster; import encoded shards")
    cluster = p.add_subparsers(dest="cluster_command", metavar="ACTION", required=True)

    q = cluster.add_parser(
        "index", help="index folders through Ray into this library",
        description="Adds the folders (if new), then extracts and chunks their files on CPU "
        "workers and encodes them on workers holding the library's model (GPU when there is "
        "one), writing one Parquet shard per file to a shared folder; the library imports each "
        "shard as it arrives. A restarted run does not encode files whose shard exists. "
        "Needs Ray: pip install 'likewise[cluster]'.")
    q.add_argument("paths", nargs="+", metavar="PATH", help="folders (at the same path on every worker)")
    q.add_argument("--address", default="local",
                   help="'local' starts Ray on this machine; otherwise an existing cluster, e.g. "
                        "ray://head:10001 or auto (default: local)")
    q.add_argument("--shards", metavar="DIR",
                   help="shard folder every worker reaches at this path (default: beside the library)")
    q.add_argument("--encoders", type=int, default=1, help="actors holding the model (default 1)")
    q.add_argument("--extractors", type=int, default=1, help="CPU actors extracting files (default 1)")
    q.add_argument("--gpus-per-encoder", type=float, default=0.0,
                   help="GPUs each encoder actor needs (0: CPU, the int8 path where it passes its gate)")
    q.add_argument("--files-per-batch", type=int, default=8, help="documents per encoder call (default 8)")
    q.add_argument("--local-cpus", type=int, help="CPUs of the local Ray instance (default: all)")
    add_common(q)
    q.set_defaults(func=cmd_cluster_index)

    q = cluster.add_parser("import", help="import encoded shards (a folder of .parquet files)")
    q.add_argument("folder", metavar="DIR")
    add_common(q)
    q.set_defaults(func=cmd_cluster_import)


def cmd_cluster_index(args: Any) -> int:
    from core.cluster.pipeline import ClusterOptions, cluster_index, require_ray

    require_ray()   # says how to install Ray before anything is opened
    shards = args.shards or str(library_path(args).with_name(library_path(args).name + "-shards"))
    options = ClusterOptions(address=args.address, shard_folder=shards, extractors=args.extractors,
                             encoders=args.encoders, gpus_per_encoder=args.gpus_per_encoder,
                             files_per_batch=args.files_per_batch, local_cpus=args.local_cpus)
    progress = None if args.json else _progress
    with open_library(args) as lib:
        run = cluster_index(lib, args.paths, options, progress=progress)
    if not args.json:
        sys.stderr.write("\n")
    result = {"files": run.files, "from_shards": run.from_shards, "passages": run.passages,
              "encoded": run.encoded, "start_s": run.start_s, "pipeline_s": run.pipeline_s,
              "import_s": run.import_s, "seconds": run.seconds, "shards": shards, **run.rates(),
              "report": run.report}
    if args.json:
        print_json(result)
        return 0
    r = run.report
    print(f"{r.indexed} indexed, {r.unchanged} unchanged, {r.removed} removed, {r.failed} not indexed; "
          f"{run.files} files sent to Ray ({run.from_shards} from existing shards), "
          f"{run.passages} passages, {run.encoded} encoded, {run.seconds:.1f} s "
          f"(Ray start {run.start_s:.1f} s, import {run.import_s:.1f} s)"
          + (" (cancelled)" if r.cancelled else ""))
    rates = run.rates()
    print(f"{rates['documents_per_s']:.2f} documents/s, {rates['passages_per_s']:.1f} passages/s; "
          f"encoder actors {rates['actor_passages_per_s']:.1f} passages/s each; shards in {shards}")
    for path, status, reason in r.failures[:20]:
        print(f"  {status:<9} {shown(path)}: {reason}")
    return 0


def _progress(run: Any) -> None:
    sys.stderr.write(f"\r{run.done}/{run.files} files, {run.passages} passages, {run.encoded} encoded")
    sys.stderr.flush()


def cmd_cluster_import(args: Any) -> int:
    with open_library(args) as lib:
        report = lib.shards.import_folder(args.folder)
    if args.json:
        print_json(report)
        return 0
    print(f"{report.indexed} imported, {report.unchanged} unchanged, {report.failed} not indexed, "
          f"{report.seconds:.1f} s")
    for path, status, reason in report.failures[:20]:
        print(f"  {status:<9} {shown(path)}: {reason}")
    return 0
