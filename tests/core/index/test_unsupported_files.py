"""Files of a type Likewise does not read are counted by extension and listed (never
opened); hidden and temporary files stay silent; an exclusion hides them."""

from __future__ import annotations

import json
import os

from core.index.scan import Walk
from core.index.skip import NO_EXTENSION, unsupported_kind


def _tree(root):
    files = {"a.txt": b"A short note about herons by the river.", "tool.exe": b"MZ" + b"\0" * 98,
             "b.exe": b"MZ" + b"\0" * 48, "disc.iso": b"\0" * 10, "README": b"plain",
             "mail.eml": b"Subject: x\n\nbody", "bundle.zip": b"PK", ".hidden.exe": b"x",
             "~$draft.docx": b"x", "backup.bak~": b"x", "sub/deep.exe": b"MZ",
             "build/out.o": b"\0" * 5}
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def test_the_walk_counts_unsupported_files_by_extension(tmp_path):
    root = _tree(tmp_path / "home")
    walk = Walk(str(root))
    # mail and archives are read (as containers): walked, never counted as unsupported
    assert sorted(os.path.basename(p) for p, _, _ in walk) == ["a.txt", "bundle.zip", "mail.eml"]
    assert {ext: seen[:2] for ext, seen in walk.unsupported.items()} == {
        ".exe": [3, 100 + 50 + 2], ".iso": [1, 10], NO_EXTENSION: [1, 5], ".o": [1, 5]}
    assert unsupported_kind("report.xlsx") is None and unsupported_kind(".bashrc") is None
    assert unsupported_kind("mail.eml") is None and unsupported_kind("x.tar.gz") is None


def test_status_errors_and_the_library_list_them_and_an_exclusion_hides_them(tmp_path, tiny_model_dir, capsys):
    from app.cli import main
    from core.library import Library

    root = _tree(tmp_path / "home")
    base = ["--library", str(tmp_path / "lib.sqlite"), "--model", str(tiny_model_dir)]
    assert main([*base, "add-folder", str(root)]) == 0
    capsys.readouterr()
    assert main([*base, "status"]) == 0
    assert "unsupported  6 files (not a supported type; see --errors)" in capsys.readouterr().out
    assert main([*base, "status", "--errors"]) == 0
    out = capsys.readouterr().out
    assert "unsupported: 6 files (not a supported type) - .exe 3, (no extension) 1, .iso 1, .o 1" in out
    assert main([*base, "exclude", "add", "*.exe"]) == 0
    assert main([*base, "exclude", "add", "build/", "--folder", str(root)]) == 0
    capsys.readouterr()
    assert main([*base, "status", "--errors", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["unsupported"]
    assert [(r["ext"], r["files"], r["bytes"]) for r in listed] == [(NO_EXTENSION, 1, 5), (".iso", 1, 10)]
    assert listed[1]["example"].endswith("disc.iso")
    with Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir) as lib:
        (root / "new.iso").write_bytes(b"\0" * 7)
        lib.indexer.reconcile()
        assert lib.indexer.reconciler.unsupported()[0][:3] == (".iso", 2, 17)
        lib.catalog.remove_folder(root)
        assert lib.indexer.reconciler.unsupported() == []
