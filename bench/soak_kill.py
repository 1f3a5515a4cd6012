"""Soak: kill `likewise` with SIGKILL at 20 moments spread over every phase of the work,
check the library after each kill, and compare the resumed library with a clean run.

    make soak                       # 40 PDFs of shared/data/pdf_real, the bundled model
    python bench/soak_kill.py --files 12 --kills 20 --model tiny   # quicker

Phases (core/faults.py): scan, extract, write (inside a document's transaction, after
its passages), upsert (at its end, before the commit), encode and vectors (the second
stage: a group encoded, before its vectors are written), mine (similar-paragraph mining,
`likewise dupes`), reembed (a model switch re-encoding the library). Each kill is
made at a random occurrence of its phase; a run that ends before reaching it is killed
at a random moment instead (0.5-6 s after it starts). After every kill:
PRAGMA integrity_check is ok, every document is complete (passages and words; and a vector
for each passage under the active model, or an embed job that will bring it) or absent,
and no file is blamed for a kill.
At the end one uninterrupted `likewise index` resumes the work; its passages (count and
text hashes per file) must equal those of one clean run on a fresh library.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import apsw

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LIKEWISE_SHARED_DATA", ROOT.parent / "shared" / "data"))
INDEX_PHASES = ("scan", "extract", "encode", "write", "upsert", "vectors")


def cli(lib: Path, model: Path, *args: str, kill_at: str | None = None, timeout: float = 1800,
        kill_after: float | None = None) -> int:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    env.pop("LIKEWISE_KILL_AT", None)
    if kill_at:
        env["LIKEWISE_KILL_AT"] = kill_at
        env["LIKEWISE_TEST_HOOKS"] = "1"      # the test-only fence (core/faults.py)
    cmd = [sys.executable, "-m", "app.cli", "--library", str(lib), "--model", str(model), *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if kill_after is not None:
            try:
                proc.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=timeout)
    finally:
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if "Traceback" in err:
        raise SystemExit(f"traceback from {' '.join(args)}:\n{err[-3000:]}")
    return proc.returncode


def passages(lib: Path) -> dict[str, collections.Counter]:
    conn = apsw.Connection(str(lib), flags=apsw.SQLITE_OPEN_READONLY)
    out: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for path, h in conn.execute(
            "SELECT d.path, c.text_hash FROM chunks c JOIN documents d ON d.id = c.document_id"):
        out[os.path.basename(path)][h] += 1
    conn.close()
    return out


def check(lib: Path) -> dict:
    """Integrity and completeness of a library right after a kill."""
    import sqlite_vec

    conn = apsw.Connection(str(lib))
    conn.enable_load_extension(True)
    conn.load_extension(sqlite_vec.loadable_path())
    q = lambda sql, *a: conn.execute(sql, a).fetchall()  # noqa: E731
    problems = []
    if q("PRAGMA integrity_check")[0][0] != "ok":
        problems.append("integrity_check failed")
    active = q("SELECT value FROM meta WHERE key = 'active_model_id'")
    if active:
        table = f"vec_m{int(active[0][0])}"
        # words first, meaning next: a passage may wait for its vector, never without its job
        missing = q(f"SELECT COUNT(*) FROM chunks c LEFT JOIN {table} v ON v.chunk_id = c.id "
                    "WHERE v.chunk_id IS NULL AND c.document_id NOT IN (SELECT document_id FROM jobs "
                    "WHERE kind = 'embed' AND model_id = ?)", int(active[0][0]))[0][0]
        if missing:
            problems.append(f"{missing} passages without a vector or an embed job under the active model")
    empty = q("SELECT COUNT(*) FROM documents d WHERE d.status = 'indexed' AND NOT EXISTS "
              "(SELECT 1 FROM chunks c WHERE c.document_id = d.id)")[0][0]
    if empty:
        problems.append(f"{empty} indexed documents without passages")
    orphans = q("SELECT COUNT(*) FROM chunks c LEFT JOIN documents d ON d.id = c.document_id "
                "WHERE d.id IS NULL")[0][0]
    if orphans:
        problems.append(f"{orphans} passages without a document")
    fts = q("SELECT COUNT(*) FROM chunks_fts")[0][0]
    chunks = q("SELECT COUNT(*) FROM chunks")[0][0]
    if fts != chunks:
        problems.append(f"{fts} word rows for {chunks} passages")
    blamed = q("SELECT path, error FROM documents WHERE error LIKE '%stopped%times%'")
    if blamed:
        problems.append(f"files blamed for kills: {blamed}")
    docs = q("SELECT COUNT(*) FROM documents WHERE status = 'indexed'")[0][0]
    conn.close()
    return {"problems": problems, "docs": docs, "chunks": chunks}


def pick_files(n: int) -> list[Path]:
    pdfs = sorted((SHARED / "pdf_real").rglob("*.pdf"), key=lambda p: str(p))
    named = [p for p in pdfs if p.name in ("2305.03393v1-pg9.pdf", "ThuluthFeatures.pdf", "canvas.pdf",
                                           "skipped_2pages.pdf")]
    rest = [p for p in pdfs if p not in named]
    random.Random(7).shuffle(rest)
    return (named + rest)[:n]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--model", default="default", help="'default' (bundled), 'tiny', or a folder")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="likewise-soak-"))
    sys.path.insert(0, str(ROOT))
    from core.paths import default_model_path

    second = work / "second-model"
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import build_tiny_bert  # the tiny random BERT of the tests

    build_tiny_bert(second, seed=3)
    model = {"default": default_model_path(), "tiny": None}.get(args.model, Path(args.model))
    if model is None:
        model = build_tiny_bert(work / "tiny-model", seed=1)
    folder = work / "docs"
    folder.mkdir()
    for f in pick_files(args.files):
        name = f.name if not (folder / f.name).exists() else f"{f.parent.name}-{f.name}"
        shutil.copy(f, folder / name)
    print(f"soak: {args.files} PDFs, {args.kills} kills, model {model}")

    started = time.monotonic()
    clean = work / "clean.sqlite"
    cli(clean, model, "add-folder", str(folder))
    clean_s = time.monotonic() - started
    reference = passages(clean)
    if not reference:
        raise SystemExit("the clean run indexed nothing: check the data folder and the model")
    print(f"clean run: {sum(sum(c.values()) for c in reference.values())} passages in "
          f"{len(reference)} files, {clean_s:.0f} s")

    lib = work / "soak.sqlite"
    cli(lib, model, "add-folder", str(folder), "--no-index")
    n_index = max(args.kills - 8, 1)
    plan = [INDEX_PHASES[i % len(INDEX_PHASES)] for i in range(n_index)]
    plan += ["mine"] * ((args.kills - n_index) // 2)
    plan += ["reembed"] * (args.kills - len(plan))
    survived, timed = 0, 0
    current_model = model
    for i, phase in enumerate(plan, start=1):
        if phase == "mine":
            command = ("dupes", "--limit", "1")     # mines what is new, then lists
        elif phase == "reembed":
            current_model = second      # the settings now name another model: a switch
            command = ("index",)
        else:
            command = ("index",)
        nth = 1 if phase == "mine" else rng.randint(1, 4 if phase == "scan" else 3)
        code = cli(lib, current_model, *command, kill_at=f"{phase}:{nth}")
        how = f"{phase}:{nth}"
        if code != -signal.SIGKILL:
            # the run ended before that point: kill a fresh run at a random moment
            timed += 1
            after = rng.uniform(0.5, 6.0)
            code = cli(lib, current_model, *command, kill_after=after)
            how = f"after {after:.1f} s" + ("" if code == -signal.SIGKILL else " (ended first)")
        state = check(lib)
        ok = not state["problems"]
        survived += ok
        print(f"kill {i:2d}/{len(plan)} at {how:<22} -> {'ok' if ok else 'PROBLEM'}: "
              f"{state['docs']} documents, {state['chunks']} passages"
              + ("" if ok else f" {state['problems']}"))
    code = cli(lib, current_model, "index")
    final_state = check(lib)
    final = passages(lib)
    same = final == reference
    total_ref = sum(sum(c.values()) for c in reference.values())
    total = sum(sum(c.values()) for c in final.values())
    print(f"survived {survived}/{len(plan)} kills ({timed} by time, not at a named point)")
    print(f"resumed run: exit {code}, {total} passages in {len(final)} files "
          f"(clean run {total_ref} in {len(reference)}): {'EQUAL' if same else 'DIFFERENT'}")
    if not same:
        for name in sorted(set(reference) | set(final)):
            if reference.get(name) != final.get(name):
                print(f"  {name}: clean {sum(reference.get(name, {}).values())} passages, "
                      f"resumed {sum(final.get(name, {}).values())}")
    print(f"total {time.monotonic() - started:.0f} s")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"kept {work}")
    return 0 if same and survived == len(plan) and not final_state["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
