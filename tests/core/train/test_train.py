"""Fine-tuning through the Library: held-out labels never trained on, reproducibility,
the saved version in sentence-transformers, the report, model versions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.errors import InvalidInputError, TrainingError

PAIRS = [
    ("The committee approved the budget.", "The budget was passed by the committee."),
    ("A man is playing a guitar.", "Someone plays the guitar."),
    ("The patient was given antibiotics.", "Antibiotics were prescribed to the patient."),
    ("Prices rose by five percent.", "There was a five percent increase in prices."),
    ("The court dismissed the appeal.", "The appeal was rejected by the court."),
    ("She moved to Berlin last year.", "Last year she relocated to Berlin."),
    ("The bridge was closed for repairs.", "Repairs shut the bridge."),
    ("Children are playing in the snow.", "Kids play outside in the snow."),
    ("The lease ends in December.", "The rental contract expires in December."),
    ("He forgot his keys at home.", "His keys were left at his house."),
]


def _label_binary(lib, n=10):
    ids = []
    for i, (a, b) in enumerate(PAIRS[:n]):
        ids.append(lib.label_table.add_label("pair_binary", a, b, label=1, source="import"))
        other = PAIRS[(i + 3) % len(PAIRS)][1]
        ids.append(lib.label_table.add_label("pair_binary", a + " (neg)", other + " (neg)", label=0, source="import"))
    return ids


def test_held_out_pairs_never_reach_a_training_batch(tiny_library, monkeypatch):
    from core.train import trainer

    seen: list[str] = []
    original = trainer.Trainer._embed

    def spy(self, texts):
        seen.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(trainer.Trainer, "_embed", spy)
    _label_binary(tiny_library)
    result = tiny_library.training.train(epochs=2, batch_size=4, check_forgetting=False, device="cpu")
    held = [tiny_library.label_table.label(i) for i in result.held_out_ids]
    assert len(held) == 4 and sum(lab.label for lab in held) == 2          # 20%, stratified
    held_texts = {t for lab in held for t in (lab.sentence1, lab.sentence2)}
    assert seen and not held_texts & set(seen)
    trained = {lab.sentence1 for lab in tiny_library.label_table.labels()} - {lab.sentence1 for lab in held}
    assert trained <= set(seen)
    assert result.report["labels"]["held_out_ids"] == result.held_out_ids
    saved = json.loads((Path(result.path) / "training_report.json").read_text())
    assert saved["labels"]["held_out_ids"] == result.held_out_ids
    assert saved["model_id"] == result.model_id


def _vectors(path, texts):
    from core.encoder import SentenceEncoder

    return SentenceEncoder.load(path, device="cpu").encode(texts)


def test_training_is_reproducible_with_the_same_seed(tiny_library):
    _label_binary(tiny_library)
    texts = [a for a, _ in PAIRS]
    one = tiny_library.training.train(seed=3, batch_size=4, check_forgetting=False, device="cpu")
    two = tiny_library.training.train(seed=3, batch_size=4, check_forgetting=False, device="cpu")
    other = tiny_library.training.train(seed=4, batch_size=4, check_forgetting=False, device="cpu")
    v1, v2, v3 = (_vectors(r.path, texts) for r in (one, two, other))
    np.testing.assert_allclose(v1, v2, atol=1e-5)
    assert one.held_out_ids == two.held_out_ids
    assert not np.allclose(v1, v3, atol=1e-5)
    base = tiny_library.versions.encoder().encode(texts)
    assert not np.allclose(v1, base, atol=1e-4)                          # it did train


def test_saved_version_loads_in_sentence_transformers_with_our_vectors(tiny_library):
    from sentence_transformers import SentenceTransformer

    _label_binary(tiny_library)
    result = tiny_library.training.train(batch_size=4, check_forgetting=False, device="cpu")
    texts = [a for a, _ in PAIRS] + ["A much longer sentence about contracts, leases and courts " * 3]
    ours = tiny_library.versions.encoder(result.model_id).encode(texts)
    theirs = SentenceTransformer(result.path, device="cpu").encode(texts, convert_to_numpy=True)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    info = {m.id: m for m in tiny_library.versions.models()}[result.model_id]
    assert info.kind == "finetuned" and info.parent_id == tiny_library.versions.active_model_id()
    assert not info.active and info.report["settings"]["loss"] == "contrastive"
    assert info.report["labels"]["by_kind"] == {"pair_binary": 20}


def test_report_has_before_after_and_forgetting_check(tiny_library, tmp_path):
    lib = tiny_library
    for i, (a, b) in enumerate(PAIRS):
        lib.label_table.add_label("pair_score", a, b, label=4 + (i % 2) * 0.5, scale=5)
        lib.label_table.add_label("pair_score", a, PAIRS[(i + 5) % 10][1], label=0.5 + (i % 3) * 0.5, scale=5)
    general = tmp_path / "general.tsv"
    general.write_text("score\tsentence1\tsentence2\n" + "".join(
        f"{(i % 6) * 1.0}\t{a}\t{PAIRS[(i * 3) % 10][1]}\n" for i, (a, _) in enumerate(PAIRS)), encoding="utf-8")
    steps = []
    result = lib.training.train(general_pairs=general, batch_size=4, device="cpu", progress=steps.append)
    assert result.loss == "cosent" and "scored pairs" in result.loss_reason
    assert set(result.before) == set(result.after) == {"pair_score"}
    assert {"spearman", "pearson", "n"} <= set(result.after["pair_score"])
    f = result.forgetting
    assert f["data"] == str(general) and f["metric"] == "spearman"
    assert f["warning"] == (f["before"] - f["after"] > 1.0)
    phases = [p.phase for p in steps]
    assert phases[0] == "preparing" and phases[-1] == "done" and "training" in phases
    train_steps = [p for p in steps if p.phase == "training"]
    assert [p.step for p in train_steps] == list(range(1, train_steps[-1].total + 1))
    assert all(p.loss is not None and p.eta_s is not None for p in train_steps)
    settings = result.report["settings"]
    assert (settings["lr"], settings["epochs"], settings["batch_size"], settings["seed"]) == (2e-5, 1, 4, 42)
    assert settings["warmup_steps"] == 1 and settings["precision"] == "float32"


def test_default_forgetting_check_uses_the_shipped_sts_dev(tiny_library):
    from core.train.evaluate import STS_DEV, read_examples

    examples = read_examples(STS_DEV)
    assert len(examples) == 1500 and {e.kind for e in examples} == {"pair_score"}
    _label_binary(tiny_library, n=4)
    result = tiny_library.training.train(batch_size=4, device="cpu", held_out=0.0)
    assert result.forgetting["data"] == str(STS_DEV)
    assert result.held_out_ids == [] and any("no labels were held out" in w for w in result.warnings)


def test_cancel_and_bad_settings_leave_nothing(tiny_library):
    from core.cancel import CancelToken
    from core.errors import Cancelled

    lib = tiny_library
    with pytest.raises(TrainingError, match="no labels"):
        lib.training.train(device="cpu")
    _label_binary(lib)
    with pytest.raises(TrainingError):
        lib.training.train(held_out=1.5, device="cpu")
    with pytest.raises(TrainingError, match="unknown loss"):
        lib.training.train(loss="hinge", device="cpu")
    with pytest.raises(TrainingError, match="triplet loss needs"):
        lib.training.train(loss="triplet", device="cpu", check_forgetting=False)
    token = CancelToken()

    def stop(p):
        if p.phase == "training":
            token.cancel()

    with pytest.raises(Cancelled):
        lib.training.train(batch_size=4, check_forgetting=False, device="cpu", progress=stop, cancel=token)
    assert [m.kind for m in lib.versions.models()] == ["base"]
    from core import paths

    assert list(paths.models_dir().iterdir()) == []


def test_delete_and_discard_versions(tiny_library):
    lib = tiny_library
    _label_binary(lib)
    result = lib.training.train(batch_size=4, check_forgetting=False, device="cpu")
    assert Path(result.path).is_dir()
    with pytest.raises(InvalidInputError, match="active"):
        lib.versions.delete(lib.versions.active_model_id())
    with pytest.raises(InvalidInputError):
        lib.versions.discard(lib.versions.active_model_id())
    lib.versions.discard(result.model_id)
    assert not Path(result.path).exists()
    assert [m.id for m in lib.versions.models()] == [lib.versions.active_model_id()]
