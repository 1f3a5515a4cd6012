"""Word 97-2003 .doc (and .ppt) read through an installed program (antiword, catdoc),
and without one: the file says which program it needs and how to install it."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from core.extract import extract
from core.extract.legacy_office import install_hint, needs_reason
from tests.word97 import make_doc

_system_path = os.environ.get("PATH", "")
PARAGRAPHS = ["The quarterly zqdoccode report on lighthouse maintenance.",
              "Keepers trimmed the wicks and polished the lens every evening."]


@pytest.mark.skipif(shutil.which("antiword") is None,
                    reason="antiword is not installed (sudo apt-get install antiword)")
def test_doc_is_read_with_antiword(tmp_path):
    result = extract(make_doc(tmp_path / "report.doc", PARAGRAPHS))
    assert result.status == "indexed", result.error
    assert [b.text for b in result.blocks] == PARAGRAPHS
    assert result.title == PARAGRAPHS[0]


@pytest.mark.skipif(shutil.which("antiword") is None,
                    reason="antiword is not installed (sudo apt-get install antiword)")
def test_a_damaged_doc_is_an_error_with_antiwords_reason(tmp_path):
    (tmp_path / "broken.doc").write_bytes(b"\xd0\xcf\x11\xe0 this is no compound file")
    result = extract(tmp_path / "broken.doc")
    assert result.status == "error" and result.error.startswith("antiword could not read it")


def test_without_the_program_the_file_needs_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    doc = extract(make_doc(tmp_path / "report.doc", PARAGRAPHS))
    assert doc.status == "error"
    assert doc.error == needs_reason(".doc") == f"needs antiword: install it with {install_hint('antiword')}"
    (tmp_path / "slides.ppt").write_bytes(b"\xd0\xcf\x11\xe0")
    assert extract(tmp_path / "slides.ppt").error == f"needs catppt: install it with {install_hint('catdoc')}"


def test_status_errors_lists_the_needed_program(tmp_path, tiny_model_dir, monkeypatch, capsys):
    from app.cli import main

    folder = tmp_path / "old"
    folder.mkdir()
    make_doc(folder / "report.doc", PARAGRAPHS)
    (folder / "note.txt").write_text("A note about herons and egrets by the river.", encoding="utf-8")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    base = ["--library", str(tmp_path / "lib.sqlite"), "--model", str(tiny_model_dir)]
    assert main([*base, "add-folder", str(folder)]) == 0
    assert main([*base, "index"]) == 0
    capsys.readouterr()
    assert main([*base, "status", "--errors", "--json"]) == 0
    errors = json.loads(capsys.readouterr().out)["errors"]
    assert [(e["path"].endswith("report.doc"), e["reason"]) for e in errors] == [(True, needs_reason(".doc"))]
    antiword = shutil.which("antiword", path=_system_path)
    if antiword is None:
        pytest.skip("antiword is not installed (sudo apt-get install antiword): its half is not checked")
    # antiword installed afterwards: the next scan reads the file again, unchanged as it is
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "antiword").symlink_to(antiword)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert main([*base, "index"]) == 0
    capsys.readouterr()
    assert main([*base, "status", "--errors", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["errors"] == [] and out["counts"]["indexed"] == 2
    assert main([*base, "search", "zqdoccode", "--mode", "keyword", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["path"].endswith("report.doc")


@pytest.mark.skipif(shutil.which("catdoc") is None, reason="catdoc is not installed (sudo apt-get install catdoc)")
def test_without_antiword_catdoc_reads_the_doc(tmp_path, monkeypatch):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "catdoc").symlink_to(shutil.which("catdoc"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    result = extract(make_doc(tmp_path / "report.doc", PARAGRAPHS))
    assert result.status == "indexed", result.error
    assert [b.text for b in result.blocks] == PARAGRAPHS


def test_the_program_runs_in_a_private_folder_and_within_its_time(tmp_path, monkeypatch):
    import core.extract.legacy_office as legacy

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    seen = tmp_path / "seen.txt"
    fake = bin_dir / "antiword"
    fake.write_text(f'#!/bin/sh\necho "$PWD $HOME $TMPDIR $#" > "{seen}"\n'
                    'case "$5" in *slow*) exec /bin/sleep 30 ;; esac\necho "First line of the text"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    doc = make_doc(tmp_path / "odd name; rm -rf x.doc", PARAGRAPHS)
    result = extract(doc)
    assert [b.text for b in result.blocks] == ["First line of the text"]
    cwd, home, tmp, argc = seen.read_text().split()
    assert cwd == home == tmp and "likewise-office-" in cwd and not os.path.exists(cwd)   # gone after
    assert argc == "5"           # -m UTF-8.txt -w 0 and the path as one argument: no shell
    monkeypatch.setattr(legacy, "PROGRAM_TIMEOUT_S", 1)
    slow = extract(make_doc(tmp_path / "slow.doc", PARAGRAPHS))
    assert slow.status == "error" and slow.error == "antiword timed out after 1 s"
