"""Settings.load on a damaged settings.json: a clear message, the default for what is
wrong, the file kept aside, nothing the person wrote lost (issue 32)."""

from __future__ import annotations

import json
import logging

from core.settings import Settings


def _aside(folder):
    return sorted(folder.glob("settings.json.bad-*"))


def test_a_list_instead_of_an_object_gives_the_defaults_and_keeps_the_file(tmp_path, caplog):
    # On the old code this raised AttributeError ('list' object has no attribute 'items').
    path = tmp_path / "settings.json"
    path.write_text("[]", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="likewise.settings"):
        s = Settings.load(path)
    assert s == Settings()
    assert any("holds a list" in p for p in s.problems)
    assert "holds a list" in caplog.text
    kept = _aside(tmp_path)
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == "[]"
    assert not path.exists()
    s.save(path)                                  # the next save writes a good file
    assert Settings.load(path) == Settings() and Settings.load(path).problems == []


def test_a_value_of_the_wrong_type_uses_that_default_and_keeps_the_rest(tmp_path):
    # On the old code "big" was accepted as the batch size, unchecked.
    path = tmp_path / "settings.json"
    original = {"batch_size": "big", "ocr_enabled": 1, "extract_timeout_s": 30, "device": "cpu",
                "follow_links": True, "chunk_max_tokens": True}
    path.write_text(json.dumps(original), encoding="utf-8")
    s = Settings.load(path)
    assert s.batch_size == Settings().batch_size
    assert s.ocr_enabled is True                  # 1 is not a yes/no: the default
    assert s.chunk_max_tokens == 0                # a yes/no is not a number: the default
    assert s.extract_timeout_s == 30.0 and isinstance(s.extract_timeout_s, float)
    assert s.device == "cpu" and s.follow_links is True
    named = " ".join(s.problems)
    assert "batch_size is 'big'" in named and "ocr_enabled" in named and "chunk_max_tokens" in named
    assert "device" not in named
    kept = _aside(tmp_path)
    assert len(kept) == 1 and json.loads(kept[0].read_text(encoding="utf-8")) == original


def test_broken_json_is_kept_aside_and_a_second_bad_file_does_not_overwrite_the_first(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"batch_size": 8', encoding="utf-8")
    assert Settings.load(path) == Settings()
    path.write_text('{"batch_size": "x"}', encoding="utf-8")
    assert Settings.load(path).batch_size == Settings().batch_size
    texts = sorted(p.read_text(encoding="utf-8") for p in _aside(tmp_path))
    assert texts == ['{"batch_size": "x"}', '{"batch_size": 8']


def test_a_good_file_loads_without_problems_and_stays_in_place(tmp_path):
    path = tmp_path / "settings.json"
    Settings(batch_size=8, precision="fp32", extra={"k": 1}).save(path)
    s = Settings.load(path)
    assert (s.batch_size, s.precision, s.extra, s.problems) == (8, "fp32", {"k": 1}, [])
    assert path.exists() and _aside(tmp_path) == []
    assert "problems" not in json.loads(path.read_text(encoding="utf-8"))
    assert Settings.load(tmp_path / "missing.json") == Settings()
