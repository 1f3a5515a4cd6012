"""The CLI's progress bars (app/commands/bars.py): tqdm with rate and ETA on a terminal,
no bar (no carriage returns) when the stream is not a terminal."""

from __future__ import annotations

import io
from types import SimpleNamespace

from app.commands.bars import Bar
from app.commands.common import TerminalProgress
from app.commands.dupes import _MiningLine
from app.commands.encoder import BatchProgress
from app.commands.train import TrainPrinter


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _index_progress(done, total=4, phase="indexing"):
    from core.types import IndexProgress

    return IndexProgress(phase=phase, files_done=done, files_total=total, chunks_done=3 * done,
                         chunks_total=3 * total, chunks_per_s=1.0, files_per_s=0.5, words_eta_s=2.0 * (total - done),
                         meaning_eta_s=3.0, current_file="/tmp/a.pdf")


def test_index_bar_on_a_terminal_has_rate_and_eta():
    stream = _Tty()
    bar = TerminalProgress(stream)
    for done in range(5):
        bar(_index_progress(done))
    bar.finish()
    out = stream.getvalue()
    # both stages, each with its rate and ETA
    assert "words" in out and "4/4" in out and "file/s" in out and "<" in out
    assert "meaning" in out and "12/12" in out and "passage/s" in out


def test_no_bars_when_not_a_terminal():
    stream = io.StringIO()
    bar = TerminalProgress(stream)
    for done in range(3):
        bar(_index_progress(done, total=2))
    bar.finish()
    assert "\r" not in stream.getvalue()
    assert stream.getvalue().splitlines()[-1].startswith("indexing: words 2/2 files; meaning 6 of ~6 passages")
    assert "words 1/2 files, 0.5/s, ETA 2 s; meaning 3 of ~6 passages, 1.0/s, ETA 3 s" in stream.getvalue()
    plain = io.StringIO()
    BatchProgress("encoding", plain)(1, 2)
    printer = TrainPrinter(plain)
    printer(SimpleNamespace(phase="training", step=2, total=2, epoch=1, loss=0.5, eta_s=None, message=""))
    assert "\r" not in plain.getvalue() and "step 2/2" in plain.getvalue()


def test_training_and_model_bars_on_a_terminal():
    stream = _Tty()
    printer = TrainPrinter(stream)
    printer(SimpleNamespace(phase="preparing", message="Loading the model", step=0, total=0))
    for step in (1, 2):
        printer(SimpleNamespace(phase="training", step=step, total=2, epoch=1, loss=0.25, eta_s=None,
                                message=""))
    printer(SimpleNamespace(phase="saving", message="Saving", step=2, total=2))
    out = stream.getvalue()
    assert "Loading the model..." in out and "training" in out and "step/s" in out and "loss 0.2500" in out
    models = _Tty()
    batch = BatchProgress("encoding", models)
    batch(5, 10)
    batch(10, 10)
    assert "10/10" in models.getvalue() and "text/s" in models.getvalue()


def test_mining_bar_one_per_phase(monkeypatch, capsys):
    monkeypatch.setattr("sys.stderr", _Tty())
    line = _MiningLine()
    for phase in ("embedding", "mining"):
        for done in (1, 2):
            line(SimpleNamespace(phase=phase, done=done, total=2))
    line.finish()
    import sys
    out = sys.stderr.getvalue()
    assert "embedding" in out and "mining" in out and "passage/s" in out


def test_bar_write_goes_above_the_bar():
    stream = _Tty()
    bar = Bar("x", stream=stream)
    bar.update(1, 3)
    bar.write("a message")
    bar.close()
    assert "a message" in stream.getvalue()
