"""The Sentence-BERT encoder: parity with sentence-transformers (the test oracle) on the
default model and on a tiny random BERT with every pooling mode, the STSb figure, and
encode()'s contract (order, truncation, progress, cancel, bad input, no network)."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import socket
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from core.cancel import CancelToken
from core.encoder import SentenceEncoder, choose_device
from core.encoder.device import cpu_cores
from core.errors import Cancelled, ModelError, UnsafeWeightsError
from core.evaluation.stats import rankdata, spearman
from core.evaluation.sts import read_sts

TOL = 1e-5
PUBLISHED_STSB = 82.03

MIXED_TEXTS = [
    "A man is playing a guitar.",
    "",
    "Short.",
    "The quick brown fox jumps over the lazy dog, while the cat watches from the windowsill "
    "and wonders why anyone would bother jumping over a dog at all.",
    "Ünïcödé, accents and ÇAPITALS: déjà vu!",
    "   leading and trailing spaces   ",
    "tabs\tand\nnew lines",
    "word " * 300,                       # past 128 and 256 tokens: truncated
    "Numbers 3.14159 and dates 2024-01-01 and emails someone@example.org.",
    "a",
    ("Sentence-BERT encodes every paragraph once; a query then costs one forward pass. " * 400),  # very long
    "The same sentence, twice.",
    "The same sentence, twice.",
]


def _st():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer


def _st_encode(model, texts: list[str], batch_size: int = 32) -> np.ndarray:
    return model.encode(texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def default_encoder(default_model_dir) -> SentenceEncoder:
    return SentenceEncoder.load(default_model_dir, device="cpu")


@pytest.fixture(scope="session")
def sts_test_file(shared_data) -> Path:
    return shared_data / "stsbenchmark" / "sts-test.csv"


@pytest.fixture(scope="session")
def sts_cli_run(sts_test_file):
    """`likewise eval sts` on sts-test.csv, run once in-process. A spy records what the
    real encode() returned, so the parity test does not encode the test set again."""
    from app.cli import main

    calls: list[tuple[list[str], np.ndarray]] = []
    real_encode = SentenceEncoder.encode

    def spy(self, texts, *args, **kwargs):
        out = real_encode(self, texts, *args, **kwargs)
        calls.append((list(texts), out.copy()))
        return out

    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SentenceEncoder, "encode", spy)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            rc = main(["--device", "cpu", "eval", "sts", "--data", str(sts_test_file)])
    return rc, stdout.getvalue(), stderr.getvalue(), calls


# -- default model: STSb figure and parity -----------------------------------------------------
def test_eval_sts_prints_the_published_figure(sts_cli_run):
    rc, out, err, _ = sts_cli_run
    assert rc == 0, err
    match = re.search(r"Spearman x100[^:]*:\s*([0-9.]+)", out)
    assert match, out
    assert abs(float(match.group(1)) - PUBLISHED_STSB) <= 0.1, out
    assert "1379 pairs" in out


def test_parity_with_sentence_transformers_on_all_sts_test_sentences(sts_cli_run, sts_test_file, default_model_dir):
    data = read_sts(sts_test_file)
    sentences = data.sentences1 + data.sentences2
    assert len(sentences) == 2758
    _, _, _, calls = sts_cli_run
    assert len(calls) == 1
    texts, ours = calls[0]
    ours_by_text = {t: ours[i] for i, t in enumerate(texts)}
    assert set(ours_by_text) == set(sentences)
    theirs = _st_encode(_st()(str(default_model_dir), device="cpu"), sentences)
    mine = np.stack([ours_by_text[s] for s in sentences])
    assert mine.dtype == np.float32 and mine.shape == (2758, 384)
    assert np.abs(mine - theirs).max() <= TOL
    assert np.allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-5)  # the model normalizes


def test_saved_default_model_loads_in_sentence_transformers_with_same_vectors(
    default_encoder, sts_test_file, tmp_path, caplog
):
    folder = default_encoder.save(tmp_path / "saved")
    assert (folder / "model.safetensors").is_file()
    assert not (folder / "pytorch_model.bin").exists()
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no deprecation or missing-module warnings
        st = _st()(str(folder), device="cpu")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("sentence_transformers")] == []
    assert [type(m).__name__ for m in st] == ["Transformer", "Pooling", "Normalize"]
    assert st.max_seq_length == 256
    data = read_sts(sts_test_file)
    texts = data.sentences1[:150] + MIXED_TEXTS
    ours = default_encoder.encode(texts)
    assert np.abs(ours - _st_encode(st, texts)).max() <= TOL
    # and our own loader reads back what it wrote
    again = SentenceEncoder.load(folder, device="cpu")
    assert again.dim == 384 and again.max_seq_length == 256 and again.normalizes
    assert np.abs(again.encode(texts[:20]) - ours[:20]).max() <= TOL


# -- tiny random BERT, every pooling mode ---------------------------------------------------------
POOLING_MODES = ["mean", "cls", "max", "mean_sqrt_len_tokens", "weightedmean", "lasttoken"]


@pytest.mark.parametrize("mode", POOLING_MODES)
def test_tiny_bert_parity_for_each_pooling_mode(mode, tiny_model_dir, tmp_path):
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    normalize = mode == "mean"   # one case with a Normalize module too
    transformer = Transformer(str(tiny_model_dir))
    modules = [transformer, Pooling(transformer.get_embedding_dimension(), pooling_mode=mode)]
    if normalize:
        modules.append(Normalize())
    reference = _st()(modules=modules, device="cpu")
    st_folder = tmp_path / "st"
    reference.save(str(st_folder))

    ours = SentenceEncoder.load(st_folder, device="cpu")
    assert ours.max_seq_length == 128 and ours.dim == 32 and ours.normalizes == normalize
    theirs = _st_encode(reference, MIXED_TEXTS, batch_size=4)
    mine = ours.encode(MIXED_TEXTS, batch_size=4)
    assert np.abs(mine - theirs).max() <= TOL

    # ours -> disk -> sentence-transformers
    ours_folder = ours.save(tmp_path / "ours")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reloaded = _st()(str(ours_folder), device="cpu")
    assert reloaded[1].pooling_mode == mode
    assert np.abs(_st_encode(reloaded, MIXED_TEXTS, batch_size=4) - mine).max() <= TOL


def test_plain_bert_folder_gets_mean_pooling_without_normalize(tiny_model_dir):
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    enc = SentenceEncoder.load(tiny_model_dir, device="cpu")
    assert [type(m).__name__ for m in enc.children()] == ["Transformer", "Pooling"]
    assert enc.max_seq_length == 128   # min(tokenizer's 512, 128 positions)
    vectors = enc.encode(MIXED_TEXTS)
    assert not np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    transformer = Transformer(str(tiny_model_dir))
    reference = _st()(modules=[transformer, Pooling(32, pooling_mode="mean")], device="cpu")
    assert np.abs(vectors - _st_encode(reference, MIXED_TEXTS)).max() <= TOL
    unit = enc.encode(MIXED_TEXTS[:3], normalize=True)
    assert np.allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-6)


# -- encode() contract ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny(tiny_model_dir) -> SentenceEncoder:
    return SentenceEncoder.load(tiny_model_dir, device="cpu")


def test_order_is_preserved_for_mixed_lengths(tiny):
    texts = MIXED_TEXTS
    batched = tiny.encode(texts, batch_size=3)
    one_by_one = np.concatenate([tiny.encode([t], batch_size=1) for t in texts])
    assert batched.shape == (len(texts), 32) and batched.dtype == np.float32
    assert np.abs(batched - one_by_one).max() <= TOL
    # distinct texts really get distinct vectors (the order could not be restored by luck)
    assert np.abs(batched[0] - batched[2]).max() > 1e-3


def test_progress_reaches_total(tiny):
    calls: list[tuple[int, int]] = []
    tiny.encode(MIXED_TEXTS * 2, batch_size=5, progress=lambda done, total: calls.append((done, total)))
    n = len(MIXED_TEXTS) * 2
    assert calls[-1] == (n, n)
    assert len(calls) == -(-n // 5)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_cancel_stops_within_one_batch(tiny):
    token = CancelToken()
    calls: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        token.cancel()

    with pytest.raises(Cancelled):
        tiny.encode(["some text to encode"] * 40, batch_size=4, progress=progress, cancel=token)
    assert calls == [4]   # one batch of ten ran, then it stopped


def test_cancelled_before_start_runs_no_batch(tiny):
    token = CancelToken()
    token.cancel()
    seen: list[int] = []
    with pytest.raises(Cancelled):
        tiny.encode(["a", "b"], progress=lambda d, t: seen.append(d), cancel=token)
    assert seen == []


def test_empty_inputs(tiny):
    empty = tiny.encode([])
    assert empty.shape == (0, 32) and empty.dtype == np.float32
    one = tiny.encode([""])
    assert one.shape == (1, 32) and np.isfinite(one).all()
    assert tiny.count_tokens([""]) == [2]   # [CLS] [SEP]
    assert tiny.count_tokens([]) == []


def test_long_text_is_truncated_at_max_seq_length(tiny):
    long = "alpha beta gamma delta " * 2000       # ~8,000 tokens, far past 128
    assert tiny.count_tokens([long])[0] > 8000   # counted before truncation
    a, b = tiny.encode([long, long + " and a different ending entirely"])
    assert np.abs(a - b).max() <= TOL            # only the first 128 tokens count
    head = tiny.tokenizer.decode(tiny.tokenizer(long, truncation=True, max_length=128)["input_ids"][1:-1])
    assert np.abs(tiny.encode([head])[0] - a).max() <= TOL


def test_non_string_item_is_a_clear_type_error(tiny):
    with pytest.raises(TypeError, match=r"texts\[2\] is int"):
        tiny.encode(["fine", "also fine", 3])
    with pytest.raises(TypeError, match=r"texts\[0\] is NoneType"):
        tiny.count_tokens([None])
    with pytest.raises(TypeError, match="list of strings"):
        tiny.encode("a single string")


# -- weights and folders ---------------------------------------------------------------------------
def _pickle_only_folder(target: Path, build_tiny_bert) -> Path:
    from safetensors.torch import load_file

    folder = build_tiny_bert(target)
    state = load_file(str(folder / "model.safetensors"))
    torch.save(state, folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    return folder


def test_pickle_only_folder_is_refused(tmp_path):
    from tests.conftest import build_tiny_bert

    folder = _pickle_only_folder(tmp_path / "pickled", build_tiny_bert)
    with pytest.raises(UnsafeWeightsError, match=r"pickle.*pytorch_model\.bin.*safetensors"):
        SentenceEncoder.load(folder, device="cpu")


class _Trap:
    def __reduce__(self):
        return (open, (os.environ["LIKEWISE_TRAP_FILE"], "w"))


def test_refused_pickle_is_never_unpickled(tmp_path, monkeypatch):
    from tests.conftest import build_tiny_bert

    folder = build_tiny_bert(tmp_path / "model")
    (folder / "model.safetensors").unlink()
    trap = tmp_path / "pwned"
    monkeypatch.setenv("LIKEWISE_TRAP_FILE", str(trap))
    torch.save({"x": _Trap()}, folder / "pytorch_model.bin")
    with pytest.raises(UnsafeWeightsError):
        SentenceEncoder.load(folder, device="cpu")
    assert not trap.exists()


def test_folder_without_weights_or_not_a_folder(tmp_path, tiny_model_dir):
    import shutil

    folder = tmp_path / "noweights"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="no model weights"):
        SentenceEncoder.load(folder, device="cpu")
    with pytest.raises(ModelError, match="not found"):
        SentenceEncoder.load(tmp_path / "missing", device="cpu")


# -- device choice ------------------------------------------------------------------------------------
def test_device_setting_and_environment_override(monkeypatch):
    monkeypatch.delenv("LIKEWISE_DEVICE", raising=False)
    choice = choose_device("cpu")
    assert choice.device.type == "cpu" and choice.dtype == torch.float32 and choice.source == "setting"
    assert torch.get_num_threads() == cpu_cores()
    monkeypatch.setenv("LIKEWISE_DEVICE", "cpu")
    choice = choose_device("cuda")        # the environment wins over the setting
    assert choice.device.type == "cpu" and choice.source == "environment"
    monkeypatch.setenv("LIKEWISE_DEVICE", "tpu")
    with pytest.raises(ModelError, match="LIKEWISE_DEVICE"):
        choose_device("auto")
    monkeypatch.delenv("LIKEWISE_DEVICE")
    if not torch.cuda.is_available():
        with pytest.raises(ModelError, match="CUDA"):
            choose_device("cuda")
        assert choose_device("auto").device.type in ("cpu", "mps")


# -- training friendliness ----------------------------------------------------------------------------
def test_forward_is_differentiable_and_save_keeps_the_trained_weights(tiny_model_dir, tmp_path):
    enc = SentenceEncoder.load(tiny_model_dir, device="cpu")
    enc.train()
    features = enc.tokenize(["a first sentence", "a second, longer sentence here", ""])
    out = enc(features)
    assert set(out) >= {"token_embeddings", "sentence_embedding"}
    a, b = out["sentence_embedding"][0], out["sentence_embedding"][1]
    loss = 1 - torch.nn.functional.cosine_similarity(a, b, dim=0)
    loss.backward()
    grads = [p.grad for p in enc.transformer.auto_model.encoder.parameters()]
    assert all(g is not None for g in grads)
    assert any(float(g.abs().sum()) > 0 for g in grads)
    torch.optim.SGD(enc.parameters(), lr=0.5).step()

    trained = enc.encode(MIXED_TEXTS)
    assert enc.training   # encode() runs in eval mode and restores the caller's mode
    assert np.abs(trained - enc.encode(MIXED_TEXTS)).max() == 0   # no dropout in encode
    before = SentenceEncoder.load(tiny_model_dir, device="cpu").encode(MIXED_TEXTS)
    assert np.abs(trained - before).max() > 1e-4
    reloaded = SentenceEncoder.load(enc.save(tmp_path / "v2"), device="cpu")
    assert np.abs(reloaded.encode(MIXED_TEXTS) - trained).max() <= TOL


# -- no network ----------------------------------------------------------------------------------------
def test_loading_and_encoding_never_open_a_socket(default_model_dir, monkeypatch):
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted during a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    enc = SentenceEncoder.load(default_model_dir, device="cpu")
    vectors = enc.encode(["no network needed", "to encode a sentence"])
    assert vectors.shape == (2, 384)
    assert attempts == []


# -- evaluation helpers -------------------------------------------------------------------------------
def test_spearman_matches_scipy_with_ties():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(1)
    a = rng.integers(0, 6, 300)          # many ties
    b = a + rng.normal(0, 2, 300)
    assert abs(spearman(a, b) - spearmanr(a, b).statistic) < 1e-12
    assert rankdata([10, 20, 20, 5]).tolist() == [2.0, 3.5, 3.5, 1.0]


def test_sparing_a_core_for_a_search_gives_it_back():
    """Hybrid search encodes its query on one torch thread fewer while the keyword query
    runs; afterwards (also after overlapping searches) torch has all its threads again."""
    from core.encoder.device import one_core_spared

    before = torch.get_num_threads()
    seen = []

    def search() -> None:
        with one_core_spared():
            seen.append(torch.get_num_threads())
            time.sleep(0.05)

    threads = [threading.Thread(target=search) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen and all(n == max(1, before - 1) for n in seen)
    assert torch.get_num_threads() == before


def test_torch_threads_are_never_resized_while_another_thread_computes():
    """A search resizing torch's thread pool (one_core_spared) while indexing is inside a
    batch crashed the window: the resize waits until the computation ends."""
    from core.encoder.device import COMPUTE, one_core_spared

    original = torch.get_num_threads()
    torch.set_num_threads(max(2, original))   # a core to spare, on any machine
    before = torch.get_num_threads()
    computing, finish, resized = threading.Event(), threading.Event(), threading.Event()
    seen_inside = []

    def indexing_batch() -> None:
        with COMPUTE:
            computing.set()
            finish.wait(10)
            seen_inside.append(torch.get_num_threads())

    def search() -> None:
        with one_core_spared():
            resized.set()

    worker = threading.Thread(target=indexing_batch)
    worker.start()
    assert computing.wait(10)
    query = threading.Thread(target=search)
    query.start()
    assert not resized.wait(0.3)            # held back while the batch computes
    finish.set()
    worker.join(10)
    query.join(10)
    assert resized.is_set()
    assert seen_inside == [before]          # the batch kept its threads to the end
    assert torch.get_num_threads() == before
    torch.set_num_threads(original)


class _HeldTokenizer:
    """The model's tokenizer, holding every truncating call (an encoding) until released."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.inside = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args, **kwargs):
        if kwargs.get("truncation") not in (False, None):
            self.inside.set()
            assert self.release.wait(30)
        return self.inner(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_counting_tokens_waits_for_an_encoding_in_another_thread(tiny):
    """A fast tokenizer switches truncation on for an encoding: a count made meanwhile in
    another thread (the indexer chunks while it encodes) must not share that state, or a
    paragraph too long for the model is counted short and kept whole."""
    held = _HeldTokenizer(tiny.transformer.tokenizer)
    tiny.transformer.tokenizer = held
    long_text = " ".join(f"word{i}" for i in range(3 * tiny.max_seq_length))
    try:
        encoding = threading.Thread(target=tiny.encode, args=([long_text],))
        encoding.start()
        assert held.inside.wait(30)
        counts: list[int] = []
        counting = threading.Thread(target=lambda: counts.extend(tiny.count_tokens([long_text])))
        counting.start()
        counting.join(0.3)
        assert counting.is_alive()            # it waits for its turn at the tokenizer
        held.release.set()
        encoding.join(30)
        counting.join(30)
        assert counts[0] > tiny.max_seq_length
    finally:
        held.release.set()
        tiny.transformer.tokenizer = held.inner
