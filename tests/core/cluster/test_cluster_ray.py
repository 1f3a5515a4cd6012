"""`likewise cluster index` on a local Ray instance (2 CPUs) makes the library that
`likewise add-folder` makes, and an interrupted cluster run resumes without encoding
again the files whose shards exist. Slow (Ray starts three times); skipped without Ray."""

from __future__ import annotations

import json

import pytest

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install 'likewise[cluster]'")

from app.cli import main  # noqa: E402
from core.cancel import CancelToken  # noqa: E402
from core.cluster.pipeline import ClusterOptions, cluster_index  # noqa: E402
from core.cluster.shards import shard_files  # noqa: E402
from core.library import Library  # noqa: E402
from tests.cluster_checks import assert_same_library, make_folder, top_results  # noqa: E402

# own_process: Ray's driver must not live in the suite's process (tests/own_process.py)
pytestmark = [pytest.mark.slow, pytest.mark.own_process]

QUERIES = ["results of the experiment", "terms and conditions of the agreement", "table of contents"]


def _cli(capsys, *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_cluster_index_makes_the_library_add_folder_makes(tmp_path, tiny_model_dir, shared_data, capsys):
    folder = make_folder(tmp_path / "docs", shared_data, docx=25, pdfs=1)
    common = ["--model", str(tiny_model_dir), "--precision", "fp32"]
    _cli(capsys, "--library", str(tmp_path / "local.sqlite"), *common, "add-folder", str(folder))
    out = _cli(capsys, "--library", str(tmp_path / "cluster.sqlite"), *common, "cluster", "index",
               str(folder), "--address", "local", "--local-cpus", "2", "--shards",
               str(tmp_path / "shards"), "--json")
    result = json.loads(out)
    assert result["files"] == 26 and result["from_shards"] == 0 and result["encoded"] > 0
    with Library(path=tmp_path / "local.sqlite", model_path=tiny_model_dir) as local, \
            Library(path=tmp_path / "cluster.sqlite", model_path=tiny_model_dir) as lib:
        assert len(local.catalog.documents(status="indexed")) >= 20
        assert result["report"]["indexed"] == len(local.catalog.documents(status="indexed"))
        assert_same_library(local, lib, atol=1e-5)
        assert top_results(local, QUERIES) == top_results(lib, QUERIES)
        assert lib.indexer.pending_jobs() == 0 and lib.indexer.reconcile() == 0
        assert len(shard_files(tmp_path / "shards")) == 26
    # a second library from the same shards: nothing extracted or encoded, the same library
    again = json.loads(_cli(capsys, "--library", str(tmp_path / "again.sqlite"), *common, "cluster",
                            "index", str(folder), "--local-cpus", "2", "--shards",
                            str(tmp_path / "shards"), "--json"))
    assert (again["from_shards"], again["encoded"]) == (26, 0)
    with Library(path=tmp_path / "local.sqlite", model_path=tiny_model_dir) as local, \
            Library(path=tmp_path / "again.sqlite", model_path=tiny_model_dir) as lib:
        assert_same_library(local, lib, atol=1e-5)


def test_an_interrupted_cluster_run_resumes_without_encoding_again(tmp_path, tiny_model_dir,
                                                                   shared_data):
    folder = make_folder(tmp_path / "docs", shared_data, docx=12, pdfs=1)
    shards = tmp_path / "shards"
    options = ClusterOptions(shard_folder=str(shards), local_cpus=2, files_per_batch=2)
    with Library(path=tmp_path / "local.sqlite", model_path=tiny_model_dir) as local:
        local.add_folder(folder)
        local.indexer.index()
    with Library(path=tmp_path / "cluster.sqlite", model_path=tiny_model_dir) as lib:
        cancel = CancelToken()

        def stop_after_three(run) -> None:
            if run.done >= 3:
                cancel.cancel()

        first = cluster_index(lib, [folder], options, progress=stop_after_three, cancel=cancel)
        assert first.report.cancelled and 3 <= first.done < 13
        assert lib.indexer.pending_jobs() == 13 - first.done  # each import finished its job
        before = {p: p.stat().st_mtime_ns for p in shard_files(shards)}
        assert len(before) >= first.done

        second = cluster_index(lib, [folder], options)
        assert not second.report.cancelled
        assert second.files == 13 - first.done
        # files whose shard was written before the stop are neither extracted nor encoded again
        assert second.from_shards == len(before) - first.done
        assert {p: p.stat().st_mtime_ns for p in before} == before
        assert len(shard_files(shards)) == 13
    with Library(path=tmp_path / "local.sqlite", model_path=tiny_model_dir) as local, \
            Library(path=tmp_path / "cluster.sqlite", model_path=tiny_model_dir) as lib:
        assert_same_library(local, lib)
