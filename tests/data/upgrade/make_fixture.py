"""Make tests/data/upgrade/library-<release>.sqlite: a small library as a release writes it.

    .venv/bin/python tests/data/upgrade/make_fixture.py     # from the repository root

Run it with the code of the release the file is to represent, once; the file is then
committed and never remade: tests/core/store/test_upgrade.py opens a copy with the current code and
checks that nothing in it was lost or re-encoded. Release 0.1.0 (main at 9db8d68, schema 10,
2026-12-05) made library-0.1.0.sqlite.

What is in it (the real default model, exact fp32 vectors):
- one folder of Markdown/text documents (gone afterwards, as on a machine the library
  was copied to); a global pattern (drafts/) and a pattern of that folder (*.bak) keep
  two more files out;
- labels: similar/not-similar pairs and a relevance label;
- a fine-tuned model version (a one-epoch run on those labels; its folder is not kept: a
  library must open when a version's folder is missing);
- similar paragraphs mined, one pair confirmed (which also labels it) and one ignored.
The manifest (manifest.json beside it) lists what the test expects to find.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

DOCUMENTS = {
    "garden.md": (
        "# Keeping a garden\n\n"
        "Tomatoes need full sun and deep watering twice a week during the summer months.\n\n"
        "Compost made from kitchen scraps feeds the soil and keeps weeds down between rows.\n\n"
        "Prune the lower leaves of tomato plants so that air moves freely and blight stays away.\n"
    ),
    "garden-notes.txt": (
        "Notes from the allotment\n\n"
        "Tomatoes need full sun and deep watering twice a week during the summer months!\n\n"
        "The shed roof leaks in the north corner; the seed trays must stay on the top shelf.\n"
    ),
    "trains.md": (
        "# Night trains\n\n"
        "The sleeper train leaves the capital at ten in the evening and arrives by the sea at dawn.\n\n"
        "Each compartment has two bunks, a small washbasin and a window that opens a crack.\n"
    ),
    "bread.md": (
        "# Sourdough\n\n"
        "Feed the starter with equal weights of flour and water the evening before baking.\n\n"
        "A long cold proof in the refrigerator gives the loaf its open crumb and sour taste.\n"
    ),
    "drafts/unfinished.md": (
        "# Not for the library\n\nThis draft lies in a folder the person excluded.\n"
    ),
    "scratch.bak": "A backup file that the folder's pattern keeps out.\n",
}


def main() -> int:
    from core import __version__
    from core.library import Library
    from core.paths import default_model_path
    from core.store.db import latest_version

    out = HERE / f"library-{__version__}.sqlite"
    work = Path(tempfile.mkdtemp(prefix="likewise-fixture-"))
    os.environ["LIKEWISE_DATA_DIR"] = str(work / "data")
    os.environ["LIKEWISE_CONFIG_DIR"] = str(work / "config")
    os.environ["LIKEWISE_PRECISION"] = "fp32"
    docs = work / "documents"
    for name, text in DOCUMENTS.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(text, encoding="utf-8")
    library_path = work / "library.sqlite"
    lib = Library(path=library_path, model_path=default_model_path())
    try:
        lib.add_exclusion("drafts/", folder=None)
        lib.add_folder(docs)
        lib.add_exclusion("*.bak", folder=docs)
        lib.indexer.index()
        chunks = {c.text: c.id for d in lib.catalog.documents() for c in lib.catalog.chunks_of(d.id)}

        def chunk(words: str) -> int:
            return next(cid for text, cid in chunks.items() if words in text)

        lib.label_table.label_pair(chunk("Compost made"), chunk("Prune the lower"), True)
        lib.label_table.label_pair(chunk("The sleeper train"), chunk("Each compartment"), True)
        lib.label_table.label_pair(chunk("Feed the starter"), chunk("The sleeper train"), False)
        lib.label_table.label_pair(chunk("A long cold proof"), chunk("Compost made"), False)
        lib.label_table.label_relevance("when does the night train arrive", chunk("The sleeper train"), True)
        lib.label_table.label_relevance("how to bake bread", chunk("The shed roof"), False)
        trained = lib.training.train(epochs=1, batch_size=4, held_out=0.0, check_forgetting=False, name="fixture-ft")
        lib.discovery.mine_duplicates(full=True)
        pairs = lib.discovery.duplicate_pairs(include_ignored=True)
        tomato = next(p for p in pairs if "Tomatoes need" in p.a.text and "Tomatoes need" in p.b.text)
        lib.discovery.decide_pair(tomato.id, "confirmed")
        others = [p for p in pairs if p.id != tomato.id]
        if others:
            lib.discovery.decide_pair(others[0].id, "ignore")
        manifest = {
            "release": __version__,
            "schema_version": latest_version(),
            "documents": sorted(d.path.rsplit("/", 1)[-1] for d in lib.catalog.documents()),
            "passages": sorted(chunks),
            "labels": sorted((lab.kind, lab.sentence1, lab.sentence2, lab.label) for lab in lib.label_table.labels()),
            "exclusions": sorted((e.pattern, e.folder_id is not None) for e in lib.exclusions.list()),
            "decisions": sorted(
                (p.a.text, p.b.text, p.decision)
                for p in lib.discovery.duplicate_pairs(include_ignored=True) if p.decision),
            "models": sorted((m.name, m.kind, m.dim, m.active) for m in lib.versions.models()),
            "finetuned": trained.name,
            "finetuned_report": next(m.report for m in lib.versions.models() if m.kind == "finetuned"),
            "active_vectors": lib.versions.models()[0].vectors,
        }
    finally:
        lib.close()
    # One self-contained file: the WAL folded in, nothing beside it.
    import apsw

    conn = apsw.Connection(str(library_path))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("VACUUM")
    conn.close()
    shutil.copy(library_path, out)
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    print(f"{out} ({out.stat().st_size / 1024:.0f} KiB), schema {manifest['schema_version']}: "
          f"{len(manifest['documents'])} documents, {len(manifest['passages'])} passages, "
          f"{len(manifest['labels'])} labels, {len(manifest['decisions'])} decisions, models {manifest['models']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
