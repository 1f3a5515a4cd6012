"""Labels: adding from the window, importing files (with bad rows), listing, export."""

from __future__ import annotations

import json

import pytest

from core.errors import InvalidInputError
from core.train.labels import parse_label_file


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


# -- parsing label files ---------------------------------------------------------------------
def test_binary_csv_with_bad_rows_reports_lines_and_keeps_good_rows(tmp_path):
    f = _write(tmp_path / "pairs.csv",
               "sentence1,sentence2,label\n"
               "A cat sits.,A cat is sitting.,1\n"        # line 2 good
               "Dogs bark.,   ,0\n"                      # line 3 empty text
               "x,y\n"                                   # line 4 wrong columns
               "Rain falls.,It rains.,true\n"            # line 5 good (true -> 1)
               "Sun.,Moon.,maybe\n"                      # line 6 not a number
               "\"A, quoted\",B,0\n")                    # line 7 good
    parsed = parse_label_file(f)
    assert parsed.kind == "pair_binary"
    assert [(e.line, e.reason.split(":")[0].split(" ")[0]) for e in parsed.errors] == [
        (3, "empty"), (4, "expected"), (6, "label")]
    assert "sentence2" in parsed.errors[0].reason
    assert "not a number" in parsed.errors[2].reason
    assert [(r[0], r[2], r[3]) for r in parsed.rows] == [
        (2, ("A cat sits.", "A cat is sitting."), 1.0),
        (5, ("Rain falls.", "It rains."), 1.0),
        (7, ("A, quoted", "B"), 0.0),
    ]


def test_scores_0_to_5_are_normalized_and_out_of_range_refused(tmp_path):
    f = _write(tmp_path / "scores.tsv",
               "sentence1\tsentence2\tscore\n"
               "a\tb\t4.5\n"
               "c\td\t0\n"
               "e\tf\t7\n"          # out of range
               "g\th\t-1\n"         # out of range
               "i\tj\t2.5\n")
    parsed = parse_label_file(f)
    assert parsed.kind == "pair_score" and parsed.scale == 5.0
    assert [e.line for e in parsed.errors] == [4, 5]
    assert all("out of range" in e.reason for e in parsed.errors)
    assert [r[3] for r in parsed.rows] == pytest.approx([0.9, 0.0, 0.5])


def test_scores_0_to_1_keep_their_scale(tmp_path):
    f = _write(tmp_path / "s.csv", "sentence1,sentence2,label\na,b,0.25\nc,d,1\ne,f,0\n")
    parsed = parse_label_file(f)
    assert parsed.kind == "pair_score" and parsed.scale == 1.0
    assert [r[3] for r in parsed.rows] == pytest.approx([0.25, 1.0, 0.0])


def test_true_false_in_a_file_of_scores_is_a_mixed_kind_error(tmp_path):
    f = _write(tmp_path / "s.csv", "sentence1,sentence2,label\na,b,0.4\nc,d,true\ne,f,0.9\n")
    parsed = parse_label_file(f)
    assert [(e.line, "mixed kinds" in e.reason) for e in parsed.errors] == [(3, True)]
    assert len(parsed.rows) == 2


def test_jsonl_mixed_kinds_first_good_row_decides(tmp_path):
    rows = [
        "not json",
        json.dumps({"anchor": "a", "positive": "p", "negative": "n"}),
        json.dumps({"sentence1": "s", "sentence2": "t", "label": 1}),
        json.dumps({"anchor": "a2", "positive": "p2", "negative": ""}),
        json.dumps({"anchor": "a3", "positive": "p3", "negative": "n3"}),
        json.dumps([1, 2]),
    ]
    f = _write(tmp_path / "t.jsonl", "\n".join(rows) + "\n")
    parsed = parse_label_file(f)
    assert parsed.kind == "triplet"
    reasons = {e.line: e.reason for e in parsed.errors}
    assert set(reasons) == {1, 3, 4, 6}
    assert "JSON" in reasons[1] and "mixed kinds" in reasons[3]
    assert "empty negative" in reasons[4] and "object" in reasons[6]
    assert [r[2] for r in parsed.rows] == [("a", "p", "n"), ("a3", "p3", "n3")]


def test_header_without_known_columns_is_refused_whole(tmp_path):
    f = _write(tmp_path / "bad.csv", "question,answer\nq,a\n")
    with pytest.raises(InvalidInputError, match="header"):
        parse_label_file(f)
    with pytest.raises(InvalidInputError, match="unknown label file type"):
        parse_label_file(_write(tmp_path / "x.xlsx", "a"))


def test_positive_pairs_and_comment_lines(tmp_path):
    f = _write(tmp_path / "p.tsv", "# my pairs\n\nsentence1\tsentence2\nq \"odd\tanswer\n\nq2\ta2\n")
    parsed = parse_label_file(f)
    assert parsed.kind == "positive_pair" and not parsed.errors
    assert [(r[0], r[2], r[3]) for r in parsed.rows] == [(4, ('q "odd', "answer"), None), (6, ("q2", "a2"), None)]


# -- the library's labels ------------------------------------------------------------------
def test_import_keeps_good_rows_in_library_and_reports_errors(tiny_library, tmp_path):
    f = _write(tmp_path / "pairs.csv",
               "sentence1,sentence2,label\nA,B,1\nC,,0\nE,F,0\nG,H,9\n")
    report = tiny_library.label_table.import_labels(f)
    assert (report.imported, report.updated, report.kind) == (2, 0, "pair_binary")
    assert [(e.line, e.reason) for e in report.errors] == [
        (3, "empty sentence2"), (5, "label 9 out of range (0-1 or 0-5)")]
    labels = tiny_library.label_table.labels()
    assert {(lab.sentence1, lab.sentence2, lab.label, lab.source) for lab in labels} == {
        ("A", "B", 1.0, "import"), ("E", "F", 0.0, "import")}
    again = tiny_library.label_table.import_labels(f)  # the same file twice: no duplicates
    assert (again.imported, again.updated) == (0, 2)
    assert len(tiny_library.label_table.labels()) == 2


def test_add_label_validates_and_refreshes_duplicates(tiny_library):
    lib = tiny_library
    first = lib.label_table.add_label("pair_binary", "one", "two", label=1)
    assert lib.label_table.add_label("pair_binary", " one ", "two", label=0) == first
    assert lib.label_table.label(first).label == 0.0
    sid = lib.label_table.add_label("pair_score", "a", "b", label=4, scale=5)
    scored = lib.label_table.label(sid)
    assert scored.label == pytest.approx(0.8) and scored.original_label == pytest.approx(4)
    tid = lib.label_table.add_label("triplet", "a", "p", text3="n")
    assert lib.label_table.label(tid).sentence3 == "n"
    for bad in (
        lambda: lib.label_table.add_label("pair_binary", "a", "b", label=0.5),
        lambda: lib.label_table.add_label("pair_score", "a", "b", label=1.5),
        lambda: lib.label_table.add_label("triplet", "a", "p"),
        lambda: lib.label_table.add_label("pair_binary", "", "b", label=1),
        lambda: lib.label_table.add_label("nonsense", "a", "b"),
    ):
        with pytest.raises(InvalidInputError):
            bad()
    assert lib.label_table.label_counts() == {"pair_binary": 1, "pair_score": 1, "triplet": 1, "positive_pair": 0}
    assert [lab.id for lab in lib.label_table.labels(search="p")] == [tid]
    assert lib.label_table.delete_labels([first, tid, 999]) == 2
    assert [lab.id for lab in lib.label_table.labels()] == [sid]


@pytest.mark.parametrize("ext", ["csv", "tsv", "jsonl"])
def test_export_then_import_gives_the_same_labels(tiny_library, tmp_path, ext):
    lib = tiny_library
    lib.label_table.add_label("pair_score", "a, with comma", "b \"quoted\"", label=3.5, scale=5, source="import")
    lib.label_table.add_label("pair_score", "c", "d", label=1, scale=5, source="import")
    lib.label_table.add_label("pair_score", "e", "f", label=0, scale=5, source="import")
    out = tmp_path / f"out.{ext}"
    assert lib.label_table.export_labels(out) == 3
    parsed = parse_label_file(out)
    assert not parsed.errors and parsed.kind == "pair_score"
    got = sorted((r[2], round(r[3], 6)) for r in parsed.rows)
    want = sorted(((lab.sentence1, lab.sentence2), round(lab.label, 6)) for lab in lib.label_table.labels())
    assert got == want
    lib.label_table.add_label("pair_binary", "x", "y", label=1)
    with pytest.raises(InvalidInputError, match="several kinds"):
        lib.label_table.export_labels(out)


def test_window_labels_on_passages(tiny_library, tmp_path):
    lib = tiny_library
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("Cats sleep most of the day.\n\nDogs like to run in the park.", encoding="utf-8")
    lib.add_folder(folder)
    lib.indexer.index()
    doc = lib.catalog.documents()[0]
    chunks = lib.catalog.chunks_of(doc.id)
    rel = lib.label_table.label_relevance("sleepy cats", chunks[0].id, relevant=True)
    lab = lib.label_table.label(rel)
    assert (lab.kind, lab.sentence1, lab.sentence2, lab.label, lab.query, lab.chunk2) == (
        "pair_binary", "sleepy cats", chunks[0].text, 1.0, "sleepy cats", chunks[0].id)
    assert len(chunks) == 2                       # one passage per paragraph
    pid = lib.label_table.label_pair(chunks[1].id, chunks[0].id, similar=False, source="dupes")
    pair = lib.label_table.label(pid)
    assert (pair.chunk1, pair.chunk2, pair.label, pair.source) == (chunks[0].id, chunks[1].id, 0.0, "dupes")
    lib.catalog.remove_folder(folder)             # labels keep their texts, forget the passage
    lab = lib.label_table.label(rel)
    assert lab.chunk2 is None and lab.sentence2 == chunks[0].text
