"""Exclusions: gitignore-style patterns, global and per folder (core/exclusions.py)."""

from __future__ import annotations

import os

import pytest

from core.errors import InvalidInputError
from core.exclusions import DEFAULTS, Exclusion, Matcher, check_pattern


@pytest.fixture
def lib(tiny_library):
    return tiny_library


def _write(path, text="Some words about gardens and compost heaps."):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _paths(lib):
    return sorted(os.path.relpath(d.path, lib.folders()[0].path) for d in lib.catalog.documents())


def test_matcher_is_gitignore():
    m = Matcher("/r", [Exclusion(None, "drafts/"), Exclusion(None, "*.md"), Exclusion(1, "!keep.md")])
    assert m.excluded("/r/drafts/a.txt") and m.excluded("/r/x/drafts", is_dir=True)
    assert m.excluded("/r/notes.md") and not m.excluded("/r/keep.md")
    assert not m.excluded("/r/notes.txt") and not m.excluded("/elsewhere/notes.md")
    assert m.kept_out[Exclusion(None, "drafts/")] == 2


def test_bad_patterns_are_refused():
    for bad in ("", "   ", "# comment"):
        with pytest.raises(InvalidInputError):
            check_pattern(bad)


def test_defaults_keep_clutter_out(lib, tmp_path):
    root = tmp_path / "docs"
    _write(root / "a.txt")
    _write(root / "node_modules" / "pkg" / "readme.md")
    _write(root / "__pycache__" / "b.txt")
    lib.add_folder(root)
    lib.indexer.index()
    assert _paths(lib) == ["a.txt"]
    assert {e.pattern for e in lib.exclusions.list() if e.folder_id is None} >= set(DEFAULTS)
    counts = lib.exclusion_counts()
    assert counts[Exclusion(None, "node_modules/")] == 1
    assert counts[Exclusion(None, "__pycache__/")] == 1


def test_pattern_removes_documents_at_once_keeps_new_ones_out_and_comes_back(lib, tmp_path):
    root = tmp_path / "docs"
    _write(root / "keep.txt")
    _write(root / "drafts" / "one.txt")
    _write(root / "old.md", "# Old\n\nNotes on compost.")
    lib.add_folder(root)
    lib.indexer.index()
    assert _paths(lib) == ["drafts/one.txt", "keep.txt", "old.md"]

    assert lib.add_exclusion("drafts/", folder=root) == 1
    assert lib.add_exclusion("*.md") == 1                  # global
    assert _paths(lib) == ["keep.txt"]
    assert not [r for r in lib.searcher.search("compost", mode="keyword") if r.path.endswith("old.md")]

    # a new matching file: neither the scan nor the watcher's hand-on indexes it
    new_draft = _write(root / "drafts" / "two.txt")
    new_md = _write(root / "new.md", "More notes.")
    lib.indexer.index()
    assert lib.indexer.enqueue_paths([new_draft, new_md, root / "drafts"]) == 0
    lib.indexer.index()
    assert _paths(lib) == ["keep.txt"]
    assert lib.exclusion_counts()[Exclusion(lib.folders()[0].id, "drafts/")] == 1   # the folder

    # removing the patterns brings them back
    lib.remove_exclusion("drafts/", folder=root)
    lib.remove_exclusion("*.md")
    lib.indexer.index()
    assert _paths(lib) == ["drafts/one.txt", "drafts/two.txt", "keep.txt", "new.md", "old.md"]


def test_queued_jobs_of_a_newly_excluded_file_are_dropped(lib, tmp_path):
    root = tmp_path / "docs"
    _write(root / "a.txt")
    lib.add_folder(root)
    lib.indexer.index()
    late = _write(root / "late.txt")
    assert lib.indexer.enqueue_paths([late]) == 1
    lib.add_exclusion("late.txt", folder=root)
    assert lib.indexer.pending_jobs() == 0
    lib.indexer.index()
    assert _paths(lib) == ["a.txt"]


def test_cli_add_folder_exclude_and_exclude_command(tmp_path, tiny_model_dir, capsys):
    import json

    from app.cli import main

    root = tmp_path / "docs"
    _write(root / "a.txt")
    _write(root / "scratch" / "b.txt")
    _write(root / "c.md", "# C\n\nMore text.")
    base = ["--library", str(tmp_path / "lib.sqlite"), "--model", str(tiny_model_dir)]
    assert main([*base, "add-folder", str(root), "--exclude", "scratch/"]) == 0
    capsys.readouterr()
    assert main([*base, "exclude", "add", "*.md", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["patterns"] == {"*.md": 1}
    assert main([*base, "exclude", "list", "--json"]) == 0
    rows = {(r["pattern"], r["folder"] is None): r["kept_out"] for r in json.loads(capsys.readouterr().out)}
    assert rows[("scratch/", False)] == 1 and rows[("*.md", True)] == 1 and rows[(".git/", True)] == 0
    assert main([*base, "exclude", "remove", "scratch/", "--folder", str(root)]) == 0
    assert "No longer excluded: scratch/" in capsys.readouterr().out
    assert main([*base, "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["indexed"] == 2     # a.txt, scratch/b.txt
    assert main([*base, "exclude", "remove", "nothing-like-this"]) != 0


def test_the_watcher_never_indexes_a_new_excluded_file(lib, tmp_path, monkeypatch):
    import threading

    root = tmp_path / "watched"
    _write(root / "a.txt")
    lib.add_folder(root)
    lib.indexer.index()
    lib.add_exclusion("scratch/")
    # Proof that the watcher handed the excluded file's event on (and the indexer turned it
    # down), not only that nothing arrived yet: every hand-over is recorded with what the
    # queue held right after it.
    handed: list[tuple[list[str], list[str]]] = []
    seen_scratch = threading.Event()
    real_enqueue = lib.indexer.enqueue_paths

    def recording_enqueue(paths, *args, **kwargs):
        out = real_enqueue(paths, *args, **kwargs)
        handed.append((list(paths), list(lib.indexer.jobs.queued_paths())))
        if any("scratch" in p for p in paths):
            seen_scratch.set()
        return out

    monkeypatch.setattr(lib.indexer, "enqueue_paths", recording_enqueue)
    kept_in = threading.Event()

    def on_event(e):
        if e.kind == "indexed" and e.path.endswith("kept.txt"):
            kept_in.set()

    lib.watching.start_watching(on_event=on_event, debounce_s=0.3, reconcile_interval_s=0)
    try:
        assert lib.watching.watcher.wait_started(timeout=120)
        _write(root / "scratch" / "new.txt", "A scratch note about herons.")
        assert seen_scratch.wait(60), "the watcher never handed the new folder's event on"
        _write(root / "kept.txt", "A kept note about egrets.")
        assert kept_in.wait(60), "the kept file was never indexed"
    finally:
        lib.watching.stop_watching(timeout=60)
    assert _paths(lib) == ["a.txt", "kept.txt"]
    assert not any("scratch" in q for _, queued in handed for q in queued)
