"""The Library: the composition root that the GUI and the CLI call.

It opens the store, builds every part with what that part needs, and exposes them:

    lib.versions    model versions and the encoder (core/model_versions.py)
    lib.catalog     folders, documents, passages (core/catalog.py)
    lib.indexer     the job queue and the indexing pipeline (core/index/indexer.py)
    lib.searcher    search and find similar (core/search/searcher.py)
    lib.watching    following the folders (core/watch/watching.py)
    lib.label_table labels (core/train/label_table.py)
    lib.training    fine-tuning (core/train/training.py)
    lib.discovery   similar paragraphs (core/dupes/discovery.py, mining.py)
    lib.events      what happened, for whoever listens (core/events.py)

The methods below are thin delegates to those parts, kept so that the CLI, the window,
the benches and the tests call one object. Each is marked ``@reads`` or
``@writes(kinds)`` (core/changes.py): a write tells ``events.changed`` what it changed,
and the window chooses the lane from the marker. Parts talk to each other only through the
constructor arguments they were given and through ``events``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.catalog import Catalog
from core.changes import (
    DOCUMENTS,
    EXCLUSIONS,
    FOLDERS,
    LABELS,
    MODELS,
    QUEUE,
    SIMILAR,
    reads,
    writes,
)
from core.cluster.importer import ShardImporter
from core.copies import CopyGroup
from core.dupes.discovery import Discovery
from core.dupes.mining import Miner
from core.errors import NotFoundError
from core.events import Events
from core.exclusions import Exclusion, Exclusions
from core.index.indexer import Indexer
from core.index.jobs import JobQueue
from core.model_versions import (  # noqa: F401 - the keys' historical home
    ACTIVE_MODEL_KEY,
    CHOSEN_MODEL_KEY,
    TARGET_MODEL_KEY,
    EncoderFactory,
    ModelVersions,
)
from core.search.searcher import Searcher
from core.search.similar_file import SimilarFile, SimilarToFile
from core.settings import Settings
from core.store import Store
from core.train.label_table import Labels
from core.train.training import Training
from core.watch.watching import Watching

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterable

    from core.cancel import CancelToken
    from core.dupes.mining import ProgressFn as MiningProgressFn
    from core.dupes.types import DiffOp, DuplicateCluster, DuplicatePair, MiningReport
    from core.index.indexer import ProgressFn
    from core.search.accel import Accelerator
    from core.search.filters import SearchFilters
    from core.train.types import ImportReport, LabelInfo, TrainPlan, TrainResult
    from core.types import (
        ChunkInfo,
        DocumentInfo,
        Encoder,
        FolderInfo,
        IndexReport,
        ModelInfo,
        SearchResult,
        SimilarDocument,
    )
    from core.watch.status import FolderWatchStatus
    from core.watch.watcher import EventFn


class Library:
    """A library file plus the encoder that fills it.

    ``encoder_factory`` (tests) builds an encoder from a model path instead of loading
    one with core.encoder.
    """

    def __init__(
        self,
        path: Path | str | None = None,
        settings: Settings | None = None,
        model_path: Path | str | None = None,
        encoder_factory: EncoderFactory | None = None,
    ) -> None:
        self.settings = settings or Settings.load()
        self.path = Path(path) if path else self.settings.resolved_library_path()
        self.store = Store(self.path)
        self._closed = False
        self.events = Events()
        self.versions = ModelVersions(self.store, self.settings, self.events, encoder_factory)
        base = Path(model_path) if model_path else self.settings.resolved_model_path()
        self.versions.ensure_model(base)
        self.catalog = Catalog(self.store, self.events)
        self.exclusions = Exclusions(self.store, self.catalog, JobQueue(self.store))
        self.indexer = Indexer(self.store, self.settings, self.versions, self.catalog, self.events,
                               self.exclusions)
        self.shards = ShardImporter(self.store, self.settings, self.versions, self.catalog,
                                    self.indexer.jobs, self.events)
        self.searcher = Searcher(self.store, self.versions, self.catalog, self.events)
        self.similar_file = SimilarFile(self.catalog, self.versions, self.searcher, self.indexer.new_extractor,
                                        self.indexer.extract_options, self.indexer.chunk)
        self.watching = Watching(self.indexer, self.catalog, self.events)
        self.label_table = Labels(self.store, self.catalog, self.events)
        self.training = Training(self.settings, self.versions, self.label_table, self.events)
        self.miner = Miner(self.store, self.versions, self.catalog, self.events,
                           graph=self.searcher.accelerator)
        self.discovery = Discovery(self.store, self.versions, self.catalog, self.miner, self.label_table,
                                   self.events)

    # -- lifecycle ------------------------------------------------------------------
    @writes(long=True)
    def close(self) -> None:
        """Stop watching (a job in progress stops at a consistent point), end the
        extraction worker, save the search graphs, drop mining's vectors, close the store."""
        if self._closed:
            return
        self._closed = True
        self.watching.close()
        self.indexer.close()
        self.searcher.close()
        self.miner.close()
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- folders that need more than one part -------------------------------------------
    @writes(FOLDERS, DOCUMENTS, QUEUE)
    def add_folder(self, path: Path | str, follow_links: bool | None = None) -> FolderInfo:
        """Watch a folder (an OS path). Links inside it that lead elsewhere are followed
        only with ``follow_links`` (default: the setting of that name)."""
        follow = self.settings.follow_links if follow_links is None else follow_links
        return self.folder(self.catalog.add_folder(path, follow))

    # -- exclusions (core/exclusions.py) -------------------------------------------------
    @reads
    def exclusion_list(self) -> list[Exclusion]:
        return self.exclusions.list()

    @reads
    def exclusion_counts(self, rescan: bool = False) -> dict[Exclusion, int]:
        """Files and folders each pattern kept out in the last scan of each folder
        (``rescan``: walk the folders now to count, queueing nothing)."""
        if rescan:
            self.exclusions.count_now(self.catalog.folder_rows())
        return self.exclusions.counts()

    @writes(EXCLUSIONS, FOLDERS, DOCUMENTS, QUEUE)
    def add_exclusion(self, pattern: str, folder: Path | str | None = None) -> int:
        """Leave files matching a gitignore pattern out (of every folder, or of one):
        its documents leave the library now, and the unsupported files it matches are no
        longer listed. Returns how many went."""
        folder_id = self._folder_id(folder)
        removed = self.exclusions.add(pattern, folder_id)
        self.indexer.reconciler.recount_unsupported(folder_id)
        return removed

    @writes(EXCLUSIONS, FOLDERS, DOCUMENTS, QUEUE)
    def remove_exclusion(self, pattern: str, folder: Path | str | None = None) -> int:
        """Forget a pattern and re-scan the folders it applied to (its files come back
        with the next indexing run). Returns the jobs queued."""
        folder_id = self._folder_id(folder)
        if not self.exclusions.remove(pattern, folder_id):
            raise NotFoundError(f"no such exclusion: {pattern!r}")
        return self.reconcile(folder_id)

    def _folder_id(self, folder: Path | str | None) -> int | None:
        if folder is None:
            return None
        return self.catalog.folder_id(folder)

    @reads
    def folders(self) -> list[FolderInfo]:
        return self.catalog.folders(self.watching.state_of)

    @reads
    def folder(self, folder_id: int) -> FolderInfo:
        return self.catalog.folder(folder_id, self.watching.state_of)

    @reads
    def scan_problems(self) -> list[tuple[str, str]]:
        """(stored path, reason) of every place the last scans could not look at."""
        return self.indexer.reconciler.scan_problems()

    @reads
    def unsupported_files(self) -> list[tuple[str, int, int, str]]:
        """(extension, files, bytes, an example stored path) of the files in the folders
        that Likewise does not read ("not a supported type"), the most numerous first."""
        return self.indexer.reconciler.unsupported()

    @property
    @reads
    def indexing_paused(self) -> bool:
        return self.indexer.paused

    @property
    @reads
    def is_watching(self) -> bool:
        return self.watching.is_watching

    # -- model versions -------------------------------------------------------------------
    @reads
    def active_model_id(self) -> int:
        return self.versions.active_model_id()

    @reads
    def target_model_id(self) -> int | None:
        return self.versions.target_model_id()

    @reads
    def model_row(self, model_id: int) -> dict:
        return self.versions.model_row(model_id)

    @reads
    def encoder(self, model_id: int | None = None) -> Encoder:
        return self.versions.encoder(model_id=model_id)

    @reads
    def vector_precisions(self, model_id: int | None = None) -> dict[str, int]:
        return self.versions.vector_precisions(model_id)

    @property
    @reads
    def encoder_notes(self) -> list[str]:
        """What the encoder's loading had to say (e.g. the int8 export failed its gate)."""
        return self.versions.encoder_notes

    @reads
    def models_to_fill(self) -> list[int]:
        return self.versions.models_to_fill()

    @writes(MODELS, DOCUMENTS, QUEUE, long=True)
    def begin_model_switch(self, model_id: int) -> None:
        return self.versions.begin_switch(model_id)

    @reads
    def model_switch_progress(self) -> tuple[int, int] | None:
        return self.versions.switch_progress()

    @reads
    def models(self) -> list[ModelInfo]:
        return self.versions.models()

    @writes(MODELS, DOCUMENTS, QUEUE, long=True)
    def activate_model(self, model_id: int) -> bool:
        return self.versions.activate(model_id)

    @writes(MODELS)
    def delete_model(self, model_id: int) -> None:
        return self.versions.delete(model_id)

    @writes(MODELS)
    def discard_model(self, model_id: int) -> None:
        return self.versions.discard(model_id)

    @reads
    def training_report(self, model_id: int) -> dict | None:
        return self.versions.training_report(model_id)

    # -- folders, documents and passages (core/catalog.py) --------------------------------
    @writes(FOLDERS, DOCUMENTS, QUEUE)
    def remove_folder(self, path: Path | str) -> int:
        return self.catalog.remove_folder(path)

    @writes(FOLDERS, QUEUE)
    def set_folder_paused(self, path: Path | str, paused: bool) -> None:
        return self.catalog.set_folder_paused(path, paused)

    @writes(FOLDERS)
    def mark_folder_available(self, folder_id: int, available: bool) -> bool:
        return self.catalog.mark_folder_available(folder_id, available)

    @reads
    def documents(self, folder: Path | str | None = None, status: str | None = None) -> list[DocumentInfo]:
        return self.catalog.documents(folder=folder, status=status)

    @reads
    def document(self, doc: int | str | Path) -> DocumentInfo:
        return self.catalog.document(doc)

    @reads
    def status_counts(self) -> dict[str, int]:
        """Documents by status, passages, and ``by_meaning``: the passages that can be
        searched by meaning (the rest are waiting for the encoder)."""
        return self.catalog.status_counts(self.versions.active_model_id())

    @reads
    def copies(self) -> list[CopyGroup]:
        """Documents found in more than one place ("same file in N places")."""
        return self.catalog.copies.groups()

    @reads
    def change_stamp(self) -> int:
        """Moves whenever anything is committed to the library, by any process (a view
        that shows the library polls it to know when to read again)."""
        return self.store.change_stamp()

    @reads
    def errors(self) -> list[DocumentInfo]:
        return self.catalog.errors()

    @reads
    def chunk(self, chunk_id: int) -> ChunkInfo:
        return self.catalog.chunk(chunk_id)

    @reads
    def chunks_of(self, document_id: int) -> list[ChunkInfo]:
        return self.catalog.chunks_of(document_id)

    @reads
    def neighbours(self, chunk_id: int, before: int = 1, after: int = 1) -> list[ChunkInfo]:
        return self.catalog.neighbours(chunk_id, before=before, after=after)

    # -- indexing (core/index) ------------------------------------------------------------
    @writes(DOCUMENTS, long=True)
    def index(self, progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> IndexReport:
        return self.indexer.index(progress=progress, cancel=cancel)

    @writes(DOCUMENTS, QUEUE)
    def reconcile(self, folder_id: int | None = None) -> int:
        return self.indexer.reconcile(folder_id=folder_id)

    @writes(DOCUMENTS, QUEUE)
    def enqueue_paths(self, paths: Iterable[Path | str]) -> int:
        return self.indexer.enqueue_paths(paths)

    @writes(DOCUMENTS, QUEUE)
    def reindex_document(self, doc_id: int) -> None:
        return self.indexer.reindex_document(doc_id)

    @writes(DOCUMENTS, QUEUE)
    def reread_scans(self) -> int:
        return self.indexer.reread_scans()

    @reads
    def pending_jobs(self) -> int:
        return self.indexer.pending_jobs()

    @writes()
    def pause_indexing(self, paused: bool) -> None:
        return self.indexer.pause(paused)

    @writes(DOCUMENTS, long=True)
    def process_jobs(
        self, progress: ProgressFn | None = None, cancel: CancelToken | None = None,
    ) -> IndexReport:
        return self.indexer.process_jobs(progress=progress, cancel=cancel)

    @writes(DOCUMENTS, QUEUE, long=True)
    def import_shards(self, folder: Path | str, progress: Any = None,
                      cancel: CancelToken | None = None) -> IndexReport:
        """Import encoded shards made by a cluster run or elsewhere (core/cluster)."""
        return self.shards.import_folder(folder, progress=progress, cancel=cancel)

    # -- search (core/search) -------------------------------------------------------------
    @reads
    def accelerator(self, model_id: int | None = None) -> Accelerator:
        return self.searcher.accelerator(model_id=model_id)

    @reads
    def search(self, query: str, mode: str = "hybrid", k: int = 10, filters: SearchFilters | None = None,
               group_by_document: bool = False, advanced: bool = False, snippets: bool = True,
               ) -> list[SearchResult]:
        return self.searcher.search(
            query, mode=mode, k=k, filters=filters, group_by_document=group_by_document, advanced=advanced,
            snippets=snippets,
        )

    @reads
    def similar_to_text(self, text: str, k: int = 10, mode: str = "hybrid", filters: SearchFilters | None = None,
                        group_by_document: bool = False) -> list[SearchResult]:
        return self.searcher.similar_to_text(
            text, k=k, mode=mode, filters=filters, group_by_document=group_by_document,
        )

    @reads
    def add_best_sentences(self, results: list[SearchResult], query: str) -> None:
        return self.searcher.add_best_sentences(results, query)

    @reads
    def similar_to_chunk(self, chunk_id: int, k: int = 10, same_document: bool = False,
                         filters: SearchFilters | None = None, snippets: bool = True) -> list[SearchResult]:
        return self.searcher.similar_to_chunk(
            chunk_id, k=k, same_document=same_document, filters=filters, snippets=snippets,
        )

    @reads
    def similar_to_file(self, path: Path | str, k: int = 10) -> SimilarToFile:
        """Documents and passages like any file: a document of the library, or a file read
        and encoded on the spot and never written to the library."""
        return self.similar_file.similar_to_file(path, k=k)

    @reads
    def similar_documents(
        self, doc_id: int, k: int = 10, filters: SearchFilters | None = None,
    ) -> list[SimilarDocument]:
        return self.searcher.similar_documents(doc_id, k=k, filters=filters)

    # -- watching (core/watch) ------------------------------------------------------------
    @writes(long=True)
    def start_watching(self, on_event: EventFn | None = None, reconcile_interval_s: float | None = None,
                       debounce_s: float = 1.0, use_polling: bool | None = None, poll_interval_s: float = 1.0,
                       ) -> None:
        return self.watching.start_watching(
            on_event=on_event, reconcile_interval_s=reconcile_interval_s, debounce_s=debounce_s,
            use_polling=use_polling, poll_interval_s=poll_interval_s,
        )

    @writes(long=True)
    def stop_watching(self, timeout: float = 5) -> bool:
        return self.watching.stop_watching(timeout=timeout)

    @reads
    def watch_status(self) -> list[FolderWatchStatus]:
        return self.watching.watch_status()

    @writes()
    def request_reconcile(self) -> None:
        return self.watching.request_reconcile()

    # -- labels and training (core/train) -------------------------------------------------
    @writes(LABELS)
    def add_label(
        self,
        kind: str,
        text1: str,
        text2: str,
        label: float | bool | None = None,
        text3: str | None = None,
        chunk1: int | None = None,
        chunk2: int | None = None,
        source: str = "window",
        query: str | None = None,
        scale: float = 1.0,
    ) -> int:
        return self.label_table.add_label(
            kind, text1, text2, label=label, text3=text3, chunk1=chunk1, chunk2=chunk2, source=source,
            query=query, scale=scale,
        )

    @writes(LABELS)
    def label_relevance(self, query: str, chunk_id: int, relevant: bool) -> int:
        return self.label_table.label_relevance(query, chunk_id, relevant)

    @writes(LABELS)
    def label_pair(self, chunk_a: int, chunk_b: int, similar: bool, source: str = "window") -> int:
        return self.label_table.label_pair(chunk_a, chunk_b, similar, source=source)

    @reads
    def labels(
        self, kind: str | None = None, limit: int | None = None, search: str | None = None,
    ) -> list[LabelInfo]:
        return self.label_table.labels(kind=kind, limit=limit, search=search)

    @reads
    def label(self, label_id: int) -> LabelInfo:
        return self.label_table.label(label_id)

    @reads
    def label_counts(self) -> dict[str, int]:
        return self.label_table.label_counts()

    @reads
    def label_marks(self, chunk_ids: list[int], query: str | None = None,
                    source: int | None = None) -> dict[int, bool]:
        return self.label_table.marks(chunk_ids, query=query, source=source)

    @writes(LABELS)
    def delete_labels(self, ids: list[int]) -> int:
        return self.label_table.delete_labels(ids)

    @writes(LABELS)
    def import_labels(self, path: Path | str) -> ImportReport:
        return self.label_table.import_labels(path)

    @reads
    def export_labels(self, path: Path | str, kind: str | None = None) -> int:
        return self.label_table.export_labels(path, kind=kind)

    @reads
    def train_plan(self, loss: str | None = None) -> TrainPlan:
        return self.training.train_plan(loss=loss)

    @writes(MODELS, long=True)
    def train(
        self,
        loss: str | None = None,
        epochs: int = 1,
        held_out: float = 0.2,
        batch_size: int = 16,
        lr: float = 2e-05,
        seed: int = 42,
        device: str | None = None,
        progress: Any = None,
        cancel: CancelToken | None = None,
        general_pairs: Path | str | None = None,
        check_forgetting: bool = True,
        name: str | None = None,
    ) -> TrainResult:
        return self.training.train(
            loss=loss, epochs=epochs, held_out=held_out, batch_size=batch_size, lr=lr, seed=seed,
            device=device, progress=progress, cancel=cancel, general_pairs=general_pairs,
            check_forgetting=check_forgetting, name=name,
        )

    # -- similar paragraphs (core/dupes) --------------------------------------------------
    @writes(SIMILAR, long=True)
    def mine_duplicates(self, near: float | None = None, related: float | None = None, same_document: bool = False,
                        progress: MiningProgressFn | None = None, cancel: CancelToken | None = None,
                        full: bool = False) -> MiningReport:
        return self.discovery.mine_duplicates(
            near=near, related=related, same_document=same_document, progress=progress, cancel=cancel,
            full=full,
        )

    @reads
    def duplicate_thresholds(self) -> tuple[float, float]:
        return self.discovery.duplicate_thresholds()

    @reads
    def duplicates_pending(self) -> int:
        return self.discovery.duplicates_pending()

    @reads
    def duplicate_pairs(
        self,
        kind: str | None = None,
        folder: Path | str | None = None,
        min_score: float | None = None,
        include_ignored: bool = False,
        document_id: int | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[DuplicatePair]:
        return self.discovery.duplicate_pairs(
            kind=kind, folder=folder, min_score=min_score, include_ignored=include_ignored,
            document_id=document_id, limit=limit, offset=offset,
        )

    @reads
    def duplicate_pair(self, pair_id: int) -> DuplicatePair:
        return self.discovery.duplicate_pair(pair_id)

    @reads
    def duplicate_clusters(
        self,
        kind: str | None = None,
        folder: Path | str | None = None,
        min_size: int = 2,
        document_id: int | None = None,
        include_ignored: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[DuplicateCluster]:
        return self.discovery.duplicate_clusters(
            kind=kind, folder=folder, min_size=min_size, document_id=document_id,
            include_ignored=include_ignored, limit=limit, offset=offset,
        )

    @reads
    def duplicate_cluster(self, cluster_id: int) -> DuplicateCluster:
        return self.discovery.duplicate_cluster(cluster_id)

    @writes(SIMILAR, LABELS)
    def decide_pair(self, pair_id: int, decision: str) -> None:
        return self.discovery.decide_pair(pair_id, decision)

    @writes(SIMILAR, LABELS)
    def decide_cluster(self, cluster_id: int, decision: str) -> None:
        return self.discovery.decide_cluster(cluster_id, decision)

    @reads
    def pair_decision(self, pair_id: int) -> str | None:
        return self.discovery.pair_decision(pair_id)

    @reads
    def pair_diff(self, pair_id: int) -> list[DiffOp]:
        return self.discovery.pair_diff(pair_id)

