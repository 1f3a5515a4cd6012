"""The Library: the composition root that the GUI and the CLI call.

It opens the store, builds every part with what that part needs, and exposes them
(``PARTS``); callers use a part directly (``lib.catalog.documents()``,
``runner.call("label_table.label_pair", ...)`` in the window):

    lib.versions     model versions and the encoder (core/model_versions.py)
    lib.catalog      folders, documents, passages (core/catalog.py; .copies: core/copies.py)
    lib.exclusions   the patterns that keep files out (core/exclusions.py)
    lib.indexer      the job queue and the indexing pipeline (core/index/indexer.py;
                     .reconciler: what the scans found, core/index/reconcile.py)
    lib.shards       importing encoded shards (core/cluster/importer.py)
    lib.searcher     search and find similar (core/search/searcher.py)
    lib.similar_file find similar for any file (core/search/similar_file.py)
    lib.watching     following the folders (core/watch/watching.py)
    lib.label_table  labels (core/train/label_table.py)
    lib.training     fine-tuning (core/train/training.py)
    lib.miner        finding similar paragraphs (core/dupes/mining.py)
    lib.discovery    similar paragraphs and the decisions on them (core/dupes/discovery.py)
    lib.events       what happened, for whoever listens (core/events.py)

The Library keeps only what spans parts: closing, adding a folder, the exclusions (which
change what the folders hold), and the listings that join the catalog with another part.
Every public method, here and on the parts, is marked ``@reads`` or ``@writes(kinds)``
(core/changes.py): a write tells ``events.changed`` what it changed, and the window
chooses the lane from the marker. Parts talk to each other only through the constructor
arguments they were given and through ``events``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from core.catalog import Catalog
from core.changes import DOCUMENTS, EXCLUSIONS, FOLDERS, QUEUE, reads, writes
from core.cluster.importer import ShardImporter
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
from core.search.similar_file import SimilarFile
from core.settings import Settings
from core.store import Store
from core.train.label_table import Labels
from core.train.training import Training
from core.watch.watching import Watching

if TYPE_CHECKING:  # pragma: no cover
    from core.types import FolderInfo


class Library:
    """A library file plus the encoder that fills it.

    ``encoder_factory`` (tests) builds an encoder from a model path instead of loading
    one with core.encoder.
    """

    # The parts a caller reaches (by attribute, dotted for a part's own part); every public
    # method of each is marked @reads or @writes (tests/test_architecture.py).
    PARTS = ("versions", "catalog", "catalog.copies", "exclusions", "indexer", "indexer.reconciler",
             "shards", "searcher", "similar_file", "watching", "label_table", "training", "miner",
             "discovery")

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
        self.miner = Miner(self.store, self.versions, self.catalog, self.events)
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

    # -- exclusions: a pattern changes what the folders hold --------------------------------
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
        return self.indexer.reconcile(folder_id)

    def _folder_id(self, folder: Path | str | None) -> int | None:
        if folder is None:
            return None
        return self.catalog.folder_id(folder)

    # -- what the catalog holds, with what other parts know of it ---------------------------
    @reads
    def folders(self) -> list[FolderInfo]:
        """The chosen folders, each with its watching state."""
        return self.catalog.folders(self.watching.state_of)

    @reads
    def folder(self, folder_id: int) -> FolderInfo:
        return self.catalog.folder(folder_id, self.watching.state_of)

    @reads
    def status_counts(self) -> dict[str, int]:
        """Documents by status, passages, and ``by_meaning``: the passages that can be
        searched by meaning (the rest are waiting for the encoder)."""
        return self.catalog.status_counts(self.versions.active_model_id())

    @reads
    def change_stamp(self) -> int:
        """Moves whenever anything is committed to the library, by any process (a view
        that shows the library polls it to know when to read again)."""
        return self.store.change_stamp()
