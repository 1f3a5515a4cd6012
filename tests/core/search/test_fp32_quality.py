"""The small fp32 run (issue 32): the quality tests run on the precision the product ships
(int8 on a CPU: conftest's shipped_encoder); these keep a few of them on exact fp32 torch
vectors, the precision of a GPU and of the `precision: fp32` setting. The tests are the
same functions, imported; only the encoder under them differs."""

from __future__ import annotations

import pytest

from tests.core.index.test_paragraphs import (  # noqa: F401 - collected here again, on fp32
    test_clause_copied_between_different_neighbours_is_one_exact_cluster,
)
from tests.core.search.test_search import (  # noqa: F401 - collected here again, on fp32
    DOCS,
    _copy_docs,
    test_paraphrase_found_by_meaning,
    test_similar_passages_exclude_self_and_overlaps,
)


@pytest.fixture(scope="module")
def shared_encoder(default_model_dir):
    from core.encoder import SentenceEncoder

    encoder = SentenceEncoder.load(default_model_dir, device="cpu")
    assert encoder.precision == "fp32"
    return encoder


@pytest.fixture(scope="module")
def lib(tmp_path_factory, shared_data, default_model_dir, shared_encoder):
    from core.library import Library
    from core.settings import Settings

    base = tmp_path_factory.mktemp("search-fp32")
    _copy_docs(base / "docs", shared_data, list(DOCS))
    library = Library(path=base / "lib.sqlite", settings=Settings(precision="fp32"),
                      model_path=default_model_dir, encoder_factory=lambda _path: shared_encoder)
    library.add_folder(base / "docs")
    library.indexer.index()
    assert {d.status for d in library.catalog.documents()} == {"indexed"}, library.catalog.errors()
    yield library
    library.close()
