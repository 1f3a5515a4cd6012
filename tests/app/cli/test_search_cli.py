"""The search commands: `likewise search`, `likewise similar`, `likewise eval beir`
(with the tiny BERT: these check what the commands print, not what the model means)."""

from __future__ import annotations

import json
import math

import pytest

from app.cli import main
from core.evaluation.beir import ndcg_at, recall_at

NOTES = {
    "harbour.md": "# Harbour\n\nThe pilot boarded the ship at dawn. Invoice QX-7731 covers the towing.\n\n"
                  "Tides were high and the cargo was late.\n",
    "garden.txt": "Tomatoes need sun and water. The gardener planted basil beside them.\n\n"
                  "Slugs ate the lettuce during the wet week.\n",
}


@pytest.fixture
def cli_lib(tmp_path, tiny_model_dir):
    folder = tmp_path / "notes"
    folder.mkdir()
    for name, text in NOTES.items():
        (folder / name).write_text(text, encoding="utf-8")
    base = ["--library", str(tmp_path / "lib.sqlite"), "--model", str(tiny_model_dir)]
    assert main([*base, "add-folder", str(folder)]) == 0
    return base, folder


def test_search_prints_location_score_and_marked_sentence(cli_lib, capsys):
    base, folder = cli_lib
    capsys.readouterr()
    assert main([*base, "search", "QX-7731", "--mode", "keyword"]) == 0
    out = capsys.readouterr().out
    assert str(folder / "harbour.md") in out and "score" in out
    assert ">>> " in out and " <<<" in out and "QX-7731" in out

    assert main([*base, "search", "invoice towing", "--json", "-k", "3", "--type", "md"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data and all(r["path"].endswith(".md") for r in data)
    for r in data:
        s, e = r["best_sentence"]
        assert 0 <= s < e <= len(r["text"])


def test_search_hostile_and_bad_input(cli_lib, capsys):
    base, _ = cli_lib
    for q in ['NEAR(a b, 2)', '"', "-", "text:foo", "((", "🙂", ""]:
        assert main([*base, "search", q]) == 0
    capsys.readouterr()
    assert main([*base, "search", "tides", "-k", "0"]) == 2
    assert "Invalid input" in capsys.readouterr().err
    assert main([*base, "search", "(", "--advanced", "--mode", "keyword"]) == 2


def test_similar_document_and_passage(cli_lib, capsys):
    base, folder = cli_lib
    capsys.readouterr()
    assert main([*base, "similar", str(folder / "garden.txt")]) == 0
    out = capsys.readouterr().out
    assert "harbour.md" in out and "passages matched" in out
    assert main([*base, "similar", str(folder / "garden.txt"), "--json"]) == 0
    sims = json.loads(capsys.readouterr().out)
    assert sims[0]["document"]["path"].endswith("harbour.md") and sims[0]["pairs"]
    src = sims[0]["pairs"][0][0]
    assert main([*base, "similar", str(folder / "garden.txt"), "--chunk", str(src), "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits and all(h["chunk_id"] != src and not h["path"].endswith("garden.txt") for h in hits)
    assert main([*base, "similar", str(folder / "nope.txt")]) == 2


def test_metrics_by_hand():
    rels = {"a": 1, "b": 1}
    assert ndcg_at(["a", "b", "c"], rels) == pytest.approx(1.0)
    assert ndcg_at(["c", "a"], rels) == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert recall_at(["x", "b"], rels) == 0.5
    assert ndcg_at([], rels) == 0.0


def test_eval_beir_prints_a_table(tmp_path, tiny_model_dir, capsys):
    data = tmp_path / "beir"
    (data / "qrels").mkdir(parents=True)
    corpus = [("d1", "Tides", "The harbour tides rise at dawn."), ("d2", "Gardens", "Tomatoes need sun."),
              ("d3", "Invoices", "Invoice QX-7731 covers towing.")]
    (data / "corpus.jsonl").write_text(
        "\n".join(json.dumps({"_id": i, "title": t, "text": x}) for i, t, x in corpus), encoding="utf-8")
    (data / "queries.jsonl").write_text(
        "\n".join(json.dumps({"_id": q, "text": t}) for q, t in [("q1", "QX-7731 invoice"), ("q2", "tomatoes sun")]),
        encoding="utf-8")
    (data / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\r\nq1\td3\t1\r\nq2\td2\t1\r\n",
                                             encoding="utf-8")
    assert main(["--model", str(tiny_model_dir), "eval", "beir", "--data", str(data), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "3 documents" in out and "2 queries" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.split() and line.split()[0] in ("dense", "keyword", "hybrid")}
    assert set(rows) == {"dense", "keyword", "hybrid"}
    assert float(rows["keyword"][1]) == pytest.approx(100.0)   # both queries: exact words, rank 1
    assert main(["eval", "beir", "--data", str(tmp_path / "missing")]) == 2
