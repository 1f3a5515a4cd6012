"""Plain data passed between the engine's parts and to the interfaces."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from core.cancel import CancelToken

# Final statuses of a document.
INDEXED = "indexed"
ENCRYPTED = "encrypted"
NO_TEXT = "no_text"
ERROR = "error"
PENDING = "pending"
DOC_STATUSES = (INDEXED, ENCRYPTED, NO_TEXT, ERROR, PENDING)

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
SHEET_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv")
# Word 97-2003 and PowerPoint 97-2003: read by an external program when it is installed
# (core/extract/legacy_office.py), otherwise "needs <program>"
OLD_OFFICE_EXTENSIONS = (".doc", ".ppt")
MAIL_EXTENSIONS = (".eml", ".mbox", ".msg")
ARCHIVE_EXTENSIONS = (".zip", ".tar", ".tgz", ".gz")   # .gz only as .tar.gz (core/extract/containers.py)
# Mail and archives: containers of documents (core/extract/containers.py)
CONTAINER_EXTENSIONS = MAIL_EXTENSIONS + ARCHIVE_EXTENSIONS
SUPPORTED_EXTENSIONS = (".pdf", ".docx", ".txt", ".md", ".markdown", ".pptx", ".epub", ".html", ".htm",
                        ".odt", ".rtf") + IMAGE_EXTENSIONS + SHEET_EXTENSIONS + OLD_OFFICE_EXTENSIONS \
                       + CONTAINER_EXTENSIONS


@dataclass
class Block:
    """A paragraph-like unit of extracted text."""

    text: str
    page: int | None = None        # 1-based page for PDFs, None elsewhere
    heading: str | None = None     # the nearest heading above this block
    kind: str = "paragraph"        # paragraph | heading | table | header | footer
    ocr: bool = False              # read by OCR from a scanned page or an image
    page_end: int | None = None    # last page when the paragraph runs over a page break


@dataclass
class MailFacts:
    """Who sent a message, to whom, when (stored on its document, shown and filterable)."""

    sender: str | None = None
    recipients: str | None = None
    sent_at: float | None = None   # seconds since the epoch


@dataclass
class ExtractResult:
    status: str                    # indexed (= text found) | encrypted | no_text | error
    blocks: list[Block] = field(default_factory=list)
    pages: int | None = None       # pages; for a container, the members it holds
    title: str | None = None
    error: str | None = None       # a reason a person can read, when not indexed
    mail: MailFacts | None = None  # a mail message's sender, recipients and date
    members: list[Member] = field(default_factory=list)   # when not streamed (see Member)
    notes: list[str] = field(default_factory=list)        # parts not read, with why (broken MIME)


@dataclass
class Member:
    """A document inside a container file: a message of an mbox, an attachment of a
    message, a member of an archive. ``names`` locate it, outermost first
    (core/pathnames.py member_path); ``span`` is its byte range in an mbox."""

    names: tuple[str, ...]
    result: ExtractResult
    size: int = 0
    digest: str = ""               # sha256 of the member's bytes
    ext: str = ""
    span: tuple[int, int] | None = None


@dataclass
class Chunk:
    """A piece of a document sized for the encoder.

    Invariant: ``text == document_text[char_start:char_end]`` where document_text is
    ``"\\n\\n".join(block.text for block in blocks)``.
    """

    ord: int
    text: str
    char_start: int
    char_end: int
    page_start: int | None = None
    page_end: int | None = None
    heading: str | None = None
    ocr: bool = False              # some of its text was read by OCR
    tokens: int = 0                # the encoder's tokens, as the chunker counted them (0: not counted)


@dataclass
class IndexProgress:
    files_done: int = 0
    files_total: int = 0
    chunks_done: int = 0
    chunks_total: int = 0          # passages of this run, estimated until every file is read (0: unknown)
    chunks_per_s: float = 0.0
    eta_s: float | None = None
    current_file: str | None = None
    phase: str = "idle"            # scanning | indexing | embedding | splitting | done | cancelled
    failed: int = 0
    message: str | None = None
    scanned_page: int = 0          # OCR of the current file: page n of scanned_pages
    scanned_pages: int = 0
    # the two stages: words (files read and written: files_done of files_total) and
    # meaning (passages encoded: chunks_done of chunks_total); each has its rate and ETA
    files_per_s: float = 0.0
    words_eta_s: float | None = None
    meaning_eta_s: float | None = None
    resumed_done: int = 0          # a run that resumes a stopped one: documents already in
    resumed_total: int = 0         # the library, and those plus the files still to read

    def resume_note(self) -> str | None:
        """ "resuming: 12,345 of 50,000 documents" for a run that goes on with a stopped one."""
        if not self.resumed_total:
            return None
        return f"resuming: {self.resumed_done:,} of {self.resumed_total:,} documents"


@dataclass
class IndexReport:
    files_seen: int = 0
    indexed: int = 0
    unchanged: int = 0
    moved: int = 0
    copies: int = 0                # files found to be copies of an indexed document (not read)
    removed: int = 0
    failed: int = 0
    chunks_encoded: int = 0
    chunks_reused: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (path, status, reason)


@dataclass
class FolderInfo:
    id: int
    path: str
    paused: bool
    state: str                     # watching | polling | unavailable | error | idle | paused
    documents: int = 0
    pending: int = 0
    last_reconcile: float | None = None
    message: str | None = None


@dataclass
class DocumentInfo:
    id: int
    path: str
    title: str | None
    ext: str
    size: int
    mtime: float
    status: str
    error: str | None
    pages: int | None
    chunks: int
    indexed_at: float | None
    available: bool = True
    folder_id: int | None = None
    container_id: int | None = None  # the file's document when this one is inside it (core/catalog_members.py)
    sender: str | None = None        # a mail message's
    recipients: str | None = None
    sent_at: float | None = None
    copy_of: int | None = None     # a copy: the document holding its passages (same content)


@dataclass
class ChunkInfo:
    id: int
    document_id: int
    ord: int
    text: str
    page_start: int | None
    page_end: int | None
    heading: str | None
    char_start: int
    char_end: int
    path: str = ""
    title: str | None = None


@dataclass
class SearchResult:
    chunk_id: int
    document_id: int
    path: str
    title: str | None
    page_start: int | None
    page_end: int | None
    heading: str | None
    text: str
    score: float
    best_sentence: tuple[int, int] | None = None            # span in text
    word_spans: list[tuple[int, int]] = field(default_factory=list)
    other_hits: int = 0                                      # when grouped by document
    dense_rank: int | None = None
    keyword_rank: int | None = None
    ocr: bool = False                                        # the passage was read by OCR
    # stored paths of the other documents that hold exactly this passage's text; repeats of
    # it further down a result list are left out ("also in 2 other files")
    also_in: list[str] = field(default_factory=list)
    sender: str | None = None                                # a mail message's sender
    # an absolute number for the bar (``score`` only ranks: an RRF sum in hybrid
    # search), with what is behind it and a sentence the window shows as a tooltip
    strength: float = 0.0                                    # 0..1, core/search/scores.py
    cosine: float | None = None                              # to the query (or source passage)
    bm25: float | None = None                                # when found by its words
    explanation: str = ""


class SearchResults(list[SearchResult]):
    """A result list that can say why it is empty (``reason``: "nothing matches: ...")
    and the floor a meaning search applied."""

    def __init__(self, items: list[SearchResult] | None = None, reason: str | None = None,
                 floor: float | None = None) -> None:
        super().__init__(items or [])
        self.reason = reason
        self.floor = floor


@dataclass
class SimilarDocument:
    """A document like another one, scored from their passages (see Searcher.similar_documents)."""

    document: DocumentInfo
    score: float
    matched_passages: int = 0        # source passages whose best match lies in this document
    source_passages: int = 0         # source passages compared
    pairs: list[tuple[int, int, float]] = field(default_factory=list)  # (source chunk, target chunk, cosine)
    alike: str = ""                  # the band's word for ``score`` (core/search/scores.py)
    explanation: str = ""            # how the score was made, for a tooltip


@dataclass
class ModelInfo:
    id: int
    name: str
    path: str
    dim: int
    kind: str                        # base | finetuned | custom
    parent_id: int | None
    created_at: float
    active: bool
    target: bool
    vectors: int                     # chunks with a vector of this version
    chunks: int                      # chunks in the library
    report: dict[str, Any] | None = None

    @property
    def complete(self) -> bool:
        return self.vectors >= self.chunks


class Encoder(Protocol):
    """What indexing, search, mining and evaluation ask of an encoder. The torch
    SentenceEncoder (core/encoder/model.py) and the int8 OnnxEncoder
    (core/encoder/onnx_backend.py) both are one; training needs the torch one itself."""

    name: str
    max_seq_length: int

    @property
    def dim(self) -> int: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def encode(self, texts: Sequence[str], batch_size: int = 32,
               progress: Callable[[int, int], Any] | None = None,
               cancel: CancelToken | None = None, normalize: bool | None = None) -> np.ndarray: ...
