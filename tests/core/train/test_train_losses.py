"""Each loss lowers itself on a small fixed dataset and its gradient reaches the encoder;
metrics match their definitions; loss choice and the held-out split."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from core.evaluation.stats import average_precision, best_accuracy, best_f1, spearman
from core.train.data import epoch_batches, split_held_out
from core.train.losses import LOSS_NAMES, choose_loss, make_loss, usable
from core.train.trainer import Trainer, TrainSettings, seed_everything
from core.train.types import Example

TOPICS = [
    ("The cat sleeps on the warm sofa.", "A kitten naps on the couch."),
    ("Stock prices fell sharply today.", "Shares dropped a lot on the market."),
    ("He scored a goal in the final minute.", "The striker netted late in the match."),
    ("Heavy rain flooded the streets.", "Storm water covered the roads."),
    ("She baked bread this morning.", "Fresh loaves came out of her oven."),
    ("The train was delayed by an hour.", "Our railway journey started late."),
]


def _examples(kind: str) -> list[Example]:
    out = []
    topics = TOPICS[:4]
    n = len(topics)
    for i, (a, b) in enumerate(topics):
        other = topics[(i + 1) % n][1]
        if kind == "pair_binary":
            out += [Example(2 * i, kind, (a, b), 1.0), Example(2 * i + 1, kind, (a, other), 0.0)]
        elif kind == "pair_score":
            out += [Example(2 * i, kind, (a, b), 0.9), Example(2 * i + 1, kind, (a, other), 0.1)]
        elif kind == "triplet":
            out.append(Example(i, kind, (a, b, other), None))
        else:
            out.append(Example(i, kind, (a, b), None))
    return out


KIND_FOR = {"contrastive": "pair_binary", "softmax": "pair_binary", "cosent": "pair_score",
            "cosine": "pair_score", "triplet": "triplet", "mnrl": "positive_pair"}


@pytest.fixture(scope="module")
def tiny_encoder_path(tiny_model_dir):
    return tiny_model_dir


def _eval_loss(enc, loss, batch: list[Example]) -> float:
    enc.eval()
    loss.eval()
    with torch.no_grad():
        reps = [enc(enc.tokenize([ex.texts[c] for ex in batch]))["sentence_embedding"]
                for c in range(len(batch[0].texts))]
        labels = None if batch[0].label is None else torch.tensor([ex.label for ex in batch])
        return float(loss(reps, labels))


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_loss_decreases_and_gradient_reaches_the_encoder(name, tiny_encoder_path):
    from core.encoder import SentenceEncoder

    seed_everything(0)
    enc = SentenceEncoder.load(tiny_encoder_path, device="cpu")
    examples = [usable(name, ex) for ex in _examples(KIND_FOR[name])]
    assert all(examples)
    loss = make_loss(name, enc.dim)
    start = _eval_loss(enc, loss, examples)
    assert start > 0

    # one backward pass: the encoder's weights get a gradient
    enc.train()
    reps = [enc(enc.tokenize([ex.texts[c] for ex in examples]))["sentence_embedding"]
            for c in range(len(examples[0].texts))]
    labels = None if examples[0].label is None else torch.tensor([ex.label for ex in examples])
    loss(reps, labels).backward()
    grads = [p.grad for n, p in enc.named_parameters() if "embeddings.word_embeddings" in n]
    assert grads and grads[0] is not None and float(grads[0].abs().sum()) > 0
    enc.zero_grad(set_to_none=True)

    settings = TrainSettings(epochs=8, batch_size=len(examples), lr=2e-3, seed=0)
    stats = Trainer(enc, loss, settings).run(examples)
    assert stats.steps == 8
    end = _eval_loss(enc, loss, examples)
    assert end < start * 0.9, (name, start, end)


def test_choose_loss_follows_the_labels():
    assert choose_loss({"pair_binary": 10})[0] == "contrastive"
    assert choose_loss({"pair_score": 10})[0] == "cosent"
    assert choose_loss({"pair_score": 5, "pair_binary": 5})[0] == "cosent"
    assert choose_loss({"triplet": 10})[0] == "triplet"
    assert choose_loss({"positive_pair": 10})[0] == "mnrl"
    assert choose_loss({"triplet": 3, "positive_pair": 3})[0] == "mnrl"
    name, reason = choose_loss({"pair_binary": 12})
    assert "12 binary pairs" in reason
    # mnrl trains on binary pairs labelled similar only
    assert usable("mnrl", Example(1, "pair_binary", ("a", "b"), 0.0)) is None
    assert usable("mnrl", Example(1, "pair_binary", ("a", "b"), 1.0)).kind == "positive_pair"
    assert usable("triplet", Example(1, "pair_binary", ("a", "b"), 1.0)) is None


def test_held_out_split_is_stratified_and_repeatable():
    examples = [Example(i, "pair_binary", (f"a{i}", f"b{i}"), float(i % 4 == 0)) for i in range(40)]
    examples += [Example(100 + i, "pair_score", (f"c{i}", f"d{i}"), i / 19) for i in range(20)]
    train, held = split_held_out(examples, 0.2, seed=7)
    assert len(train) + len(held) == 60
    assert not {e.label_id for e in train} & {e.label_id for e in held}
    held_binary = [e for e in held if e.kind == "pair_binary"]
    assert sum(e.label for e in held_binary) == 2 and len(held_binary) == 8   # 10 pos, 30 neg -> 2 + 6
    assert len([e for e in held if e.kind == "pair_score"]) == 4
    again_train, again_held = split_held_out(list(reversed(examples)), 0.2, seed=7)
    assert [e.label_id for e in again_held] == [e.label_id for e in held]
    _, other = split_held_out(examples, 0.2, seed=8)
    assert {e.label_id for e in other} != {e.label_id for e in held}
    batches = epoch_batches(train, 16, seed=1, epoch=0)
    assert sorted(e.label_id for b in batches for e in b) == sorted(e.label_id for e in train)
    assert [[e.label_id for e in b] for b in batches] == [
        [e.label_id for e in b] for b in epoch_batches(train, 16, seed=1, epoch=0)]


def _brute_best(scores, labels, fn):
    cands = sorted(set(scores)) + [max(scores) + 1]
    return max(fn([s >= t for s in scores], labels) for t in cands)


def _f1(pred, y):
    tp = sum(p and t for p, t in zip(pred, y, strict=True))
    fp = sum(p and not t for p, t in zip(pred, y, strict=True))
    fn = sum((not p) and t for p, t in zip(pred, y, strict=True))
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def _acc(pred, y):
    return sum(p == bool(t) for p, t in zip(pred, y, strict=True)) / len(y)


def test_metrics_match_their_definitions():
    rng = np.random.default_rng(3)
    scores = np.round(rng.random(60), 2)           # with ties
    labels = (scores + rng.random(60) * 0.7 > 0.8).astype(int)
    assert best_f1(scores, labels)[0] == pytest.approx(_brute_best(list(scores), list(labels), _f1))
    assert best_accuracy(scores, labels)[0] == pytest.approx(_brute_best(list(scores), list(labels), _acc))
    f1, t = best_f1(scores, labels)
    assert _f1(list(scores >= t), list(labels)) == pytest.approx(f1)
    # AP: by definition on a small case
    assert average_precision(np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, 0, 1, 0])) == pytest.approx((1 + 2 / 3) / 2)
    # Spearman with ties equals Pearson on average ranks
    x, y = np.array([1, 2, 2, 3, 5.0]), np.array([2, 1, 4, 3, 9.0])
    rx, ry = np.array([1, 2.5, 2.5, 4, 5]), np.array([2, 1, 4, 3, 5.0])
    assert spearman(x, y) == pytest.approx(np.corrcoef(rx, ry)[0, 1])
    perms = list(itertools.permutations(range(4)))
    assert spearman(np.arange(4), np.array(perms[0])) == pytest.approx(1.0)


def test_the_kinds_known_without_torch_are_each_loss_classs_own():
    """core.train.losses plans a run without importing torch (the base download): its table
    of label kinds must say what each loss class trains on."""
    from core.train.losses import loss_class, loss_kinds

    for name in LOSS_NAMES:
        assert loss_kinds(name) == loss_class(name).kinds, name
