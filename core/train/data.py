"""Examples from labels, the held-out split and the batches of an epoch."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from core.train.types import PAIR_BINARY, PAIR_SCORE, Example, LabelInfo

SCORE_BINS = 5   # scores are stratified in five bins of 0.2


def example_of(label: LabelInfo) -> Example:
    texts = (label.sentence1, label.sentence2) + ((label.sentence3,) if label.sentence3 else ())
    return Example(label.id, label.kind, texts, label.label)


def stratum(example: Example) -> tuple[str, int]:
    if example.kind == PAIR_BINARY:
        return example.kind, int(round(example.label or 0.0))
    if example.kind == PAIR_SCORE:
        return example.kind, min(int((example.label or 0.0) * SCORE_BINS), SCORE_BINS - 1)
    return example.kind, 0


def split_held_out(
    examples: list[Example], share: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """(train, held_out): ``share`` of each stratum (kind and label, scores in bins) held
    out, chosen at random with ``seed``; the same labels and seed give the same split."""
    if not 0.0 <= share < 1.0:
        raise ValueError("the held-out share must be at least 0 and below 1")
    groups: dict[tuple[str, int], list[Example]] = defaultdict(list)
    for ex in sorted(examples, key=lambda e: (e.label_id is None, e.label_id or 0, e.texts)):
        groups[stratum(ex)].append(ex)
    rng = np.random.default_rng(seed)
    quotas = _quotas({k: len(v) for k, v in groups.items()}, share)
    train: list[Example] = []
    held: list[Example] = []
    for key in sorted(groups):
        group = groups[key]
        order = rng.permutation(len(group))
        chosen = set(order[: quotas[key]].tolist())
        for i, ex in enumerate(group):
            (held if i in chosen else train).append(ex)
    return train, held


def _quotas(sizes: dict[tuple[str, int], int], share: float) -> dict[tuple[str, int], int]:
    """How many of each stratum to hold out: each kind's total is round(n * share), spread
    over its strata by largest remainder; every stratum keeps at least one for training."""
    quotas = {key: int(n * share) for key, n in sizes.items()}
    for kind in sorted({k for k, _ in sizes}):
        keys = [k for k in sizes if k[0] == kind]
        want = int(round(sum(sizes[k] for k in keys) * share))
        if share > 0 and want == 0 and sum(sizes[k] for k in keys) >= 4:
            want = 1
        by_remainder = sorted(keys, key=lambda k: (-(sizes[k] * share - quotas[k]), k))
        for k in by_remainder:
            if sum(quotas[x] for x in keys) >= want:
                break
            quotas[k] += 1
    return {k: max(0, min(q, sizes[k] - 1)) for k, q in quotas.items()}


def epoch_batches(examples: list[Example], batch_size: int, seed: int, epoch: int) -> list[list[Example]]:
    """The batches of one epoch: examples with the same number of texts are batched
    together; order is random but fixed by (seed, epoch)."""
    rng = np.random.default_rng([seed, epoch])
    by_width: dict[int, list[Example]] = defaultdict(list)
    for ex in examples:
        by_width[len(ex.texts)].append(ex)
    batches: list[list[Example]] = []
    for width in sorted(by_width):
        group = by_width[width]
        order = rng.permutation(len(group))
        for start in range(0, len(group), batch_size):
            batches.append([group[i] for i in order[start : start + batch_size]])
    order = rng.permutation(len(batches))
    return [batches[i] for i in order]


def steps_per_epoch(examples: list[Example], batch_size: int) -> int:
    widths: dict[int, int] = defaultdict(int)
    for ex in examples:
        widths[len(ex.texts)] += 1
    return sum(-(-n // batch_size) for n in widths.values())
