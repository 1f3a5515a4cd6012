"""Shared fixtures: isolated user folders, the shared data, a tiny real BERT, libraries."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from skip_policy import (  # noqa: F401 - hooks: the skip list, and skips that fail CI
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_terminal_summary,
)

import core.offline  # noqa: F401
from tests.own_process import in_child, run_in_child

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))

# Tests that load the real model, make the int8 export or read the shared corpus are slow:
# `make test-fast` leaves them out (and the window's tests, marked gui).
SLOW_FIXTURES = {"default_model_dir", "shipped_encoder", "shipped_precision", "real_library", "shared_data"}


# Files whose tests start processes (the extraction worker, a second indexer, the CLI),
# train, export the int8 encoders or wait on a watcher: seconds each, left out of test-fast.
SLOW_FILES = {
    "test_hostile.py", "test_fast_encoder.py", "test_runtimes.py", "test_two_processes.py",
    "test_offline_openvino.py", "test_offline_ort.py", "test_train.py", "test_train_losses.py",
    "test_train_activation.py", "test_train_cli.py", "test_containers_index.py", "test_watch.py",
    "test_watch_folders.py", "test_int8_failures.py", "test_words_first.py", "test_kill_points.py",
    "test_paragraphs.py", "test_disk_full.py", "test_disk_full_injected.py", "test_embedded_ocr.py",
    "test_exclusions.py", "test_extract_isolation.py", "test_copies_rescan.py", "test_types.py",
    "test_cli_similar_page_and_dates.py", "test_similar_file.py", "test_sheets.py", "test_encoder.py",
}


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        name = item.path.name
        if name.startswith("test_gui"):
            item.add_marker(pytest.mark.gui)
        if name in SLOW_FILES or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """A test marked own_process runs in a child pytest (tests/own_process.py)."""
    if pyfuncitem.get_closest_marker("own_process") is None or in_child(pyfuncitem):
        return None
    run_in_child(pyfuncitem)
    return True


# Exact torch vectors unless a test asks for the fast int8 path (tests/core/encoder/test_fast_encoder.py),
# set at import so that session fixtures (e.g. test_encoder's `likewise eval sts`) see it too.
os.environ["LIKEWISE_PRECISION"] = "fp32"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Never touch the real user's data or settings from a test."""
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("LIKEWISE_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("LIKEWISE_CONFIG_DIR", str(base / "config"))
    # Exact torch vectors unless a test asks for the fast int8 path (tests/core/encoder/test_fast_encoder.py):
    # an int8 export is made once per model, not in every test's fresh data folder.
    monkeypatch.setenv("LIKEWISE_PRECISION", "fp32")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        # skipped with its reason; on CI a skip fails the run (tests/skip_policy.py)
        pytest.skip(f"shared data not found at {SHARED} (set LIKEWISE_SHARED_DATA)")
    return SHARED


@pytest.fixture(scope="session")
def default_model_dir() -> Path:
    from core.paths import default_model_path

    return default_model_path()


def build_tiny_bert(target: Path, max_position: int = 128, seed: int = 0) -> Path:
    """A plain BERT folder (config + safetensors + the default model's tokenizer) with
    random weights: a real model, fast, for tests where what it means does not matter."""
    import torch
    from transformers import BertConfig, BertModel

    from core.paths import default_model_path

    src = default_model_path()
    target.mkdir(parents=True, exist_ok=True)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (src / name).exists():
            shutil.copy(src / name, target / name)
    vocab = sum(1 for _ in open(src / "vocab.txt", encoding="utf-8"))
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=vocab,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max_position,
    )
    BertModel(config).save_pretrained(target, safe_serialization=True)
    return target


@pytest.fixture(scope="session")
def shipped_fast_cache(tmp_path_factory) -> Path:
    """Where the int8 exports of this session live: each model is exported (and gated)
    once per session, not in every test's fresh data folder."""
    return tmp_path_factory.mktemp("shipped-fast-models")


@pytest.fixture
def shipped_precision(monkeypatch, shipped_fast_cache, shipped_encoder) -> Path:
    """The precision the product ships (``auto``: int8 through OpenVINO or ONNX Runtime on a
    CPU) for a test that loads its encoder itself (the window); the default model's export
    is made beforehand (shipped_encoder), so the window finds it in the session's cache."""
    monkeypatch.setenv("LIKEWISE_PRECISION", "auto")
    monkeypatch.setenv("LIKEWISE_FAST_CACHE", str(shipped_fast_cache))
    return shipped_fast_cache


@pytest.fixture(scope="session")
def shipped_encoder(default_model_dir, shipped_fast_cache):
    """The default model's encoder as the product ships it on this CPU: its int8 export,
    made and gated once per session. The quality tests (search, similar paragraphs,
    paragraphs) use it; tests/core/search/test_fp32_quality.py keeps a small fp32 run."""
    from core.encoder.precision import load_encoder

    saved = {k: os.environ.get(k) for k in ("LIKEWISE_PRECISION", "LIKEWISE_FAST_CACHE")}
    os.environ["LIKEWISE_PRECISION"] = "auto"
    os.environ["LIKEWISE_FAST_CACHE"] = str(shipped_fast_cache)
    notes: list[str] = []
    try:
        encoder = load_encoder(default_model_dir, device="cpu", precision="auto", notify=notes.append)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert encoder.precision.startswith("int8"), f"the shipped precision is not int8 here: {notes}"
    return encoder


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert") / "model")


@pytest.fixture
def tiny_library(tmp_path, tiny_model_dir):
    """A Library on a fresh file, encoding with the tiny BERT."""
    from core.library import Library

    lib = Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir)
    yield lib
    lib.close()


@pytest.fixture
def real_library(tmp_path, default_model_dir):
    """A Library on a fresh file with the real default model."""
    from core.library import Library

    lib = Library(path=tmp_path / "lib.sqlite", model_path=default_model_dir)
    yield lib
    lib.close()
