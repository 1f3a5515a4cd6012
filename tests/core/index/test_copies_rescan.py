"""The same file in several places is kept once and named with every path; a rescan of
unchanged files reads none of them (issue 27)."""

from __future__ import annotations

import builtins
import json
import os
import shutil
from pathlib import Path

from core.index import prepare
from core.store import vec_table

REPORT = ("# Quarterly report\n\nThe orchard yielded kumquats beyond every forecast this season.\n\n"
          "Irrigation costs fell by a third after the new drip lines were laid.\n")


def _places(root: Path) -> list[Path]:
    out = []
    for sub in ("a", "b/deeper", "c"):
        (root / sub).mkdir(parents=True)
        p = root / sub / "report.md"
        p.write_text(REPORT, encoding="utf-8")
        out.append(p)
    (root / "other.md").write_text("A different note about apples and pears.\n", encoding="utf-8")
    return out


def test_copies_are_one_result_with_every_path_and_survive_deleting_one(tmp_path, tiny_library, capsys,
                                                                        tiny_model_dir):
    lib = tiny_library
    root = tmp_path / "docs"
    copies = _places(root)
    lib.add_folder(root)
    report = lib.indexer.index()
    assert report.copies == 2
    docs = {d.path: d for d in lib.catalog.documents()}
    assert len(docs) == 4
    holders = [docs[str(p)] for p in copies if docs[str(p)].copy_of is None]
    assert len(holders) == 1
    holder = holders[0]
    # passages, words and vectors once
    held = lib.store.count("SELECT COUNT(*) FROM chunks WHERE document_id = ?", (holder.id,))
    assert lib.status_counts()["chunks"] == held + len(lib.catalog.chunks_of(docs[str(root / "other.md")].id))
    assert all(docs[str(p)].chunks == held for p in copies)     # a copy shows what it holds

    hits = lib.searcher.search("kumquats orchard", mode="hybrid", k=10)
    mine = [h for h in hits if "kumquats" in h.text]
    assert len(mine) == 1 and mine[0].path == holder.path
    assert sorted([mine[0].path, *mine[0].also_in]) == sorted(str(p) for p in copies)
    assert not {h.path for h in hits} & {str(p) for p in copies if str(p) != holder.path}

    # a search in the folder of a copy finds it
    from core.search.filters import SearchFilters

    elsewhere = next(p for p in copies if str(p) != holder.path)
    inside = lib.searcher.search("kumquats", mode="keyword", k=5, filters=SearchFilters(folder=str(elsewhere.parent)))
    assert [h.path for h in inside] == [holder.path] and str(elsewhere) in inside[0].also_in

    # find similar documents from a copy: what its holder finds (the copies are not "similar")
    similar = lib.searcher.similar_documents(docs[str(elsewhere)].id, k=5)
    assert [s.document.path for s in similar] == [str(root / "other.md")]

    groups = lib.catalog.copies.groups()
    assert len(groups) == 1 and groups[0].places == 3
    assert sorted([groups[0].path, *groups[0].copies]) == sorted(str(p) for p in copies)

    # mining never sees a copy: the same paragraphs in three places make no cluster
    lib.discovery.mine_duplicates()
    assert lib.discovery.duplicate_clusters() == []

    # the CLI lists them
    from app.cli import main

    base = ["--library", str(lib.path), "--model", str(tiny_model_dir)]
    assert main([*base, "copies"]) == 0
    out = capsys.readouterr().out
    assert "Same file in 3 places" in out and all(p.name in out for p in copies)
    assert main([*base, "copies", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["copies"]

    # deleting the file that holds the passages: they pass to a copy, nothing encoded again
    chunk_ids = sorted(c.id for c in lib.catalog.chunks_of(holder.id))
    Path(holder.path).unlink()
    after = lib.indexer.index()
    assert after.removed == 1 and after.chunks_encoded == 0
    left = [str(p) for p in copies if p.exists()]
    hits = lib.searcher.search("kumquats orchard", mode="keyword", k=10)
    assert len(hits) == 1 and sorted([hits[0].path, *hits[0].also_in]) == sorted(left)
    assert sorted(c.id for c in lib.catalog.chunks_of(hits[0].document_id)) == chunk_ids
    mid = lib.versions.active_model_id()
    assert lib.store.count(f"SELECT COUNT(*) FROM {vec_table(mid)} WHERE chunk_id IN "
                           f"({','.join('?' * len(chunk_ids))})", tuple(chunk_ids)) == len(chunk_ids)
    # and deleting a copy that holds nothing leaves the holder as it was
    other = next(p for p in left if p != hits[0].path)
    os.unlink(other)
    lib.indexer.index()
    hits = lib.searcher.search("kumquats orchard", mode="keyword", k=10)
    assert len(hits) == 1 and hits[0].also_in == [] and lib.catalog.copies.groups() == []


def test_a_copy_that_changes_becomes_a_document_of_its_own(tmp_path, tiny_library):
    lib = tiny_library
    root = tmp_path / "docs"
    copies = _places(root)
    lib.add_folder(root)
    lib.indexer.index()
    holder = next(d for d in lib.catalog.documents() if d.copy_of is None and d.path.endswith("report.md"))
    changed = next(p for p in copies if str(p) != holder.path)
    changed.write_text(REPORT + "\nA postscript on quinces.\n", encoding="utf-8")
    lib.indexer.index()
    assert lib.catalog.document(str(changed)).copy_of is None
    assert [h.path for h in lib.searcher.search("quinces", mode="keyword", k=5)] == [str(changed)]
    assert lib.catalog.copies.groups()[0].places == 2


def test_a_rescan_of_unchanged_files_reads_no_file(tmp_path, tiny_library, monkeypatch):
    lib = tiny_library
    root = tmp_path / "docs"
    for i in range(30):
        (root / f"d{i // 10}").mkdir(parents=True, exist_ok=True)
        (root / f"d{i // 10}" / f"n{i}.txt").write_text(f"Note {i} about shipwreck number {i}.", encoding="utf-8")
    shutil.copy(root / "d0" / "n0.txt", root / "copy.txt")
    lib.add_folder(root)
    lib.indexer.index()

    opened: list[str] = []
    hashed: list[str] = []
    real_open, real_hash = builtins.open, prepare.file_hash

    def watching_open(file, *a, **kw):
        if str(file).startswith(str(root)):
            opened.append(str(file))
        return real_open(file, *a, **kw)

    def watching_hash(path, *a, **kw):
        hashed.append(str(path))
        return real_hash(path, *a, **kw)

    extracted: list[str] = []
    extractor = lib.indexer._warm_extractor()
    real_extract = extractor.extract

    def watching_extract(path, *a, **kw):
        extracted.append(str(path))
        return real_extract(path, *a, **kw)

    monkeypatch.setattr(builtins, "open", watching_open)
    monkeypatch.setattr(prepare, "file_hash", watching_hash)
    monkeypatch.setattr(extractor, "extract", watching_extract)
    report = lib.indexer.index()
    assert (report.files_seen, report.indexed, report.chunks_encoded) == (0, 0, 0)
    assert opened == hashed == extracted == []

    # one file changed: that file alone is read
    changed = root / "d1" / "n12.txt"
    changed.write_text("Note 12 is now about a lighthouse.", encoding="utf-8")
    report = lib.indexer.index()
    assert report.files_seen == 1 and report.indexed == 1
    assert hashed == [str(changed)] and extracted == [str(changed)]
