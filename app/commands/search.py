"""Search commands: search, similar, and `eval beir`."""

from __future__ import annotations

import os
import shlex
import sys
import textwrap
from pathlib import Path
from typing import Any

from app.commands.common import add_common, open_library, print_json, shown

ROOT = Path(__file__).resolve().parents[2]
BOLD, YELLOW, RESET = "\x1b[1m", "\x1b[33m", "\x1b[0m"


def register(sub: Any) -> None:
    p = sub.add_parser("search", help="find passages by meaning, by words, or both")
    p.add_argument("query")
    p.add_argument("--mode", choices=["hybrid", "meaning", "dense", "keyword"], default="hybrid",
                   help="hybrid (default), meaning (also called dense) or keyword")
    p.add_argument("-k", type=int, default=10, help="how many results (default 10)")
    p.add_argument("--group", action="store_true", help="one result per document")
    p.add_argument("--type", action="append", metavar="EXT", help="only this file type (pdf, docx, ...); repeatable")
    p.add_argument("--folder", metavar="DIR", help="only documents under this folder")
    p.add_argument("--from", dest="sender", metavar="TEXT",
                   help="only mail whose sender's name or address holds TEXT")
    p.add_argument("--ocr", choices=["only", "exclude"],
                   help="only passages read by OCR (scans, images), or none of them")
    p.add_argument("--advanced", action="store_true", help="read the query as FTS5 syntax (keyword part)")
    p.add_argument("--export", metavar="FILE", help="also write the results to a .csv or .md file")
    add_common(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("similar", help="documents and passages like a file (of the library or not)")
    p.add_argument("path", help="any file: a document of the library, or one read on the spot (never saved)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--page", type=int, help="passages like the first passage on this page")
    where.add_argument("--chunk", type=int, metavar="ID", help="passages like this passage")
    p.add_argument("--same-document", action="store_true", help="also look inside the same document")
    p.add_argument("-k", type=int, default=10)
    add_common(p)
    p.set_defaults(func=cmd_similar)


def register_eval(evals: Any) -> None:
    p = evals.add_parser("beir", help="nDCG@10 and recall@100 of each search mode on a BEIR folder")
    p.add_argument("--data", required=True, metavar="DIR", help="folder with corpus.jsonl, queries.jsonl, qrels/")
    p.add_argument("--modes", nargs="+", default=["dense", "keyword", "hybrid"],
                   choices=["dense", "keyword", "hybrid"])
    p.add_argument("--limit-queries", type=int, metavar="N", help="only the first N test queries")
    p.add_argument("--sweep", action="store_true", help="also print nDCG@10 of hybrid for several RRF weights")
    p.add_argument("--no-cache", action="store_true", help="encode the corpus even if cached")
    add_common(p)
    p.set_defaults(func=cmd_eval_beir)


# -- search --------------------------------------------------------------------------
def _filters(args: Any) -> Any:
    from core.search import SearchFilters

    ocr = {"only": True, "exclude": False}.get(getattr(args, "ocr", None) or "")
    sender = getattr(args, "sender", None)
    if not args.type and not args.folder and ocr is None and not sender:
        return None
    return SearchFilters(folder=args.folder, file_types=args.type, ocr=ocr, sender=sender)


def _where(r: Any) -> str:
    path = shown(r.path)
    if r.page_start is None:
        return path
    if r.page_end and r.page_end != r.page_start:
        return f"{path}:{r.page_start}-{r.page_end}"
    return f"{path}:{r.page_start}"


def marked(text: str, span: tuple[int, int] | None, words: list[tuple[int, int]], tty: bool) -> str:
    """The passage with its best sentence marked (bold on a terminal, >>> <<< otherwise)
    and, on a terminal, the query's words in colour."""
    marks: list[tuple[int, int, str]] = []
    if span:
        marks += [(span[0], 0, BOLD if tty else ">>> "), (span[1], 1, RESET if tty else " <<<")]
    if tty:
        for s, e in words:
            marks += [(s, 2, YELLOW), (e, -1, RESET + (BOLD if span and span[0] <= e < span[1] else ""))]
    out, at = [], 0
    for pos, _, token in sorted(marks, key=lambda m: (m[0], m[1])):
        out.append(text[at:pos])
        out.append(token)
        at = pos
    out.append(text[at:])
    return "".join(out)


def _print_result(i: int, r: Any, tty: bool, width: int) -> None:
    extra = f"  (+{r.other_hits} more in this document)" if r.other_hits else ""
    if r.also_in:
        n = len(r.also_in)
        extra += f"  (also in {n} other file{'s' if n > 1 else ''})"
    if getattr(r, "ocr", False):
        extra += "  (read by OCR)"
    print(f"{i}. {_where(r)}  {_score_words(r)}{extra}")
    if getattr(r, "sender", None):
        print(f"   {r.title or ''} (from {r.sender})")
    if r.heading:
        print(f"   [{r.heading}]")
    body = marked(" ".join(r.text.split()) if not tty else r.text, None, [], False)
    if r.best_sentence or r.word_spans:
        body = marked(r.text, r.best_sentence, r.word_spans, tty)
    for line in textwrap.wrap(" ".join(body.split()), width=width) or [""]:
        print("   " + line)
    print()


def _score_words(r: Any) -> str:
    """The absolute strength and what is behind it (the rank score is only an order)."""
    parts = [f"score {r.strength:.2f}"]
    if r.cosine is not None:
        parts.append(f"cosine {r.cosine:.3f}")
    if r.bm25 is not None:
        parts.append(f"BM25 {r.bm25:.2f}")
    return parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")


def cmd_search(args: Any) -> int:
    from core.export import export_results

    with open_library(args) as lib:
        results = lib.searcher.search(args.query, mode=args.mode, k=args.k, filters=_filters(args),
                                      group_by_document=args.group, advanced=args.advanced)
    if args.export:
        n = export_results(results, args.export, query=args.query)
        sys.stderr.write(f"{n} results written to {args.export}\n")
    if args.json:
        print_json(results)
        return 0
    if not results:
        print(getattr(results, "reason", None) or "No results.")
        return 0
    tty = sys.stdout.isatty()
    width = max(40, min(os.get_terminal_size().columns if tty else 100, 120) - 4)
    for i, r in enumerate(results, 1):
        _print_result(i, r, tty, width)
    return 0


# -- similar ---------------------------------------------------------------------------
def _chunk_for_page(lib: Any, doc: Any, page: int) -> int:
    from core.errors import NotFoundError

    for c in lib.catalog.chunks_of(doc.id):
        if c.page_start is not None and c.page_start <= page <= (c.page_end or c.page_start):
            return c.id
    raise NotFoundError(f"no passage on page {page} of {shown(doc.path)}")


def cmd_similar(args: Any) -> int:
    from core.errors import InvalidInputError

    with open_library(args) as lib:
        if args.page is None and args.chunk is None:
            return _similar_to_file(lib, args)
        doc = lib.catalog.document(args.path)
        cid = args.chunk if args.chunk is not None else _chunk_for_page(lib, doc, args.page)
        if args.chunk is not None and lib.catalog.chunk(cid).document_id != doc.id:
            raise InvalidInputError(f"passage {cid} is not in {shown(doc.path)}")
        results = lib.searcher.similar_to_chunk(cid, k=args.k, same_document=args.same_document)
        if args.json:
            print_json(results)
            return 0
        print(f"Passages like #{cid} of {_where(lib.catalog.chunk(cid))}:\n")
        tty = sys.stdout.isatty()
        for i, r in enumerate(results, 1):
            _print_result(i, r, tty, 96)
        if not results:
            print("No similar passages.")
    return 0


def _similar_to_file(lib: Any, args: Any) -> int:
    """Documents like the file (a library document, or one read on the spot), then the
    passages most like its passages; for a file outside the library, a hint to add it."""
    found = lib.similar_file.similar_to_file(args.path, k=args.k)
    if args.json:
        print_json(found.documents if found.in_library else found)
        return 0
    if not found.in_library:
        print(f"{shown(found.path)} is not in your library: read on the spot ({len(found.passages)} "
              "passages), nothing saved.")
    _print_documents(lib, found)
    print("Passages like its passages:\n")
    if not found.similar_passages:
        print("No similar passages.")
    for i, r in enumerate(found.similar_passages, 1):
        _print_result(i, r, False, 96)
    if found.folder_to_add:
        folder = shlex.quote(shown(found.folder_to_add))
        print(f"Hint: to keep it in your library, add its folder: likewise add-folder {folder}")
    return 0


def _print_documents(lib: Any, found: Any) -> None:
    print(f"Documents like {shown(found.path)}:\n")
    if not found.documents:
        print("No similar documents.")
    for i, s in enumerate(found.documents, 1):
        print(f"{i}. {shown(s.document.path)}  {s.alike}  score {s.score:.2f}  "
              f"({s.matched_passages}/{s.source_passages} body passages matched)")
        print(f"   {s.explanation}")
        for src, tgt, cos in s.pairs:
            b = lib.catalog.chunk(tgt)
            if found.in_library:
                a = lib.catalog.chunk(src)
                print(f"   {cos:.3f}  #{src} p.{a.page_start or '-'}: {_short(a.text)}")
            else:
                a = found.passages[src]
                print(f"   {cos:.3f}  passage {src + 1} p.{a.page_start or '-'}: {_short(a.text)}")
            print(f"          #{tgt} p.{b.page_start or '-'}: {_short(b.text)}")
        print()


def _short(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


# -- eval beir ---------------------------------------------------------------------------
def cmd_eval_beir(args: Any) -> int:
    from app.commands.bars import Bar
    from core.evaluation.beir import evaluate_beir
    from core.library import Library
    from core.settings import Settings

    settings = Settings()
    if args.device:
        settings.device = args.device

    bar = Bar("encoding the corpus", unit="passage")

    def progress(done: int, total: int) -> None:
        if not args.json:
            bar.update(done, total)

    report = evaluate_beir(
        args.data, lambda path: Library(path=path, settings=settings, model_path=args.model),
        modes=tuple(args.modes), limit_queries=args.limit_queries,
        cache_dir=None if args.no_cache else ROOT / "bench" / "out", sweep=args.sweep,
        progress=progress,
    )
    bar.close()
    if args.json:
        print_json(report)
        return 0
    sys.stderr.write("\n")
    how = "cached vectors" if report.cached_vectors else f"encoded in {report.encode_seconds:.0f} s"
    print(f"{report.data}: {report.documents} documents ({how}), {report.queries} queries")
    print(f"{'mode':<8} {'nDCG@10':>8} {'recall@100':>11} {'s/query':>8}")
    for s in report.scores:
        print(f"{s.mode:<8} {100 * s.ndcg10:>8.2f} {100 * s.recall100:>11.2f} {s.seconds / max(s.queries, 1):>8.3f}")
    if report.sweep:
        print("\nRRF sweep (nDCG@10 x 100): k, dense weight (keyword weight 1)")
        for k, w, nd in report.sweep:
            print(f"  k={k:>4.0f}  w_dense={w:<4}  {100 * nd:.2f}")
    return 0
