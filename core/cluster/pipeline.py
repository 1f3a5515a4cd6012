"""A cluster run: index folders through Ray Data into the same library.

    the library's folders (added if new) -> reconcile (the local scan, link and skip
    rules) -> the queued file jobs -> Ray Data:
        from_items(jobs)
        .map_batches(ExtractWork, CPU actors)      stat, hash, shard found? extract, chunk
        .map_batches(EncodeWork, model actors)     encode, write shards
    -> as each file's record arrives here: ShardImporter.import_record (one transaction
    per document, its job done in it) -> what is left (deletes, model switch) by the
    local indexer.

The library stays on this machine (the driver); workers need the files at the same
paths and the shard folder (a shared folder) at the same path. The model goes to the
workers from the library (its files in the actor's arguments, their content hash checked
on each worker: core/cluster/work.py), so a fine-tuned version is used the same way.
Ray is imported only here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.cancel import CancelToken
from core.cluster.importer import ShardImporter, hold_run_lock
from core.cluster.work import READY, EncodeWork, ExtractWork, pack_model
from core.errors import Cancelled, InvalidInputError, NotFoundError
from core.types import IndexReport

INSTALL_HINT = "Cluster runs need Ray: pip install 'likewise[cluster]' (Ray Data and pyarrow)"
LOCAL = "local"

Progress = Callable[["ClusterRun"], None]


@dataclass
class ClusterOptions:
    address: str = LOCAL          # "local", or an existing cluster (ray://head:10001, auto)
    shard_folder: str = ""        # a folder every worker and this machine reach at this path
    extractors: int = 1           # CPU actors extracting files
    encoders: int = 1             # actors holding the model
    gpus_per_encoder: float = 0.0
    cpus_per_actor: float = 1.0
    files_per_batch: int = 8      # documents per encoder call (their passages encoded together)
    local_cpus: int | None = None  # CPUs of the local instance ("local" only; None: all)


@dataclass
class ClusterRun:
    """What a cluster run did and how fast: files, passages, and where the time went."""

    report: IndexReport = field(default_factory=IndexReport)
    files: int = 0                 # file jobs sent to the cluster
    done: int = 0                  # records imported so far
    from_shards: int = 0           # files whose shard existed (not extracted nor encoded again)
    passages: int = 0              # passages imported
    encoded: int = 0               # passages the actors encoded in this run
    encode_s: float = 0.0          # actor time spent in the encoder (summed over actors)
    start_s: float = 0.0           # connecting to / starting Ray
    pipeline_s: float = 0.0        # from the first record asked for to the last imported
    import_s: float = 0.0          # time spent writing into the library
    seconds: float = 0.0
    current: str | None = None

    def rates(self) -> dict[str, float]:
        wall = max(self.seconds, 1e-9)
        return {
            "documents_per_s": self.report.indexed / wall,
            "passages_per_s": self.passages / wall,
            "actor_passages_per_s": self.encoded / self.encode_s if self.encode_s else 0.0,
        }


def require_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise InvalidInputError(INSTALL_HINT) from exc
    return ray


def cluster_index(lib: Any, paths: Sequence[str | Path], options: ClusterOptions,
                  progress: Progress | None = None, cancel: CancelToken | None = None) -> ClusterRun:
    """Index ``paths`` (folders, added to the library if new) through Ray."""
    ray = require_ray()
    if not options.shard_folder:
        raise InvalidInputError("a cluster run needs a shard folder (--shards DIR)")
    started = time.monotonic()
    run = ClusterRun()
    for path in paths:
        try:
            folder_id = lib.catalog.folder_id(path)
        except NotFoundError:
            folder_id = lib.add_folder(path).id
        lib.indexer.reconcile(folder_id)
    jobs = lib.indexer.jobs.file_jobs()
    run.files = len(jobs)
    importer = ShardImporter(lib.store, lib.settings, lib.versions, lib.catalog, lib.indexer.jobs,
                             lib.events)
    touched: list[int] = []
    lock = hold_run_lock(lib.store.path, cancel)
    try:
        if jobs:
            _run_pipeline(ray, lib, importer, jobs, options, run, touched, progress, cancel)
    except Cancelled:
        run.report.cancelled = True
    finally:
        lock.release()
        if touched:
            lib.events.documents_indexed.emit(touched)
    if not run.report.cancelled:
        rest = lib.indexer.process_jobs(cancel=cancel)  # deletes, a model switch, anything left
        for name in ("indexed", "unchanged", "moved", "removed", "failed", "chunks_encoded"):
            setattr(run.report, name, getattr(run.report, name) + getattr(rest, name))
        run.report.failures.extend(rest.failures)
    run.seconds = run.report.seconds = time.monotonic() - started
    return run


def _run_pipeline(ray: Any, lib: Any, importer: ShardImporter, jobs: list, options: ClusterOptions,
                  run: ClusterRun, touched: list[int], progress: Progress | None,
                  cancel: CancelToken | None) -> None:
    from core.encoder.precision import requested_precision

    versions, settings = lib.versions, lib.settings
    model_id = versions.active_model_id()
    model_hash = versions.content_hash_of(model_id)
    bundle = pack_model(versions.model_folder(model_id))
    shard_folder = str(Path(options.shard_folder).expanduser().resolve())
    os.makedirs(shard_folder, exist_ok=True)
    t0 = time.monotonic()
    started_here = _connect(ray, options)
    run.start_s = time.monotonic() - t0
    try:
        ds = ray.data.from_items([{"path": j.path, "job_id": j.id, "folder_id": j.folder_id} for j in jobs])
        ds = ds.map_batches(
            ExtractWork, batch_size=1, batch_format="numpy",
            fn_constructor_kwargs={"shard_folder": shard_folder, "model_bundle": bundle,
                                   "model_hash": model_hash,
                                   "timeout_s": settings.extract_timeout_s,
                                   "memory_mb": settings.extract_memory_mb,
                                   "ocr": bool(settings.ocr_enabled),
                                   "max_tokens": settings.chunk_max_tokens,
                                   "overlap_sentences": settings.chunk_overlap_sentences},
            concurrency=max(1, options.extractors), num_cpus=options.cpus_per_actor)
        ds = ds.map_batches(
            EncodeWork, batch_size=max(1, options.files_per_batch), batch_format="numpy",
            fn_constructor_kwargs={"shard_folder": shard_folder, "model_bundle": bundle,
                                   "model_hash": model_hash,
                                   "precision": requested_precision(settings.precision),
                                   "device": settings.device, "batch_size": settings.batch_size},
            concurrency=max(1, options.encoders), num_cpus=options.cpus_per_actor,
            num_gpus=options.gpus_per_encoder or None)
        t1 = time.monotonic()
        rows = iter(ds.iter_rows())
        try:
            for row in rows:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                _import_row(importer, dict(row), run, touched, cancel)
                if progress is not None:
                    progress(run)
        finally:
            # A stop leaves Ray Data's streaming executor running until its generator is
            # closed; closed later by the garbage collector (after ray.shutdown, in any
            # thread) it took the whole process down. Close it here, before shutdown.
            close = getattr(rows, "close", None)
            if close is not None:
                close()
        run.pipeline_s = time.monotonic() - t1
    finally:
        if started_here:
            ray.shutdown()


def _import_row(importer: ShardImporter, row: dict[str, Any], run: ClusterRun, touched: list[int],
                cancel: CancelToken | None) -> None:
    row = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
    run.current = row["path"]
    if row["status"] == READY:
        run.from_shards += 1
    t = time.monotonic()
    doc_id = importer.import_record(row, run.report, cancel)
    run.import_s += time.monotonic() - t
    run.done += 1
    run.encoded += int(row["encoded"] or 0)
    run.encode_s += float(row["encode_s"] or 0.0)
    if doc_id is not None:
        touched.append(doc_id)
        run.passages += int(row["passages"] or 0) or _passages_of(importer, doc_id)
    run.report.chunks_encoded += int(row["encoded"] or 0)


def _passages_of(importer: ShardImporter, doc_id: int) -> int:
    return len(importer.catalog.chunk_ids_of(doc_id))


def _connect(ray: Any, options: ClusterOptions) -> bool:
    """Start a local instance or join a cluster; True when this call started Ray."""
    env = {"env_vars": {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}}
    if ray.is_initialized():
        return False
    if options.address == LOCAL:
        ray.init(num_cpus=options.local_cpus or os.cpu_count(), include_dashboard=False,
                 runtime_env=env, log_to_driver=False, configure_logging=False)
    else:
        ray.init(address=options.address, runtime_env=env, log_to_driver=False)
    return True
