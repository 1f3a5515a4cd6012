"""The grouped encode: the vectors of several prepared documents' chunks, under every
model version that must be filled, in one encoder call per version.

A text this model version has encoded before (same text hash) is not encoded again:
its stored vector is reused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from core import faults
from core.cancel import CancelToken
from core.catalog import Catalog, text_hash
from core.types import IndexReport

if TYPE_CHECKING:  # pragma: no cover
    from core.types import Encoder

EncoderOf = Callable[[int], "Encoder"]   # model id -> encoder (ModelVersions.encoder)
Counted = Callable[[int, str, int], None]        # (model id, precision, vectors): ModelVersions.record_precision
Encoded = Callable[[int], None]                  # texts of the group encoded so far (after each batch)


def encode_group(
    texts_per_doc: list[list[str]], model_ids: list[int], catalog: Catalog, encoder_of: EncoderOf,
    batch_size: int, report: IndexReport, cancel: CancelToken | None, counted: Counted | None = None,
    encoded: Encoded | None = None,
) -> dict[int, list[np.ndarray]]:
    """{model id: one matrix per document} for the chunk texts of a group of documents;
    ``encoded(n)`` after each batch the encoder finishes (n texts of the group so far)."""
    vectors: dict[int, list[np.ndarray]] = {}
    for model_id in model_ids:
        texts = [t for doc in texts_per_doc for t in doc]
        faults.checkpoint("encode")
        mat = vectors_for_texts(model_id, texts, catalog, encoder_of, batch_size, report, cancel, counted,
                                encoded)
        vectors[model_id] = []
        start = 0
        for doc in texts_per_doc:
            vectors[model_id].append(mat[start : start + len(doc)])
            start += len(doc)
    return vectors


def vectors_for_texts(
    model_id: int, texts: list[str], catalog: Catalog, encoder_of: EncoderOf, batch_size: int,
    report: IndexReport, cancel: CancelToken | None, counted: Counted | None = None,
    encoded: Encoded | None = None,
) -> np.ndarray:
    """Vectors for ``texts`` under ``model_id``: reused by text hash where this model
    has already encoded the same text, encoded otherwise."""
    enc = encoder_of(model_id)
    hashes = [text_hash(t) for t in texts]
    known = catalog.known_vectors(model_id, set(hashes))
    missing = sorted({h: i for i, h in enumerate(hashes) if h not in known}.values())
    out = np.zeros((len(texts), enc.dim), dtype=np.float32)
    if missing:
        reused = len(texts) - len(missing)
        if encoded is None:
            mat = enc.encode([texts[i] for i in missing], batch_size=batch_size, cancel=cancel)
        else:
            mat = enc.encode([texts[i] for i in missing], batch_size=batch_size, cancel=cancel,
                             progress=lambda done, _total: encoded(reused + done))
        for row, i in enumerate(missing):
            known[hashes[i]] = mat[row]
        report.chunks_encoded += len(missing)
        if counted is not None:   # int8 and fp32 vectors of one version are told apart
            kind = getattr(enc, "vector_kind", None) or getattr(enc, "precision", "fp32")
            counted(model_id, str(kind), len(missing))
    report.chunks_reused += len(texts) - len(missing)
    for i, h in enumerate(hashes):
        out[i] = known[h]
    return out
