"""make bench-index (mail and archives row): Likewise indexing generated mail and archives
against the same text as plain .txt files, same run, same model.

Files (generated here, in a temporary folder):
- eml: N .eml messages (a body of a few paragraphs, a quoted reply, one text attachment);
- mbox: one mbox of N messages (the same messages);
- zip: one .zip holding N .txt members and N/10 .docx members;
- txt (the peer): the same bodies and attachments as N + N plain .txt files.
Each format is indexed from scratch into its own library, in a child process so that the
peak memory is its own. Reported: files/s (container files), documents/s (messages,
attachments, members), passages/s, and each format's documents/s as a ratio to the .txt
peer's. A last row streams a larger mbox through the extraction worker alone and gives
the worker's peak memory against the mbox's size (bounded memory: the ratio falls as
the mbox grows).

Usage: python bench/bench_mail.py [--messages N] [--big-mbox N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ("harbour lamp keeper tide storm gull breakwater oil wick beacon channel pilot buoy "
         "reef chart compass anchor mooring jetty signal").split()


def _body(i: int) -> str:
    para = [" ".join(WORDS[(i * 7 + j * 3 + k) % len(WORDS)] for k in range(40)) + f" number{i}x{j}."
            for j in range(3)]
    return "\n\n".join(para) + f"\n\nOn Mon, Bob wrote:\n> an earlier note {i}\n"


def _message(i: int):
    from email.message import EmailMessage

    m = EmailMessage()
    m["Subject"] = f"Harbour note {i}"
    m["From"] = f"Sender {i % 17} <s{i % 17}@example.org>"
    m["To"] = "crew@example.org"
    m.set_content(_body(i))
    m.add_attachment(f"Attachment of note {i}: {' '.join(WORDS[i % 5:i % 5 + 12])}".encode(),
                     maintype="text", subtype="plain", filename=f"note{i}.txt")
    return m


def make(kind: str, folder: Path, n: int) -> int:
    """Write the files of one format; returns how many files."""
    folder.mkdir(parents=True)
    if kind == "eml":
        for i in range(n):
            (folder / f"m{i:05d}.eml").write_bytes(bytes(_message(i)))
        return n
    if kind == "mbox":
        with open(folder / "Inbox.mbox", "wb") as fh:
            for i in range(n):
                fh.write(f"From s{i}@example.org Sat Dec  5 07:00:00 2026\n".encode()
                         + bytes(_message(i)).replace(b"\r\n", b"\n") + b"\n")
        return 1
    if kind == "zip":
        import zipfile

        import docx

        with zipfile.ZipFile(folder / "notes.zip", "w", zipfile.ZIP_DEFLATED) as z:
            for i in range(n):
                z.writestr(f"notes/n{i:05d}.txt", _body(i).split("\n\nOn Mon")[0])
            for i in range(n // 10):
                d = docx.Document()
                d.add_paragraph(_body(i).split("\n\n")[0])
                target = folder.parent / "tmp.docx"
                d.save(str(target))
                z.write(target, f"docs/d{i:05d}.docx")
                target.unlink()
        return 1
    for i in range(n):                     # the peer: the same text as plain files
        (folder / f"m{i:05d}.txt").write_text(_body(i).split("\n\nOn Mon")[0])
        (folder / f"a{i:05d}.txt").write_text(f"Attachment of note {i}: {' '.join(WORDS[i % 5:i % 5 + 12])}")
    return 2 * n


def run_index(kind: str, n: int) -> dict:
    import core.offline  # noqa: F401
    from core.library import Library

    with tempfile.TemporaryDirectory() as tmp:
        files = make(kind, Path(tmp) / "docs", n)
        start = time.perf_counter()
        lib = Library(path=Path(tmp) / "lib.sqlite")
        lib.add_folder(Path(tmp) / "docs")
        lib.indexer.index()
        seconds = time.perf_counter() - start
        counts = lib.status_counts()
        lib.close()
    return {"kind": kind, "files": files, "documents": counts["indexed"], "chunks": counts["chunks"],
            "unreadable": counts["unreadable"], "seconds": seconds}


def run_stream(n: int) -> dict:
    from core.extract.isolated import IsolatedExtractor

    with tempfile.TemporaryDirectory() as tmp:
        make("mbox", Path(tmp) / "docs", n)
        path = Path(tmp) / "docs" / "Inbox.mbox"
        heard = 0

        def member(_m) -> None:
            nonlocal heard
            heard += 1

        start = time.perf_counter()
        with IsolatedExtractor(timeout_s=120, memory_mb=4096) as ex:
            result = ex.extract(path, member=member)
        seconds = time.perf_counter() - start
        size_mb = path.stat().st_size / 1048576
    return {"kind": "mbox-stream", "messages": result.pages, "members": heard, "seconds": seconds,
            "mbox_mb": size_mb, "parent_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--big-mbox", type=int, default=20_000)
    ap.add_argument("--child", nargs="+")
    args = ap.parse_args()
    if args.child:
        kind, n = args.child[0], int(args.child[1])
        print(json.dumps(run_stream(n) if kind == "mbox-stream" else run_index(kind, n)))
        return
    _child(["txt", "2"])    # warm-up: the first run may make the model's int8 export (cached)
    rows = [_child([kind, str(args.messages)]) for kind in ("txt", "eml", "mbox", "zip")]
    peer = rows[0]["documents"] / rows[0]["seconds"]
    print(f"mail and archives, {args.messages} messages each (generated); peer: the same text as .txt files")
    print(f"{'format':8} {'files':>6} {'docs':>6} {'passages':>9} {'files/s':>8} {'docs/s':>8} "
          f"{'passages/s':>10} {'docs/s vs txt':>13}")
    for r in rows:
        docs_s = r["documents"] / r["seconds"]
        print(f"{r['kind']:8} {r['files']:>6} {r['documents']:>6} {r['chunks']:>9} {r['files'] / r['seconds']:>8.1f} "
              f"{docs_s:>8.1f} {r['chunks'] / r['seconds']:>10.1f} {docs_s / peer:>12.2f}x")
    s = _child(["mbox-stream", str(args.big_mbox)])
    print(f"mbox streamed through the worker: {s['messages']:,} messages ({s['mbox_mb']:.0f} MB) in "
          f"{s['seconds']:.1f} s = {s['messages'] / s['seconds']:,.0f} messages/s; worker peak "
          f"{s['worker_peak_mb']:.0f} MB, parent peak {s['parent_peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
