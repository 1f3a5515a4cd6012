"""Labels, training and model versions: `likewise labels import|list|export|delete`,
`likewise train`, `likewise models list|activate|delete`, `likewise eval pairs`."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from app.commands.common import TerminalProgress, add_common, open_library, print_json

KINDS = ("pair_binary", "pair_score", "triplet", "positive_pair")
METRIC_NAMES = {
    "spearman": "Spearman", "pearson": "Pearson", "ap": "average precision", "f1": "best F1",
    "accuracy": "accuracy", "top1": "top-1",
}


def register(sub: Any) -> None:
    labels = sub.add_parser("labels", help="labelled pairs for fine-tuning: import, list, export, delete")
    lsub = labels.add_subparsers(dest="labels_command", metavar="ACTION", required=True)
    p = lsub.add_parser("import", help="import a CSV/TSV/JSONL file of labelled pairs or triplets")
    p.add_argument("file")
    add_common(p)
    p.set_defaults(func=cmd_labels_import)
    p = lsub.add_parser("list", help="list labels, newest first")
    p.add_argument("--kind", choices=KINDS)
    p.add_argument("--search", help="only labels whose texts contain this")
    p.add_argument("--limit", type=int, default=50)
    add_common(p)
    p.set_defaults(func=cmd_labels_list)
    p = lsub.add_parser("export", help="write labels of one kind to a CSV/TSV/JSONL file")
    p.add_argument("file")
    p.add_argument("--kind", choices=KINDS)
    add_common(p)
    p.set_defaults(func=cmd_labels_export)
    p = lsub.add_parser("delete", help="delete labels by id (or all of them)")
    p.add_argument("ids", nargs="*", type=int)
    p.add_argument("--all", action="store_true", help="delete every label (of --kind, if given)")
    p.add_argument("--kind", choices=KINDS)
    add_common(p)
    p.set_defaults(func=cmd_labels_delete)

    p = sub.add_parser("train", help="fine-tune the active model on your labels (saves a new version)")
    p.add_argument("--loss", help="contrastive, cosent, cosine, softmax, triplet or mnrl "
                                  "(default: chosen from your labels)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--held-out", type=float, default=0.2, help="share of labels kept for evaluation")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--general-pairs", metavar="FILE",
                   help="scored pairs for the forgetting check (default: STS Benchmark dev)")
    p.add_argument("--no-forgetting-check", action="store_true")
    add_common(p)
    p.set_defaults(func=cmd_train)

    models = sub.add_parser("models", help="model versions: list, activate, delete")
    msub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    p = msub.add_parser("list", help="list model versions")
    add_common(p)
    p.set_defaults(func=cmd_models_list)
    p = msub.add_parser("activate", help="search with this version (re-encodes the library if needed)")
    p.add_argument("id", type=int)
    p.add_argument("--background", action="store_true",
                   help="only queue the re-encoding (the window or `likewise index` finishes it)")
    add_common(p)
    p.set_defaults(func=cmd_models_activate)
    p = msub.add_parser("delete", help="delete a version (not the active one)")
    p.add_argument("id", type=int)
    add_common(p)
    p.set_defaults(func=cmd_models_delete)


def register_eval(evals: Any) -> None:
    p = evals.add_parser("pairs", help="metrics of a model on a labelled file (pairs or triplets)")
    p.add_argument("--data", required=True, metavar="FILE", help="CSV/TSV/JSONL as for `labels import`")
    p.add_argument("--model", dest="eval_model", metavar="ID|DIR",
                   help="a model version id or a model folder (default: the active model)")
    p.add_argument("--batch-size", type=int, default=64)
    add_common(p)
    p.set_defaults(func=cmd_eval_pairs)


# -- labels ------------------------------------------------------------------------------
def cmd_labels_import(args: Any) -> int:
    with open_library(args) as lib:
        report = lib.label_table.import_labels(args.file)
    if args.json:
        print_json(report)
    else:
        scale = f" (scores on 0-{report.scale:g})" if report.scale else ""
        print(f"{report.imported} labels imported, {report.updated} already there (updated), "
              f"{len(report.errors)} rows refused; kind: {report.kind or 'none'}{scale}")
        for err in report.errors[:50]:
            print(f"  line {err.line}: {err.reason}")
        if len(report.errors) > 50:
            print(f"  ... and {len(report.errors) - 50} more")
    return 1 if report.errors and not (report.imported or report.updated) else 0


def _short(text: str | None, width: int = 50) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _label_value(lab: Any) -> str:
    if lab.kind == "pair_binary":
        return "similar" if (lab.label or 0) >= 0.5 else "not similar"
    if lab.kind == "pair_score":
        return f"{lab.original_label:.2f}/{lab.scale:g}"
    return "-"


def cmd_labels_list(args: Any) -> int:
    with open_library(args) as lib:
        labels = lib.label_table.labels(kind=args.kind, limit=args.limit, search=args.search)
        counts = lib.label_table.label_counts()
    if args.json:
        print_json(labels)
        return 0
    print("Labels: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    for lab in labels:
        third = f" | {_short(lab.sentence3, 30)}" if lab.sentence3 else ""
        print(f"{lab.id:>6}  {lab.kind:<13} {_label_value(lab):<12} {lab.source:<7} "
              f"{_short(lab.sentence1)} | {_short(lab.sentence2)}{third}")
    return 0


def cmd_labels_export(args: Any) -> int:
    with open_library(args) as lib:
        n = lib.label_table.export_labels(args.file, kind=args.kind)
    if args.json:
        print_json({"written": n, "file": args.file})
    else:
        print(f"{n} labels written to {args.file}")
    return 0


def cmd_labels_delete(args: Any) -> int:
    with open_library(args) as lib:
        ids = list(args.ids)
        if args.all:
            ids = [lab.id for lab in lib.label_table.labels(kind=args.kind)]
        elif not ids:
            print("Name the label ids to delete, or --all.", file=sys.stderr)
            return 2
        n = lib.label_table.delete_labels(ids)
    if args.json:
        print_json({"deleted": n})
    else:
        print(f"{n} labels deleted")
    return 0


# -- training ------------------------------------------------------------------------------
class TrainPrinter:
    """Training progress on the terminal: phases as lines, steps as a bar."""

    def __init__(self, stream: Any = None) -> None:
        from app.commands.bars import Bar

        self.stream = stream or sys.stderr
        self.bar = Bar("training", unit="step", stream=self.stream)
        self.tty = self.bar.tty
        self._last = 0.0
        self._phase = ""

    def __call__(self, p: Any) -> None:
        if p.phase != "training":
            if self._phase == "training":
                self.bar.close()
            if p.message:
                self.stream.write(f"{p.message}...\n")
            self._phase = p.phase
            return
        self._phase = p.phase
        if self.tty:
            self.bar.update(p.step, p.total, f"epoch {p.epoch}, loss {p.loss:.4f}")
            return
        now = time.monotonic()
        if p.step != p.total and now - self._last < 5.0:
            return
        self._last = now
        eta = f", ETA {p.eta_s:.0f}s" if p.eta_s is not None else ""
        self.stream.write(f"step {p.step}/{p.total}, epoch {p.epoch}, loss {p.loss:.4f}{eta}\n")
        self.stream.flush()


def _metric_rows(before: dict, after: dict) -> list[tuple[str, str, float | None, float | None]]:
    rows = []
    for kind in sorted(set(before) | set(after)):
        keys = [k for k in ("ap", "f1", "accuracy", "spearman", "pearson", "top1")
                if k in before.get(kind, {}) or k in after.get(kind, {})]
        for key in keys:
            rows.append((kind, key, before.get(kind, {}).get(key), after.get(kind, {}).get(key)))
    return rows


def print_before_after(before: dict, after: dict, stream: Any = None) -> None:
    out = stream or sys.stdout
    n = next((int(m["n"]) for m in after.values()), 0)
    out.write(f"Held-out labels ({n} per kind at most), before -> after:\n")
    out.write(f"  {'labels':<13} {'metric':<18} {'before':>8} {'after':>8} {'change':>8}\n")
    for kind, key, b, a in _metric_rows(before, after):
        change = f"{a - b:+8.2f}" if a is not None and b is not None else "       -"
        bs = f"{b:8.2f}" if b is not None else "       -"
        as_ = f"{a:8.2f}" if a is not None else "       -"
        out.write(f"  {kind:<13} {METRIC_NAMES.get(key, key):<18} {bs} {as_} {change}\n")


def cmd_train(args: Any) -> int:
    from core.addon import require_torch

    require_torch("Fine-tuning")   # the base download: the training add-on brings torch
    with open_library(args) as lib:
        plan = lib.training.train_plan(args.loss)
        if not args.json:
            print(f"Loss: {plan.loss} ({plan.reason})")
            if plan.unused:
                print("  not used by this loss: " + ", ".join(f"{n} {k}" for k, n in plan.unused.items()))
        printer = None if args.json else TrainPrinter()
        result = lib.training.train(
            loss=args.loss, epochs=args.epochs, held_out=args.held_out, batch_size=args.batch_size,
            lr=args.lr, seed=args.seed, progress=printer, general_pairs=args.general_pairs,
            check_forgetting=not args.no_forgetting_check,
        )
    if args.json:
        print_json(result)
        return 0
    settings = result.report["settings"]
    print(f"Trained {settings['steps']} steps on {result.report['labels']['trained_on']} labels in "
          f"{result.report['train_seconds']:.1f} s ({result.report['examples_per_s']:.1f} examples/s, "
          f"{settings['device']}, {settings['precision']})")
    if result.before or result.after:
        print_before_after(result.before, result.after)
    if result.forgetting:
        f = result.forgetting
        print(("WARNING: " if f["warning"] else "Forgetting check: ") + f["message"])
    for w in result.warnings:
        if not result.forgetting or w != result.forgetting["message"]:
            print(f"Note: {w}")
    print(f"New model version {result.model_id}: {result.name} (not active)")
    print(f"  activate it with: likewise models activate {result.model_id}")
    print(f"  or throw it away: likewise models delete {result.model_id}")
    return 0


# -- models ----------------------------------------------------------------------------------
def cmd_models_list(args: Any) -> int:
    with open_library(args) as lib:
        models = lib.versions.models()
    if args.json:
        print_json(models)
        return 0
    for m in models:
        state = "active" if m.active else ("switching to" if m.target else "")
        vectors = f"{m.vectors}/{m.chunks} passages encoded"
        parent = f" from {m.parent_id}" if m.parent_id else ""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(m.created_at))
        print(f"{m.id:>4} {state:<12} {m.kind:<9}{parent:<8} {m.name}  ({m.dim}-d, {vectors}, {when})")
        if m.report and m.report.get("after"):
            bits = []
            for kind, metrics in m.report["after"].items():
                key = {"pair_binary": "ap", "pair_score": "spearman", "triplet": "accuracy"}.get(kind, "top1")
                if key in metrics and kind in m.report.get("before", {}):
                    bits.append(f"{kind} {key} {m.report['before'][kind][key]:.1f} -> {metrics[key]:.1f}")
            if bits:
                print("      held-out: " + "; ".join(bits))
    return 0


def cmd_models_activate(args: Any) -> int:
    with open_library(args) as lib:
        now = lib.versions.activate(args.id)
        if not now and not args.background:
            bar = None if args.json else TerminalProgress()
            report = lib.indexer.process_jobs(progress=bar)
            if bar:
                bar.finish()
            if report.cancelled:
                print("Stopped; the re-encoding resumes with `likewise index`.", file=sys.stderr)
                return 130
        active = lib.versions.active_model_id()
        progress = lib.versions.switch_progress()
    if args.json:
        print_json({"active": active, "switched": active == args.id, "progress": progress})
    elif active == args.id:
        print(f"Model {args.id} is active" + (" (its vectors were already there)" if now else ""))
    else:
        done, total = progress or (0, 0)
        print(f"Model {args.id} is being encoded ({done}/{total} passages); search keeps model "
              f"{active} until it is complete. `likewise index` continues it.")
    return 0


def cmd_models_delete(args: Any) -> int:
    with open_library(args) as lib:
        lib.versions.delete(args.id)
    if args.json:
        print_json({"deleted": args.id})
    else:
        print(f"Model version {args.id} deleted")
    return 0


# -- eval pairs --------------------------------------------------------------------------------
def cmd_eval_pairs(args: Any) -> int:
    from core.train.evaluate import evaluate_examples, read_examples_and_errors

    examples, errors = read_examples_and_errors(args.data)
    for err in errors[:20]:
        print(f"skipped line {err.line}: {err.reason}", file=sys.stderr)
    with open_library(args) as lib:
        model = args.eval_model
        if model is None:
            encoder, name = lib.versions.encoder(), lib.versions.model_row(lib.versions.active_model_id())["name"]
        elif model.isdigit() and not Path(model).exists():
            encoder, name = lib.versions.encoder(int(model)), lib.versions.model_row(int(model))["name"]
        else:
            from core.encoder.precision import load_fp32

            encoder, name = load_fp32(Path(model), lib.settings.device, "Evaluating a model folder at fp32"), model
        metrics = evaluate_examples(encoder, examples, batch_size=args.batch_size)
    if args.json:
        print_json({"model": name, "data": args.data, "metrics": metrics, "skipped_rows": errors})
        return 0
    print(f"{name} on {args.data}:")
    for kind, m in metrics.items():
        parts = [f"{METRIC_NAMES.get(k, k)} {v:.2f}" for k, v in m.items()
                 if k in METRIC_NAMES]
        print(f"  {kind} ({int(m['n'])}): " + ", ".join(parts))
    return 0
