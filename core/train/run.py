"""One fine-tuning run, from the library's labels to a saved model folder and its report."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from core.cancel import CancelToken
from core.errors import TrainingError
from core.train.data import example_of, split_held_out, steps_per_epoch
from core.train.evaluate import (
    MAIN_METRIC,
    STS_DEV,
    evaluate_examples,
    forgetting_check,
    general_score,
    read_examples,
    unique_texts,
)
from core.train.losses import make_loss, usable
from core.train.trainer import Trainer, TrainSettings, seed_everything
from core.train.types import Example, LabelInfo, TrainPlan, TrainProgress

EVAL_BATCH = 64
# A training step's text costs about three encodings of it (forward, backward, update).
TRAIN_COST_PER_TEXT = 3.0


def load_for_training(path: Path, device: str) -> Any:
    """The encoder with float32 weights on the chosen device (mixed precision on a GPU
    comes from autocast; the weights the optimizer updates stay float32)."""
    from core.encoder import SentenceEncoder
    from core.encoder.device import choose_device

    choice = choose_device(device)
    encoder = SentenceEncoder.load(path, device="cpu")
    return encoder.to(choice.device)


class TrainingRun:
    def __init__(
        self,
        labels: list[LabelInfo],
        plan: TrainPlan,
        parent: dict,
        epochs: int,
        held_out: float,
        batch_size: int,
        lr: float,
        seed: int,
        device: str,
        progress: Any = None,
        cancel: CancelToken | None = None,
        general_pairs: Path | None | bool = None,
        max_train: int | None = None,
    ) -> None:
        self.labels = labels
        self.plan = plan
        self.parent = parent
        self.settings = TrainSettings(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)
        self.settings.check()
        self.held_out_share = held_out
        self.device = device
        self.progress = progress
        self.cancel = cancel
        self.general_pairs = general_pairs
        self.dim = int(parent["dim"])
        self.total_steps = 0
        examples = [example_of(lab) for lab in labels]
        self.train_set, self.held_set = split_held_out(examples, held_out, seed)
        self.train_examples = [u for ex in self.train_set if (u := usable(plan.loss, ex)) is not None]
        if max_train is not None and len(self.train_examples) > max_train:
            # A fixed random sample (the benchmark's 1,000 pairs), the same for a seed.
            pick = np.random.default_rng(seed).permutation(len(self.train_examples))[:max_train]
            self.train_examples = [self.train_examples[i] for i in sorted(pick)]
        if len(self.train_examples) < 2:
            raise TrainingError(
                f"the {plan.loss} loss needs at least 2 usable labels outside the held-out share; "
                f"there are {len(self.train_examples)} (labels: "
                + ", ".join(f"{n} {k}" for k, n in plan.counts.items() if n) + ")"
            )
        self.total_steps = steps_per_epoch(self.train_examples, batch_size) * epochs

    def release(self) -> None:
        """Drop the labels' texts held for training (the model copy was local to execute)."""
        self.train_examples = []
        self.train_set, self.held_set = [], []

    def _emit(self, phase: str, message: str | None = None) -> None:
        if self.progress:
            self.progress(TrainProgress(phase, 0, 0, message=message, fraction=self._fraction(phase, 0.0)))

    def _plan_costs(self, general: list[Example] | None) -> None:
        """The run's phases and their cost in texts encoded, so that one fraction moves
        through measuring, training and measuring again at the pace work is done."""
        measure = unique_texts(self.held_set) + (unique_texts(general) if general else 0)
        width = len(self.train_examples[0].texts) if self.train_examples else 2
        train = len(self.train_examples) * width * self.settings.epochs * TRAIN_COST_PER_TEXT
        self._costs = {"evaluating_before": float(measure), "training": float(train),
                       "evaluating_after": float(measure)}

    def _fraction(self, phase: str, within: float) -> float:
        costs = getattr(self, "_costs", None)
        if not costs:
            return 0.0
        if phase in ("saving", "done"):
            return 1.0
        if phase not in costs:
            return 0.0
        order = list(costs)
        done = sum(costs[p] for p in order[:order.index(phase)]) + costs[phase] * min(max(within, 0.0), 1.0)
        return done / max(sum(costs.values()), 1.0)

    def _measuring(self, phase: str, offset: int, total: int, message: str) -> Any:
        """A ``progress(done, n)`` for one evaluation's encode, as texts of the phase."""
        if not self.progress:
            return None
        started = time.monotonic()

        def report(done: int, _n: int) -> None:
            step = offset + done
            elapsed = time.monotonic() - started
            eta = elapsed / step * (total - step) if step else None
            self.progress(TrainProgress(phase, step, total, None, eta, message=message,
                                        fraction=self._fraction(phase, step / max(total, 1))))

        return report

    def _training_progress(self, p: TrainProgress) -> None:
        if self.progress:
            p.fraction = self._fraction("training", p.step / max(p.total, 1))
            self.progress(p)

    def _general(self) -> tuple[list[Example], str] | None:
        pairs = self.general_pairs
        if pairs is False:
            return None
        path = STS_DEV if pairs is None or pairs is True else Path(pairs)
        return read_examples(path), str(path)

    def execute(self, target: Path) -> dict:
        """Train, evaluate and save the new version in ``target``; returns the report."""
        started = time.monotonic()
        self._emit("preparing", "loading the model")
        encoder = load_for_training(Path(self.parent["path"]), self.device)
        general = self._general()
        self._plan_costs(general[0] if general else None)
        before, general_before = self._measure(encoder, general, "evaluating_before", "measuring the current model")
        seed_everything(self.settings.seed)
        loss = make_loss(self.plan.loss, encoder.dim)
        trainer = Trainer(encoder, loss, self.settings)
        stats = trainer.run(self.train_examples, self._training_progress if self.progress else None, self.cancel)
        after, general_after = self._measure(encoder, general, "evaluating_after", "measuring the new model")
        forgetting = None
        if general and general_before is not None and general_after is not None:
            metric, old = general_score(general_before)
            _, new = general_score(general_after)
            forgetting = forgetting_check(old, new, metric, general[1])
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        report = self._report(encoder, loss, stats, before, after, forgetting, time.monotonic() - started)
        self._emit("saving", f"saving in {target}")
        self._save(encoder, target)
        return report

    def _measure(self, encoder: Any, general: tuple[list[Example], str] | None, phase: str,
                 message: str) -> tuple[dict, dict | None]:
        """Metrics on the held-out labels and on the general pairs, reporting texts encoded."""
        held = unique_texts(self.held_set)
        total = held + (unique_texts(general[0]) if general else 0)
        self._emit(phase, message)
        own = evaluate_examples(encoder, self.held_set, EVAL_BATCH, self.cancel,
                                self._measuring(phase, 0, total, message))
        if not general:
            return own, None
        return own, evaluate_examples(encoder, general[0], EVAL_BATCH, self.cancel,
                                      self._measuring(phase, held, total, message + " on general pairs"))

    def _save(self, encoder: Any, target: Path) -> None:
        partial = target.with_name(f".{target.name}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        try:
            encoder.save(partial)
            os.replace(partial, target)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise

    def _report(
        self, encoder: Any, loss: Any, stats: Any, before: dict, after: dict,
        forgetting: dict | None, seconds: float,
    ) -> dict:
        counts: dict[str, int] = {}
        for lab in self.labels:
            counts[lab.kind] = counts.get(lab.kind, 0) + 1
        warnings = []
        if forgetting and forgetting["warning"]:
            warnings.append(forgetting["message"])
        for kind, m in after.items():
            key = MAIN_METRIC[kind]
            if kind in before and m[key] < before[kind][key]:
                warnings.append(f"held-out {kind} {key} went down: {before[kind][key]:.2f} -> {m[key]:.2f}")
        if not self.held_set:
            warnings.append("no labels were held out: there is no before/after measure on your own pairs")
        return {
            "parent": {"id": self.parent["id"], "name": self.parent["name"], "path": self.parent["path"]},
            "settings": {
                "loss": self.plan.loss, "loss_reason": self.plan.reason, "loss_settings": loss.settings(),
                "epochs": self.settings.epochs, "batch_size": self.settings.batch_size, "lr": self.settings.lr,
                "seed": self.settings.seed, "held_out": self.held_out_share, "optimizer": "AdamW",
                "weight_decay": self.settings.weight_decay, "warmup_steps": stats.warmup_steps,
                "schedule": "linear warm-up then linear decay", "steps": stats.steps,
                "device": str(encoder.device), "precision": stats.precision,
                "max_seq_length": getattr(encoder, "max_seq_length", None),
            },
            "labels": {
                "by_kind": counts, "total": len(self.labels), "trained_on": len(self.train_examples),
                "held_out": len(self.held_set),
                "held_out_ids": sorted(ex.label_id for ex in self.held_set if ex.label_id is not None),
                "unused": self.plan.unused,
            },
            "before": before,
            "after": after,
            "forgetting": forgetting,
            "warnings": warnings,
            "loss_curve": stats.curve,
            "train_seconds": stats.seconds,
            "train_cpu_seconds": stats.cpu_seconds,
            "examples_per_s": stats.examples_per_s,
            "seconds": seconds,
            "created_at": time.time(),
        }
