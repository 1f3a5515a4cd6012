"""Fine-tuning: train the active model on the labels and save a new version.

Training starts from the active model, holds out a stratified share of the labels,
measures before and after on that share and on general pairs (forgetting), and saves a
new model version in the sentence-transformers folder format under the user's data
folder. A version is not used until it is activated (core/model_versions.py): then the
indexer re-encodes the library in the background and switches atomically when every
passage has its new vector."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

from core import paths
from core.addon import require_torch
from core.cancel import CancelToken
from core.changes import MODELS, reads, writes
from core.errors import TrainingError
from core.events import Events
from core.memory import release_memory
from core.model_versions import ModelVersions
from core.settings import Settings
from core.train.label_table import Labels
from core.train.types import TrainPlan, TrainProgress, TrainResult

MIN_TRAIN_EXAMPLES = 2
# Below this many usable labels the held-out share (20 % by default) keeps too few pairs
# for the before/after measure to mean anything (7 labels hold out one pair).
RECOMMENDED_LABELS = 20
REPORT_FILE = "training_report.json"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "model"


class Training:
    def __init__(self, settings: Settings, versions: ModelVersions, labels: Labels, events: Events) -> None:
        self.settings = settings
        self.events = events
        self.versions = versions
        self.labels = labels

    @reads
    def train_plan(self, loss: str | None = None) -> TrainPlan:
        """Which loss training would use with the labels now in the library, and why."""
        from core.train.data import example_of
        from core.train.losses import LOSS_DESCRIPTIONS, canonical_loss, choose_loss, usable

        counts = self.labels.label_counts()
        if loss:
            name = canonical_loss(loss)
            reason = f"chosen by you: {LOSS_DESCRIPTIONS[name]}"
        else:
            name, reason = choose_loss(counts)
        used: Counter[str] = Counter()
        unused: Counter[str] = Counter()
        labels = self.labels.labels()
        for lab in labels:
            (used if usable(name, example_of(lab)) is not None else unused)[lab.kind] += 1
        return TrainPlan(name, reason, counts, dict(used), dict(unused), RECOMMENDED_LABELS,
                         label_advice(labels, sum(used.values())))

    @writes(MODELS, long=True)
    def train(
        self,
        loss: str | None = None,
        epochs: int = 1,
        held_out: float = 0.2,
        batch_size: int = 16,
        lr: float = 2e-5,
        seed: int = 42,
        device: str | None = None,
        progress: Any = None,
        cancel: CancelToken | None = None,
        general_pairs: Path | str | None = None,
        check_forgetting: bool = True,
        name: str | None = None,
    ) -> TrainResult:
        """Fine-tune the active model on the labels; save a new version (not activated)."""
        require_torch("Fine-tuning")
        from core.train.run import TrainingRun

        if not 0.0 <= held_out < 1.0:
            raise TrainingError("the held-out share must be at least 0 and below 1")
        plan = self.train_plan(loss)
        parent_id = self.versions.active_model_id()
        parent = self.versions.model_row(parent_id)
        parent["path"] = str(self.versions.model_folder(parent_id))
        run = TrainingRun(
            labels=self.labels.labels(), plan=plan, parent=parent, epochs=epochs, held_out=held_out,
            batch_size=batch_size, lr=lr, seed=seed, device=device or self.settings.device,
            progress=progress, cancel=cancel,
            general_pairs=(Path(general_pairs) if general_pairs else None) if check_forgetting else False,
        )
        folder_name = self._new_model_name(name or f"{_slug(parent['name'])}-ft")
        target = paths.models_dir() / folder_name
        try:
            report = run.execute(target)
        finally:
            # the training copy of the model, its gradients and the optimizer's state are
            # garbage now: give their memory back (an idle window kept 3 GB otherwise)
            run.release()
            release_memory()
        model_id = self.versions.add_finetuned(folder_name, target, run.dim, parent_id, report)
        report["model_id"] = model_id
        (target / REPORT_FILE).write_text(json.dumps(report, indent=2), encoding="utf-8")
        if progress:
            # the last word of the run carries the whole fraction: a throttled reporter may
            # drop the "saving" step before it, and the bar must still end full
            progress(TrainProgress("done", run.total_steps, run.total_steps, None, 0.0,
                                   message=f"saved as model {model_id}", fraction=1.0))
        return TrainResult(
            model_id=model_id, name=folder_name, path=str(target), loss=plan.loss, loss_reason=plan.reason,
            before=report["before"], after=report["after"], forgetting=report.get("forgetting"),
            held_out_ids=report["labels"]["held_out_ids"], warnings=report["warnings"],
            seconds=report["seconds"], report=report,
        )

    def _new_model_name(self, stem: str) -> str:
        base = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
        name, n = base, 1
        taken = self.versions.names()
        while name in taken or (paths.models_dir() / name).exists():
            n += 1
            name = f"{base}-{n}"
        return name



def label_advice(labels: list, usable: int, minimum: int = RECOMMENDED_LABELS) -> list[str]:
    """What a person should label next, in words (the Train dialog shows it)."""
    advice = []
    if usable < minimum:
        advice.append(
            f"Label at least {minimum - usable} more pairs (at least {minimum} in all): with fewer, "
            "the pairs held out for testing are too few to tell whether training helped.")
    binary = [lab for lab in labels if lab.kind == "pair_binary"]
    similar = sum(1 for lab in binary if (lab.label or 0) >= 0.5)
    other = len(binary) - similar
    if binary and min(similar, other) * 3 < len(binary):
        if similar < other:
            advice.append(f"Mark more results as relevant (similar): {similar} similar against {other} not.")
        else:
            advice.append(f"Mark more results as not relevant, especially ones that look alike but are "
                          f"not: {other} not similar against {similar} similar.")
    if usable < minimum:
        advice.append("On the Search page mark results relevant or not; in Similar paragraphs confirm or "
                      "reject pairs; or import a label file.")
    return advice
