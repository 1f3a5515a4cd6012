"""An unreadable file is not counted among the documents; an exact passage found in
several files is one result that names the others (SearchResult.also_in)."""

from __future__ import annotations

import json

SHARED = "The compost heap needs green and brown layers, turned every fortnight for air."


def _library_with_copies(lib, tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        note = " ".join(f"River {name} note {i} runs past the mill and the bridge." for i in range(40))
        (root / name).write_text(f"{SHARED}\n\n{note}", encoding="utf-8")     # two passages
    (root / "d.txt").write_text("Worms turn kitchen waste into soil; compost is their work.", encoding="utf-8")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a PDF at all")
    lib.add_folder(root)
    lib.indexer.index()
    return root


def test_unreadable_file_is_not_a_document(tiny_library, tmp_path):
    lib = tiny_library
    _library_with_copies(lib, tmp_path)
    counts = lib.status_counts()
    assert counts["error"] == 1 and counts["unreadable"] == 1
    assert counts["documents"] == counts["indexed"] == 4
    assert lib.folders()[0].documents == 4


def test_exact_repeats_are_one_result_naming_the_other_files(tiny_library, tmp_path, capsys, tiny_model_dir):
    lib = tiny_library
    _library_with_copies(lib, tmp_path)
    results = lib.searcher.search("compost fortnight", mode="keyword", k=10)
    shared = [r for r in results if r.text == SHARED]
    assert len(shared) == 1
    first = shared[0]
    names = {p.rsplit("/", 1)[-1] for p in first.also_in}
    assert names == {"a.txt", "b.txt", "c.txt"} - {first.path.rsplit("/", 1)[-1]}
    assert all(not r.also_in for r in results if r.text != SHARED)
    assert any(r.path.endswith("d.txt") for r in results)           # the list goes on past it
    two = lib.searcher.search("compost", mode="keyword", k=2)        # repeats do not shorten it
    assert len(two) == 2 and len({r.text for r in two}) == 2
    # the CLI says so, and its JSON carries the paths
    from app.cli import main

    base = ["--library", str(lib.path), "--model", str(tiny_model_dir)]
    lib.close()
    assert main([*base, "search", "compost fortnight", "--mode", "keyword", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert sorted(len(r["also_in"]) for r in rows) == [0, 2]
    assert main([*base, "search", "compost fortnight", "--mode", "keyword"]) == 0
    assert "(also in 2 other files)" in capsys.readouterr().out


def test_cli_status_counts(tiny_library, tmp_path, capsys, tiny_model_dir):
    from app.cli import main

    lib = tiny_library
    _library_with_copies(lib, tmp_path)
    path = lib.path
    lib.close()
    base = ["--library", str(path), "--model", str(tiny_model_dir)]
    assert main([*base, "status", "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)["counts"]
    assert counts["documents"] == 4 and counts["unreadable"] == 1
    assert main([*base, "status"]) == 0
    out = capsys.readouterr().out
    assert "documents    4" in out and "unreadable   1" in out
