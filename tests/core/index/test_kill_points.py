"""SIGKILL at the two moments `make soak` covers and the rest of the suite did not (issue 32):
inside similar-paragraph mining and inside a model switch's re-embedding. The kill is made by
the process itself at a named point (core/faults.py, fenced by LIKEWISE_TEST_HOOKS), so it
lands at the same moment on every machine. After it the library is consistent, and resuming
finishes the work with the same result as one clean run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import build_tiny_bert
from library_checks import assert_consistent

from core.library import Library
from core.store import vec_table

ROOT = Path(__file__).resolve().parents[3]
REPEATED = [
    "The orchard ladder leans against the north wall until the pears are ripe in September.",
    "Bring the harbour charts back to the second drawer of the map cabinet after each voyage.",
]


def _write_docs(folder: Path, start: int, stop: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, stop):
        paras = [f"Note {i} records the delivery of {i * 11} crates of slate to the quarry office.",
                 REPEATED[i % 2],
                 f"Clerk {i} signed the ledger on day {i * 3} of the wet season, and nobody else did."]
        (folder / f"note{i:02d}.txt").write_text("\n\n".join(paras) + "\n", encoding="utf-8")


def _killed(script: str, kill_at: str) -> None:
    env = dict(os.environ, LIKEWISE_KILL_AT=kill_at, LIKEWISE_TEST_HOOKS="1")
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True,
                          timeout=600)
    assert done.returncode == -9, done.stderr.decode("utf-8", "replace")[-2000:]


def _pairs(lib: Library) -> set[tuple[str, str, str, float]]:
    rows = lib.store.query(
        "SELECT a.text, b.text, p.kind, p.cosine FROM dupes_pairs p JOIN chunks a ON a.id = p.chunk_a "
        "JOIN chunks b ON b.id = p.chunk_b WHERE p.model_id = ?", (lib.versions.active_model_id(),))
    return {(*sorted((ta, tb)), kind, round(float(cos), 4)) for ta, tb, kind, cos in rows}


def test_a_kill_while_mining_similar_paragraphs_loses_nothing_and_resumes(tmp_path, tiny_model_dir):
    # the clean run: 12 notes indexed and mined at once
    clean_folder = tmp_path / "clean" / "docs"
    _write_docs(clean_folder, 0, 12)
    with Library(path=tmp_path / "clean" / "lib.sqlite", model_path=tiny_model_dir) as clean:
        clean.add_folder(clean_folder)
        clean.indexer.index()
        clean.discovery.mine_duplicates()
        expected = _pairs(clean)
    assert any(kind == "exact" for *_, kind, _ in expected)

    # the killed run: 6 notes mined, 6 more indexed, then the mining of those is killed
    folder = tmp_path / "docs"
    _write_docs(folder, 0, 6)
    path = tmp_path / "lib.sqlite"
    with Library(path=path, model_path=tiny_model_dir) as lib:
        lib.add_folder(folder)
        lib.indexer.index()
        lib.discovery.mine_duplicates()
        mined_before = _pairs(lib)
        _write_docs(folder, 6, 12)
        lib.indexer.index()
        pending = lib.discovery.duplicates_pending()
    assert pending > 0 and mined_before < expected
    _killed(f"from core.library import Library\n"
            f"Library(path={str(path)!r}, model_path={str(tiny_model_dir)!r}).discovery.mine_duplicates()",
            "mine:1")

    assert_consistent(path)
    with Library(path=path, model_path=tiny_model_dir) as lib:
        # the killed mining's write rolled back whole: the earlier pairs stand, the new
        # passages are still waiting to be mined
        assert _pairs(lib) == mined_before
        assert lib.discovery.duplicates_pending() == pending
        report = lib.discovery.mine_duplicates()
        assert not report.cancelled and report.mined == pending
        assert lib.discovery.duplicates_pending() == 0
        assert _pairs(lib) == expected


def _vectors_by_text(lib: Library, model_id: int) -> dict[str, np.ndarray]:
    ids, mat = lib.store.all_vectors(model_id)
    text = dict(lib.store.query("SELECT id, text FROM chunks"))
    return {text[int(i)]: mat[k] for k, i in enumerate(ids)}


@pytest.fixture(scope="module")
def second_model(tmp_path_factory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("second-bert") / "model", seed=3)


def test_a_kill_while_re_embedding_for_a_new_model_keeps_search_and_resumes(
        tmp_path, tiny_model_dir, second_model):
    folder = tmp_path / "docs"
    _write_docs(folder, 0, 8)
    with Library(path=tmp_path / "clean.sqlite", model_path=second_model) as clean:
        clean.add_folder(folder)
        clean.indexer.index()
        expected = _vectors_by_text(clean, clean.versions.active_model_id())

    path = tmp_path / "lib.sqlite"
    with Library(path=path, model_path=tiny_model_dir) as lib:
        lib.add_folder(folder)
        lib.indexer.index()
        first_model = lib.versions.active_model_id()
        n_chunks = lib.store.count("SELECT COUNT(*) FROM chunks")
    # the settings now name another model: opening the library with it starts the switch
    _killed(f"import core.index.meaning as meaning\n"
            f"meaning.GROUP_DOCUMENTS = 1\n"     # one document per encoded group
            f"from core.library import Library\n"
            f"Library(path={str(path)!r}, model_path={str(second_model)!r}).indexer.index()",
            "reembed:3")            # after two documents' new vectors are written

    assert_consistent(path)       # every passage still has its vector under the searched model
    with Library(path=path, model_path=second_model) as lib:
        assert lib.versions.active_model_id() == first_model  # search keeps the old model meanwhile
        target = lib.versions.target_model_id()
        assert target is not None and target != first_model
        done = lib.store.count(f"SELECT COUNT(*) FROM {vec_table(target)}")
        assert 0 < done < n_chunks                           # two documents' worth, no more
        assert lib.searcher.search("crates of slate", mode="keyword", k=3)
        lib.indexer.index()                                  # resumes the switch
        assert lib.versions.target_model_id() is None
        assert lib.versions.active_model_id() == target
        got = _vectors_by_text(lib, target)
    assert set(got) == set(expected)
    for text, vec in expected.items():
        np.testing.assert_allclose(got[text], vec, atol=1e-5, err_msg=text)
    assert_consistent(path)


def test_the_kill_hook_is_ignored_without_the_test_only_fence(tmp_path, tiny_model_dir):
    """LIKEWISE_KILL_AT alone (a stray variable in a person's environment) never makes the
    shipped program kill itself; on the old code this run died at its first scan."""
    folder = tmp_path / "docs"
    _write_docs(folder, 0, 2)
    path = tmp_path / "lib.sqlite"
    env = {k: v for k, v in os.environ.items() if k != "LIKEWISE_TEST_HOOKS"}
    env["LIKEWISE_KILL_AT"] = "scan:1"
    script = (f"from core.library import Library\n"
              f"lib = Library(path={str(path)!r}, model_path={str(tiny_model_dir)!r})\n"
              f"lib.add_folder({str(folder)!r}); lib.indexer.index(); lib.close()")
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
    with Library(path=path, model_path=tiny_model_dir) as lib:
        assert len(lib.catalog.documents(status="indexed")) == 2
