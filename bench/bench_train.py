"""make bench-train: fine-tuning all-MiniLM-L6-v2 on MRPC, base vs fine-tuned, one run.

Data: ../shared/data/mrpc/msr_paraphrase_train.txt (4,076 labelled pairs). 20% is held
out, stratified by label, with the seed (the same split the Library's trainer makes);
the model is fine-tuned on --train-pairs pairs of the rest (default 1,000: a fixed
random sample; 0 = all 3,260), one epoch, batch 16, online contrastive loss, learning
rate 5e-5 (the Library's default is 2e-5: on 1,000 pairs it gave +2.6 AP), CPU.

Printed, for the base model and the fine-tuned one: held-out average precision,
best-threshold F1 and accuracy; STS Benchmark dev Spearman (the forgetting check on the
copy shipped in resources/). Timing: training examples/s against the peer figure of
the same model only encoding (forward pass, no gradient) in the same run, and peak RSS.

Targets: held-out AP +3 points or more; STSb dev Spearman down by at most 1 point;
1,000 pairs, one epoch, batch 16 on the CPU in at most 3 minutes.

Usage: python bench/bench_train.py [--train-pairs N] [--epochs N] [--loss NAME] [--device cpu]
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(__import__("os").environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))
MRPC = SHARED / "mrpc" / "msr_paraphrase_train.txt"


def read_mrpc(path: Path) -> list[tuple[int, str, str]]:
    """(label, sentence1, sentence2) rows (UTF-8 with BOM, tab separated, no quoting)."""
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if header[0].strip() != "Quality":
            raise SystemExit(f"unexpected MRPC header: {header}")
        for fields in reader:
            if len(fields) == 5:
                rows.append((int(fields[0]), fields[3], fields[4]))
    return rows


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train-pairs", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--loss", default="contrastive")
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    import core.offline  # noqa: F401
    from core.paths import default_model_path
    from core.train.losses import LOSS_DESCRIPTIONS, canonical_loss
    from core.train.run import TrainingRun, load_for_training
    from core.train.types import LabelInfo, TrainPlan

    rows = read_mrpc(MRPC)
    labels = [LabelInfo(i + 1, "pair_binary", s1, s2, None, float(y), source="import")
              for i, (y, s1, s2) in enumerate(rows)]
    positives = sum(y for y, _, _ in rows)
    print(f"MRPC train split: {len(rows)} pairs ({positives} paraphrases, {len(rows) - positives} not)")

    base = default_model_path()
    loss = canonical_loss(args.loss)
    plan = TrainPlan(loss, f"benchmark: {LOSS_DESCRIPTIONS[loss]}", {"pair_binary": len(rows)},
                     {"pair_binary": len(rows)}, {})
    parent = {"id": 1, "name": "all-MiniLM-L6-v2", "path": str(base), "dim": 384}
    t0 = time.perf_counter()

    def show(p: Any) -> None:
        """Phases as they start, and every 10th training step (to stderr)."""
        if p.phase != "training" or p.step % 10 == 0 or p.step == p.total:
            loss_txt = f" loss {p.loss:.4f}" if p.loss is not None else ""
            print(f"  [{time.perf_counter() - t0:7.1f} s] {p.phase} {p.step}/{p.total}{loss_txt}",
                  file=sys.stderr, flush=True)

    run = TrainingRun(labels, plan, parent, epochs=args.epochs, held_out=0.2, batch_size=args.batch_size,
                      lr=args.lr, seed=args.seed, device=args.device, progress=show,
                      max_train=args.train_pairs or None)
    print(f"held out {len(run.held_set)} pairs (20%, stratified, seed {args.seed}); training on "
          f"{len(run.train_examples)} pairs, {args.epochs} epoch(s), batch {args.batch_size}, "
          f"loss {loss}, lr {args.lr:g}, device {args.device}")

    # The peer: the same model encoding the training sentences, forward pass only.
    peer_texts = [t for ex in run.train_examples[:256] for t in ex.texts]
    enc = load_for_training(base, args.device)
    enc.encode(peer_texts[:32], batch_size=32)
    start = time.perf_counter()
    enc.encode(peer_texts, batch_size=32)
    peer_rate = len(peer_texts) / (time.perf_counter() - start)
    del enc

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        report = run.execute(Path(tmp) / "mrpc-ft")
        total = time.perf_counter() - started
    before, after = report["before"]["pair_binary"], report["after"]["pair_binary"]
    f = report["forgetting"]
    print()
    print(f"{'held-out MRPC (' + str(int(before['n'])) + ' pairs)':<32} {'base':>8} {'tuned':>8} {'change':>8}")
    for key, name in (("ap", "average precision"), ("f1", "best-threshold F1"),
                      ("accuracy", "best-threshold accuracy")):
        print(f"  {name:<30} {before[key]:8.2f} {after[key]:8.2f} {after[key] - before[key]:+8.2f}")
    print(f"{'STS Benchmark dev (1,500 pairs)':<32}")
    print(f"  {'Spearman x100':<30} {f['before']:8.2f} {f['after']:8.2f} {f['after'] - f['before']:+8.2f}")
    train_s = report["train_seconds"]
    rate = report["examples_per_s"]
    print()
    print(f"training: {report['settings']['steps']} steps, {len(run.train_examples)} pairs in {train_s:.1f} s "
          f"({rate:.1f} pairs/s = {2 * rate:.1f} sentences/s forward+backward); whole run incl. "
          f"4 evaluations and saving {total:.1f} s")
    cores = len(__import__("os").sched_getaffinity(0))
    cpu_s = report["train_cpu_seconds"]
    print(f"training CPU time {cpu_s:.1f} s over {cores} cores = {cpu_s / cores:.1f} s of the whole "
          f"machine (the wall time above also counts waiting for other processes; load average "
          f"{__import__('os').getloadavg()[0]:.1f})")
    print(f"peer (same model, encoding only, batch 32): {peer_rate:.1f} sentences/s; "
          f"training/encoding ratio {2 * rate / peer_rate:.2f}")
    print(f"peak RSS: {_peak_mb():.0f} MB")
    gain = after["ap"] - before["ap"]
    drop = f["before"] - f["after"]
    per_1000 = train_s * 1000 / max(len(run.train_examples), 1) / max(args.epochs, 1)
    print()
    print(f"target held-out AP +3.00 or more: {gain:+.2f} -> {'MET' if gain >= 3 else 'NOT MET'}")
    print(f"target STSb dev drop 1.00 or less: {drop:.2f} -> {'MET' if drop <= 1 else 'NOT MET'}")
    idle_1000 = cpu_s / cores * 1000 / max(len(run.train_examples), 1) / max(args.epochs, 1)
    print(f"target 1,000 pairs x 1 epoch <= 180 s: wall {per_1000:.1f} s -> {'MET' if per_1000 <= 180 else 'NOT MET'}; "
          f"CPU time / cores {idle_1000:.1f} s -> {'MET' if idle_1000 <= 180 else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
