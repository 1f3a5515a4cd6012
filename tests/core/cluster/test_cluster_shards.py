"""Encoded shards without Ray: the stages a Ray actor runs (core/cluster/work.py), called
directly, write shards; the importer (core/cluster/importer.py) makes of them the same
library a local run makes. Needs pyarrow (in the dev extra), not Ray."""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("pyarrow")

from core.cluster.shards import read_shard, shard_files, write_shard  # noqa: E402
from core.cluster.work import READY, pack_model, unpack_model  # noqa: E402
from core.errors import InvalidInputError, ModelError  # noqa: E402
from core.library import Library  # noqa: E402
from core.types import INDEXED, IndexReport  # noqa: E402
from tests.cluster_checks import assert_same_library, make_folder, run_stages, snapshot  # noqa: E402


def test_shards_from_the_actor_stages_import_into_the_same_library(tmp_path, tiny_model_dir,
                                                                    shared_data):
    folder = make_folder(tmp_path / "docs", shared_data, docx=5, pdfs=1, malformed=2)
    shards = str(tmp_path / "shards")
    with Library(path=tmp_path / "local.sqlite", model_path=tiny_model_dir) as local:
        local.add_folder(folder)
        done = local.indexer.index()
        assert done.failed >= 2 and done.indexed >= 5
        with Library(path=tmp_path / "cluster.sqlite", model_path=tiny_model_dir) as lib:
            lib.add_folder(folder)
            lib.indexer.reconcile()
            records = run_stages(lib, shards)
            report = IndexReport()
            for r in records:
                lib.shards.import_record(r, report)
            assert lib.indexer.pending_jobs() == 0    # every job done in its document's write
            assert (report.indexed, report.failed) == (done.indexed, done.failed)
            assert_same_library(local, lib)
            # nothing left for a local run to do: same sizes and times
            assert lib.indexer.reconcile() == 0

            # a restart: every file's shard exists, so nothing is extracted or encoded again
            lib.indexer.reconcile()
            for d in lib.catalog.documents():
                lib.indexer.reindex_document(d.id)
            again = run_stages(lib, shards)
            assert {r["status"] for r in again} == {READY}
            assert sum(r["encoded"] for r in again) == 0

        # File -> Import encoded shards...: the shards alone make the same library
        with Library(path=tmp_path / "imported.sqlite", model_path=tiny_model_dir) as other:
            other.add_folder(folder)
            imported = other.shards.import_folder(shards)
            assert (imported.indexed, imported.failed) == (done.indexed, done.failed)
            assert_same_library(local, other)
            assert other.indexer.reconcile() == 0
            assert other.shards.import_folder(shards).unchanged == 8  # a second import changes nothing
            assert_same_library(local, other)


def test_shard_round_trip_and_damage(tmp_path, tiny_model_dir, shared_data):
    folder = make_folder(tmp_path / "docs", shared_data, docx=1, pdfs=0)
    with Library(path=tmp_path / "lib.sqlite", model_path=tiny_model_dir) as lib:
        lib.add_folder(folder)
        lib.indexer.reconcile()
        (record,) = run_stages(lib, str(tmp_path / "shards"))
        shard = read_shard(record["shard"])
        assert shard.status == INDEXED and shard.vectors is not None
        assert shard.vectors.shape == (len(shard.chunks), lib.versions.encoder().dim)
        assert shard.model_hash == lib.versions.content_hash_of(lib.versions.active_model_id())
        # vectors that do not match the passages are refused
        vectors = shard.vectors
        shard.vectors = vectors[:0]
        with pytest.raises(InvalidInputError, match="damaged shard"):
            read_shard(write_shard(tmp_path / "damaged", shard))
        shard.vectors = vectors
        path = write_shard(tmp_path / "copy", shard)
        raw = path.read_bytes()
        # a shard for a model this library does not hold is refused with a reason
        shard.model_hash = "0" * 64
        write_shard(tmp_path / "foreign", shard)
        with pytest.raises(InvalidInputError, match="model this library does not hold"):
            lib.shards.import_folder(tmp_path / "foreign")
        # a file that is not a shard is reported, the rest of the folder still imported
        bad = tmp_path / "copy" / "junk" / "x.parquet"
        bad.parent.mkdir(parents=True)
        bad.write_bytes(raw[: len(raw) // 2])
        report = lib.shards.import_folder(tmp_path / "copy")
        assert report.failed == 1 and report.indexed + report.unchanged == 1
        assert len(shard_files(tmp_path / "copy")) == 2


def test_a_worker_refuses_a_model_that_is_not_the_librarys(tmp_path, tiny_model_dir):
    bundle = pack_model(tiny_model_dir)
    with pytest.raises(ModelError, match="not the library's"):
        unpack_model(bundle, "f" * 64, into=tmp_path / "m1")
    bundle["config.json"] = bundle["config.json"].replace(b"32", b"33", 1)
    from core.model_identity import content_hash

    with pytest.raises(ModelError):
        unpack_model(bundle, content_hash(tiny_model_dir), into=tmp_path / "m2")
    assert unpack_model(pack_model(tiny_model_dir), content_hash(tiny_model_dir),
                        into=tmp_path / "m3").is_dir()


def test_the_comparison_sees_a_difference(tmp_path, tiny_model_dir, shared_data):
    """The comparison the cluster tests rest on can fail: other vectors, a missing passage."""
    from tests.conftest import build_tiny_bert

    other_model = build_tiny_bert(tmp_path / "other-model", seed=1)
    folder = make_folder(tmp_path / "docs", shared_data, docx=2, pdfs=0)
    with Library(path=tmp_path / "a.sqlite", model_path=tiny_model_dir) as a, \
            Library(path=tmp_path / "b.sqlite", model_path=other_model) as b:
        for lib in (a, b):
            lib.add_folder(folder)
            lib.indexer.index()
        assert snapshot(a) == snapshot(b)
        with pytest.raises(AssertionError, match="vectors differ"):
            assert_same_library(a, b)
        doc = b.catalog.documents()[0]
        with b.store.write() as conn:
            b.catalog.delete_chunks_of(conn, doc.id)
        assert snapshot(a) != snapshot(b)


def test_without_ray_or_pyarrow_the_commands_say_how_to_install_them(tmp_path, tiny_model_dir,
                                                                      monkeypatch, capsys):
    from app.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)    # import ray -> ImportError
    argv = ["--library", str(tmp_path / "lib.sqlite"), "--model", str(tiny_model_dir)]
    assert main([*argv, "cluster", "index", str(tmp_path), "--address", "local"]) == 2
    assert "pip install 'likewise[cluster]'" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    (tmp_path / "shards").mkdir()
    assert main([*argv, "cluster", "import", str(tmp_path / "shards")]) == 2
    assert "needs pyarrow: pip install pyarrow" in capsys.readouterr().err
