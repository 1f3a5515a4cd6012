"""The `likewise` command. Never imports Qt."""

from __future__ import annotations

import argparse
import importlib
import sys

import core.offline  # noqa: F401  (sets HF_HUB_OFFLINE before transformers loads)
from core import __version__

COMMAND_MODULES = (     # app/commands/<name>.py, one per group of commands
    "library",     # add-folder, remove-folder, index, status
    "encoder",     # encode, eval sts, doctor
    "search",      # search, similar, eval beir
    "watch",       # watch
    "train",       # labels, train, models, eval pairs
    "dupes",       # similar-paragraphs (alias dupes)
    "cluster",     # cluster index (Ray), cluster import (shards)
    "exclude",     # exclude
    "addon",       # addon install FILE, status, remove (the training add-on: torch)
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="likewise",
        description="Find passages alike across your own documents, on your own machine.",
    )
    parser.add_argument("--version", action="version", version=f"likewise {__version__}")
    parser.add_argument("--library", metavar="FILE", help="library file (default: in your data folder)")
    parser.add_argument("--model", metavar="DIR", help="model folder (default: the bundled all-MiniLM-L6-v2)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], help="where the encoder runs")
    parser.add_argument("--precision", choices=["auto", "int8", "fp32"],
                        help="auto: the fast int8 encoder on a CPU where it passes its quality gate; fp32: exact")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    evals = None
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"app.commands.{name}")
        if hasattr(module, "register_eval"):
            if evals is None:
                ev = sub.add_parser("eval", help="measure a model or the search on a benchmark")
                evals = ev.add_subparsers(dest="eval_command", metavar="BENCHMARK", required=True)
            module.register_eval(evals)
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from app.errors import describe
    from core.errors import Cancelled, LikewiseError

    for stream in (sys.stdout, sys.stderr):
        # A file name that is not valid text must never stop the output.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return 130
    except Cancelled:
        print("Cancelled.", file=sys.stderr)
        return 130
    except LikewiseError as exc:
        print(describe(exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
