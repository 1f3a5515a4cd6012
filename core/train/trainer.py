"""The training loop: one shared encoder (siamese), a loss from core.train.losses,
AdamW with linear warm-up and decay, a fixed seed, mixed precision on a GPU."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from core.cancel import CancelToken
from core.encoder.device import COMPUTE
from core.errors import TrainingError
from core.train.data import epoch_batches, steps_per_epoch
from core.train.losses import PairLoss
from core.train.types import Example, TrainProgress

ProgressFn = Callable[[TrainProgress], None]
WARMUP_SHARE = 0.1
MAX_GRAD_NORM = 1.0


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def linear_schedule(total: int, warmup: int) -> Callable[[int], float]:
    """Learning-rate factor: 0 -> 1 over ``warmup`` steps, then 1 -> 0 at ``total``."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        return max(0.0, (total - step) / max(1, total - warmup))

    return factor


@dataclass
class TrainSettings:
    epochs: int = 1
    batch_size: int = 16
    lr: float = 2e-5
    seed: int = 42
    weight_decay: float = 0.01
    warmup_share: float = WARMUP_SHARE

    def check(self) -> None:
        if self.epochs < 1:
            raise TrainingError("epochs must be at least 1")
        if self.batch_size < 2:
            raise TrainingError("the batch size must be at least 2")
        if not (0 < self.lr < 1):
            raise TrainingError("the learning rate must be between 0 and 1")


@dataclass
class TrainStats:
    steps: int = 0
    warmup_steps: int = 0
    examples: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0          # this process's CPU time while training (all threads)
    precision: str = "float32"
    curve: list[tuple[int, float]] = field(default_factory=list)

    @property
    def examples_per_s(self) -> float:
        return self.examples / self.seconds if self.seconds > 0 else 0.0


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """Mixed precision on CUDA (bf16 where supported, else fp16); float32 elsewhere."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


class Trainer:
    """Trains ``encoder`` in place on ``examples`` with ``loss``."""

    def __init__(self, encoder: Any, loss: PairLoss, settings: TrainSettings) -> None:
        settings.check()
        self.encoder = encoder
        self.loss = loss
        self.settings = settings
        self.device: torch.device = encoder.device
        self.loss.to(self.device)

    def _embed(self, texts: list[str]) -> torch.Tensor:
        """Sentence vectors of one batch column, with gradients (every text that is
        trained on passes here)."""
        features = self.encoder.tokenize(texts)
        return self.encoder(features)["sentence_embedding"]

    def _step_loss(self, batch: list[Example]) -> torch.Tensor:
        width = len(batch[0].texts)
        reps = [self._embed([ex.texts[c] for ex in batch]) for c in range(width)]
        labels = None
        if batch[0].label is not None:
            labels = torch.tensor([ex.label for ex in batch], dtype=torch.float32, device=self.device)
        return self.loss(reps, labels)

    def run(
        self,
        examples: list[Example],
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> TrainStats:
        s = self.settings
        if not examples:
            raise TrainingError("no training examples")
        per_epoch = steps_per_epoch(examples, s.batch_size)
        total = per_epoch * s.epochs
        warmup = int(math.ceil(total * s.warmup_share)) if total > 1 else 0
        stats = TrainStats(warmup_steps=warmup)
        params = [p for p in list(self.encoder.parameters()) + list(self.loss.parameters()) if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=s.lr, weight_decay=s.weight_decay)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, linear_schedule(total, warmup))
        dtype = autocast_dtype(self.device)
        stats.precision = str(dtype).replace("torch.", "") if dtype else "float32"
        scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
        self.encoder.train()
        self.loss.train()
        started = time.monotonic()
        cpu_started = time.process_time()
        step = 0
        try:
            for epoch in range(s.epochs):
                for batch in epoch_batches(examples, s.batch_size, s.seed, epoch):
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    with COMPUTE:   # one computation at a time (core/encoder/device.py)
                        value = self._one_step(batch, optimizer, scaler, dtype, params)
                    scheduler.step()
                    step += 1
                    stats.examples += len(batch)
                    stats.curve.append((step, value))
                    if progress:
                        elapsed = time.monotonic() - started
                        eta = elapsed / step * (total - step)
                        progress(TrainProgress("training", step, total, value, eta, epoch + 1))
        finally:
            self.encoder.eval()
            stats.steps = step
            stats.seconds = time.monotonic() - started
            stats.cpu_seconds = time.process_time() - cpu_started
        return stats

    def _one_step(self, batch: list[Example], optimizer: Any, scaler: Any, dtype: Any, params: list) -> float:
        optimizer.zero_grad(set_to_none=True)
        if dtype is not None:
            with torch.autocast(device_type=self.device.type, dtype=dtype):
                loss = self._step_loss(batch)
        else:
            loss = self._step_loss(batch)
        if not torch.isfinite(loss):
            raise TrainingError("the loss became infinite or NaN; try a lower learning rate")
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM)
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM)
            optimizer.step()
        return float(loss.detach())
