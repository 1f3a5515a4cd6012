"""Words first, meaning next (issue 27): a document is searchable by words as soon as it
is extracted; its vectors follow through the durable embed queue. A kill between the two
stages loses nothing and extracts nothing again; hybrid search shows a keyword hit whose
vector is not there yet; status says how much can be searched by meaning."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from core.cancel import CancelToken
from core.index import meaning
from core.library import Library
from core.store import vec_table

ROOT = Path(__file__).resolve().parents[3]

_RUN = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from core.library import Library
    lib = Library(path=sys.argv[1], model_path=sys.argv[2])
    lib.add_folder(sys.argv[3])
    lib.indexer.index()
    lib.close()
    """
)


def _notes(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        p = folder / f"note{i:02d}.md"
        p.write_text(f"# Note {i}\n\nThe keeper{i} of lighthouse number {i} logged the fog at dawn.\n\n"
                     f"Second paragraph of note {i}: tides, cargo and weather {i * 7}.\n", encoding="utf-8")
        out.append(p)
    return out


def _vectors(lib: Library) -> int:
    return lib.store.count(f"SELECT COUNT(*) FROM {vec_table(lib.versions.active_model_id())}")


def _words_only(lib: Library, folder: Path, monkeypatch) -> None:
    """Index ``folder``'s first stage only: the encoder waits for the extraction to end
    (no group is ever ready before), and the run is cancelled as the last file is written."""
    monkeypatch.setattr(meaning.MeaningStage, "_ready", lambda stage: stage.words_done.is_set())
    token = CancelToken()

    def progress(p):
        if p.files_total and p.files_done >= p.files_total:
            token.cancel()

    lib.add_folder(folder)
    report = lib.indexer.index(progress=progress, cancel=token)
    assert report.cancelled


def test_kill_between_the_stages_loses_nothing_and_extracts_nothing_again(tmp_path, tiny_model_dir):
    folder = tmp_path / "docs"
    notes = _notes(folder, 12)
    db = tmp_path / "lib.sqlite"
    script = tmp_path / "run.py"
    script.write_text(_RUN.format(root=str(ROOT)))
    # killed by the fault hook when the first group is encoded, before its vectors are written
    env = dict(os.environ, LIKEWISE_KILL_AT="vectors:1", LIKEWISE_TEST_HOOKS="1")
    proc = subprocess.run([sys.executable, str(script), str(db), str(tiny_model_dir), str(folder)],
                          env=env, timeout=300)
    assert proc.returncode == -signal.SIGKILL

    lib = Library(path=db, model_path=tiny_model_dir)
    try:
        written = {d.path: d.indexed_at for d in lib.catalog.documents()}
        assert written, "the first stage wrote nothing before the kill"
        assert _vectors(lib) == 0
        # what was written is searchable by words already, and waits for its vectors
        hits = lib.searcher.search("keeper3", mode="keyword", k=5)
        if str(notes[3]) in written:
            assert [r.path for r in hits] == [str(notes[3])]
        counts = lib.status_counts()
        assert counts["chunks"] > 0 and counts["by_meaning"] == 0

        prepared: list[str] = []
        real = lib.indexer.preparer.prepare

        def counting(job, *a, **kw):
            prepared.append(job.path)
            return real(job, *a, **kw)

        lib.indexer.preparer.prepare = counting   # type: ignore[method-assign]
        seen = []
        report = lib.indexer.index(progress=lambda p: seen.append(dataclasses.replace(p)))
        assert not report.cancelled and lib.indexer.pending_jobs() == 0
        # nothing written before the kill was read or written again
        assert not set(prepared) & set(written)
        docs = {d.path: d for d in lib.catalog.documents()}
        assert len(docs) == 12
        for path, when in written.items():
            assert docs[path].indexed_at == when
        # every passage now has its vector, encoded once
        chunks = lib.status_counts()["chunks"]
        assert _vectors(lib) == chunks
        assert report.chunks_encoded + report.chunks_reused == chunks
        assert lib.status_counts()["by_meaning"] == chunks
        # the resumed run said so
        notes_seen = {p.resume_note() for p in seen if p.resume_note()}
        assert notes_seen == {f"resuming: {len(written)} of 12 documents"}
        # and the passages left from before were in its passage total from the start
        first = next(p for p in seen if p.phase == "indexing")
        assert first.chunks_total >= lib.store.count(
            "SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE d.path IN "
            f"({','.join('?' * len(written))})", tuple(written))
    finally:
        lib.close()


def test_hybrid_search_shows_a_keyword_hit_whose_vector_is_not_there_yet(tmp_path, tiny_library, monkeypatch,
                                                                        tiny_model_dir, capsys):
    lib = tiny_library
    notes = _notes(tmp_path / "docs", 5)
    _words_only(lib, tmp_path / "docs", monkeypatch)
    assert len(lib.catalog.documents()) == 5 and _vectors(lib) == 0
    hits = lib.searcher.search("keeper2 lighthouse", mode="hybrid", k=5)
    assert hits and hits[0].path == str(notes[2])
    assert hits[0].keyword_rank == 1 and hits[0].dense_rank is None
    assert lib.searcher.search("keeper2 lighthouse", mode="dense", k=5) == []  # not yet, by meaning
    counts = lib.status_counts()
    assert counts["by_meaning"] == 0 < counts["chunks"]

    from app.cli import main

    base = ["--library", str(lib.path), "--model", str(tiny_model_dir)]
    assert main([*base, "status"]) == 0
    assert "by meaning: 0 % of passages" in capsys.readouterr().out
    lib.indexer.index()
    counts = lib.status_counts()
    assert counts["by_meaning"] == counts["chunks"] == _vectors(lib)
    assert main([*base, "status"]) == 0
    assert "by meaning: all passages" in capsys.readouterr().out
    assert lib.searcher.search("keeper2 lighthouse", mode="dense", k=5)


def test_an_edited_document_keeps_the_vectors_of_its_unchanged_paragraphs(tmp_path, tiny_library):
    lib = tiny_library
    notes = _notes(tmp_path / "docs", 2)
    lib.add_folder(tmp_path / "docs")
    lib.indexer.index()
    text = notes[0].read_text(encoding="utf-8")
    notes[0].write_text(text + "\nA new closing paragraph about the harbour master.\n", encoding="utf-8")
    report = lib.indexer.index()
    assert report.indexed == 1
    assert report.chunks_encoded == 1          # only the new paragraph
    assert _vectors(lib) == lib.status_counts()["chunks"]


def test_progress_tells_both_stages_with_rates_and_etas(tmp_path, tiny_library):
    from app.progress_text import meaning_text, words_text

    lib = tiny_library
    _notes(tmp_path / "docs", 8)
    lib.add_folder(tmp_path / "docs")
    seen = []
    lib.indexer.index(progress=lambda p: seen.append(dataclasses.replace(p)))
    mid = [p for p in seen if p.phase == "indexing" and 0 < p.files_done < p.files_total]
    assert mid, "no progress was told between the first and the last file"
    assert any(p.files_per_s > 0 and p.words_eta_s is not None for p in mid)
    last = seen[-1]
    assert last.phase == "done" and last.files_done == 8 and last.chunks_done == last.chunks_total
    assert words_text(last) == "words 8/8 files"
    assert meaning_text(last).startswith(f"meaning {last.chunks_done} of ~{last.chunks_total} passages")


def test_a_resumed_runs_eta_counts_the_passages_left_to_encode_in_each_stage(monkeypatch):
    import pytest

    import core.index.progress as ix

    now = [1000.0]
    monkeypatch.setattr(ix.time, "monotonic", lambda: now[0])
    seen = []
    t = ix.Tracker(2, lambda p: seen.append(dataclasses.replace(p)))
    t.backlog(300)                        # a stopped run left 300 passages without vectors
    t.plan({"/a/one.txt": 1000, "/a/two.txt": 1000})
    t.emit()
    assert seen[-1].chunks_total == 300   # known before any file is read
    now[0] += 1.0
    t.read("/a/one.txt", 10, 1.0)         # 1 s per 1,000 bytes, 10 passages
    t.p.files_done += 1                   # its words are written
    t.encode_began()
    now[0] += 2.0
    t.encoding(100)                       # the encoder: 50 passages per second
    t.written(100)
    t.group_done()
    t.emit()
    p = seen[-1]
    assert p.chunks_total == 300 + 10 + 10 and p.chunks_done == 100
    assert p.words_eta_s == pytest.approx(1.0)                 # one file of 1,000 bytes left
    assert p.meaning_eta_s == pytest.approx(220 / 50)          # 220 passages at 50 per second
    assert p.eta_s == p.meaning_eta_s and p.files_per_s > 0


def test_the_eta_counts_the_encoders_work_left_kind_by_kind(monkeypatch):
    """A long run's ETA (core/index/stage_costs.py): the texts waiting for the encoder
    are counted once however often they repeat, at the calibrated cost of each; the
    search graph's upkeep goes by every vector written, the rest of a group by its
    passages; while files are read the encoder goes as much slower as measured, and once
    they are read its pace alone is measured afresh."""
    import pytest

    import core.index.progress as ix
    from core.index.calibrate import EncoderPace

    now = [1000.0]
    monkeypatch.setattr(ix.time, "monotonic", lambda: now[0])
    seen = []
    t = ix.Tracker(100, lambda p: seen.append(dataclasses.replace(p)))
    t.plan({f"/a/{i}.txt": 1000 for i in range(100)})
    t.calibrated(EncoderPace((1.0, 256.0), (0.01, 0.01), 256))     # alone: 0.01 s a text
    for i in range(20):                 # 10 passages a file, 0.1 s a file to read
        t.read(f"/a/{i}.txt", 10, 0.1)
        t.p.files_done += 1
        # four texts of its own and a letterhead six times: 81 texts to encode in all
        t.queued([1 + 4 * i + k for k in range(4)] + [0] * 6, [50] * 10)
    assert t.costs is not None and len(t.costs.pending) == 81
    t.encode_began()
    now[0] += 2.0
    t.encoding(50)
    t.written(50, 20)                   # 50 passages written, 20 texts encoded: 2 s, 10x slower
    t.texts_encoded(list(range(20)))
    t.group_done(2.5, 0.3)              # of the group's 2.5 s, 0.3 s kept the graph and 0.2 s the rest
    t.emit()
    p = seen[-1]
    assert p.chunks_total == 1000 and p.chunks_done == 50 and len(t.costs.pending) == 61
    # 8 s of reading left (80 files), the encoder 10x slower meanwhile. Alone: 61 texts
    # waiting and 800 x 81/200 to come at 0.01 s; 150 + 800 passages of graph upkeep at
    # 0.3/50/10 s and of the rest at 0.2/50/10 s; 8/10 s of that done while the files are read
    work = (61 + 800 * 81 / 200) * 0.01 + 950 * 0.0006 + 950 * 0.0004
    assert p.eta_s == pytest.approx(8.0 + work - 0.8)

    for i in range(20, 100):            # the rest are copies: nothing to encode
        t.read(f"/a/{i}.txt", 10, 0.1)
        t.p.files_done += 1
        t.reused(10)
    t.emit()
    # every file read: 61 texts and 150 passages left, at the paces alone
    assert seen[-1].eta_s == pytest.approx(61 * 0.01 + 150 * 0.0006 + 150 * 0.0004)
    t.encode_began()
    now[0] += 2.4
    t.encoding(60)
    t.written(60, 60)                   # measured alone: 0.04 s a text, 4x the calibration
    t.texts_encoded(list(range(20, 80)))
    t.group_done(3.0, 0.0)              # and 0.01 s a passage for the rest
    t.emit()
    assert seen[-1].eta_s == pytest.approx(1 * 0.04 + 90 * 0.0006 + 90 * 0.01)


def test_a_calibrated_run_queues_each_text_to_encode_once_and_ends_with_none_waiting(tmp_path, tiny_library,
                                                                                     monkeypatch):
    """The ETA's count of texts waiting for the encoder follows a real run: what the first
    stage queues is every distinct text without a vector (a paragraph repeated in every
    note once), each with the tokens the chunker counted, and the encoder takes each away."""
    from core.catalog import text_hash
    from core.index import calibrate, progress
    from core.index.stage_costs import text_code

    monkeypatch.setattr(calibrate, "CALIBRATE_FROM_FILES", 1)
    trackers, queued = [], []
    real_calibrated, real_queued = progress.Tracker.calibrated, progress.Tracker.queued

    def calibrated(self, pace):
        trackers.append(self)
        real_calibrated(self, pace)

    def recording(self, codes, tokens):
        queued.extend(zip(codes, tokens, strict=True))
        real_queued(self, codes, tokens)

    monkeypatch.setattr(progress.Tracker, "calibrated", calibrated)
    monkeypatch.setattr(progress.Tracker, "queued", recording)
    folder = tmp_path / "docs"
    for p in _notes(folder, 6):
        p.write_text(p.read_text(encoding="utf-8") + "\nSent from the harbour office, all rights reserved.\n",
                     encoding="utf-8")
    lib = tiny_library
    lib.add_folder(folder)
    lib.indexer.index()
    costs = trackers[0].costs
    assert costs is not None and costs.pending == set()
    texts = [r[0] for r in lib.store.query("SELECT text FROM chunks")]
    assert len(texts) > len(set(texts))             # the footer repeats
    assert {c for c, _ in queued} == {text_code(text_hash(t)) for t in texts}
    assert costs.fresh_in == len(set(texts))
    enc = lib.versions.encoder()
    tokens = dict(queued)
    for t in set(texts):
        assert tokens[text_code(text_hash(t))] == enc.count_tokens([t])[0]


def test_the_calibration_reads_the_encoders_cost_per_text_at_each_length(monkeypatch):
    import pytest

    from core.index import calibrate

    clock = [0.0]
    monkeypatch.setattr(calibrate.time, "perf_counter", lambda: clock[0])

    class Encoder:
        max_seq_length = 256

        def count_tokens(self, texts):              # two tokens a word
            return [2 * len(t.split()) for t in texts]

        def encode(self, texts, batch_size=32):     # 1 ms a text and 0.1 ms a token, 256 at most
            clock[0] += sum(0.001 + 0.0001 * min(2 * len(t.split()), 256) for t in texts)

    pace = calibrate.measure(Encoder())
    assert pace is not None and len(pace.tokens) == 4 and pace.tokens[-1] == 256
    for n in (30, 60, 100, 200, 256):
        assert pace.per_text(n) == pytest.approx(0.001 + 0.0001 * n)
    assert pace.per_text(1000) == pytest.approx(0.001 + 0.0256)     # the model reads 256 tokens and no more

    class Broken(Encoder):
        def encode(self, texts, batch_size=32):
            raise RuntimeError("no runtime")

    assert calibrate.measure(Broken()) is None


def test_a_calibrated_run_of_copies_shows_the_reading_left_as_its_eta(monkeypatch):
    """Nothing to encode (every file a copy of one indexed, or its texts known): there is
    no encoder pace to wait for, and the ETA is the reading left from the first files on."""
    import pytest

    import core.index.progress as ix
    from core.index.calibrate import EncoderPace

    now = [1000.0]
    monkeypatch.setattr(ix.time, "monotonic", lambda: now[0])
    seen = []
    t = ix.Tracker(10, lambda p: seen.append(dataclasses.replace(p)))
    t.plan({f"/a/{i}.txt": 1000 for i in range(10)})
    t.calibrated(EncoderPace((1.0, 256.0), (0.01, 0.01), 256))
    for i in range(4):
        t.read(f"/a/{i}.txt", 10, 0.5)
        t.p.files_done += 1
        t.reused(10)
    t.emit()
    assert seen[-1].eta_s == pytest.approx(6 * 0.5)
    t.read("/a/4.txt", 10, 0.5)
    t.p.files_done += 1
    t.queued([7], [50])                  # a text to encode: the reading alone no longer says it
    t.emit()
    assert t.costs is not None and t.costs.seconds_left(2.5, False, 50, 50, 10, 0) is None
