"""Reading and writing label files (CSV, TSV, JSON lines).

A file holds one kind of labels, set by its columns (CSV/TSV header, or the keys of the
first good JSON line):

- ``sentence1, sentence2, label``: pairs with a label. Labels that are all 0/1 or
  true/false make binary pairs; any other number makes scores, on 0-5 when some value
  is above 1 and on 0-1 otherwise (stored as 0-1, the scale is kept);
- ``anchor, positive, negative``: triplets;
- ``sentence1, sentence2`` (or ``anchor, positive``): positive pairs.

Rows that do not fit are reported with their line number and reason; the good rows
are kept. Lines starting with ``#`` before the header are comments.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from core.errors import InvalidInputError
from core.train.types import (
    PAIR_BINARY,
    PAIR_SCORE,
    POSITIVE_PAIR,
    TRIPLET,
    LabelInfo,
    RowError,
)

_ALIASES = {
    "sentence1": "sentence1", "text1": "sentence1", "s1": "sentence1",
    "sentence2": "sentence2", "text2": "sentence2", "s2": "sentence2",
    "label": "label", "score": "label",
    "anchor": "anchor", "positive": "positive", "negative": "negative",
}
_BINARY_WORDS = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0}
MAX_SCORE = 5.0


@dataclass
class ParsedRow:
    line: int
    kind: str
    texts: tuple[str, ...]
    raw_label: str | float | int | bool | None = None


@dataclass
class ParsedFile:
    kind: str | None
    scale: float | None
    rows: list[tuple[int, str, tuple[str, ...], float | None]]   # (line, kind, texts, label 0-1)
    errors: list[RowError]
    count: int


def file_format(path: Path) -> str:
    ext = path.suffix.lower()
    if ext == ".csv":
        return "csv"
    if ext in (".tsv", ".tab", ".txt"):
        return "tsv"
    if ext in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise InvalidInputError(
        f"{path.name}: unknown label file type {ext or '(none)'}; use .csv, .tsv or .jsonl"
    )


def _kind_of_columns(cols: set[str]) -> str | None:
    if {"anchor", "positive", "negative"} <= cols:
        return TRIPLET
    if {"sentence1", "sentence2", "label"} <= cols:
        return "pair"                       # binary or score, decided by the labels
    if {"sentence1", "sentence2"} <= cols or {"anchor", "positive"} <= cols:
        return POSITIVE_PAIR
    return None


_TEXT_NAMES = {TRIPLET: ("anchor", "positive", "negative")}


def _text_names(kind: str, row: dict) -> tuple[str, ...]:
    if kind == TRIPLET:
        return _TEXT_NAMES[TRIPLET]
    if kind == POSITIVE_PAIR and "sentence1" not in row:
        return ("anchor", "positive")
    return ("sentence1", "sentence2")


# -- reading rows ------------------------------------------------------------------------
def _delimited_rows(path: Path, delimiter: str) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line, {column: value}, error) per data row of a CSV/TSV file with a header."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        lines = fh.read().splitlines(keepends=True)
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].lstrip().startswith("#")):
        start += 1
    if start == len(lines):
        raise InvalidInputError(f"{path.name}: the file has no header and no rows")
    reader = csv.reader(lines[start:], delimiter=delimiter, strict=False,
                        quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        raise InvalidInputError(f"{path.name}, line {start + 1}: unreadable header ({exc})") from exc
    names = [_ALIASES.get(h, h) for h in header]
    if _kind_of_columns(set(names)) is None:
        raise InvalidInputError(
            f"{path.name}, line {start + 1}: the header must name the columns "
            "sentence1,sentence2,label or anchor,positive,negative or sentence1,sentence2 "
            f"(found: {','.join(header) or 'nothing'})"
        )
    yield start + 1, {"__header__": names}, None
    prev_end = start + 1
    while True:
        first = prev_end + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            prev_end = start + reader.line_num
            yield first, None, f"unreadable row ({exc})"
            continue
        prev_end = start + reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(names):
            yield first, None, f"expected {len(names)} columns ({','.join(header)}), found {len(fields)}"
            continue
        yield first, dict(zip(names, fields, strict=True)), None


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    with open(path, encoding="utf-8-sig") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, None, f"not valid JSON ({exc.msg})"
                continue
            if not isinstance(obj, dict):
                yield number, None, "not a JSON object"
                continue
            yield number, {_ALIASES.get(str(k).lower(), str(k).lower()): v for k, v in obj.items()}, None


# -- labels ------------------------------------------------------------------------------
def _label_value(raw: object) -> tuple[float | None, bool, str | None]:
    """(value, is_binary_token, error) for one raw label."""
    if isinstance(raw, bool):
        return float(raw), True, None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, False, "missing label"
    if isinstance(raw, str) and raw.strip().lower() in _BINARY_WORDS:
        return _BINARY_WORDS[raw.strip().lower()], True, None
    if isinstance(raw, int):
        value, token = float(raw), raw in (0, 1)
    elif isinstance(raw, float):
        value, token = raw, False
    elif isinstance(raw, str):
        text = raw.strip().lower()
        try:
            value = float(text)
        except ValueError:
            return None, False, f"label {raw.strip()!r} is not a number"
        token = text in ("0", "1")
    else:
        return None, False, f"label {raw!r} is not a number"
    if math.isnan(value) or math.isinf(value):
        return None, False, f"label {raw!r} is not a number"
    if value < 0 or value > MAX_SCORE:
        return None, False, f"label {value:g} out of range (0-1 or 0-5)"
    return value, token, None


def parse_label_file(path: Path | str) -> ParsedFile:
    """Read a label file into good rows (labels normalized to 0-1) and row errors."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"no such label file: {path}")
    fmt = file_format(path)
    source = _jsonl_rows(path) if fmt == "jsonl" else _delimited_rows(path, "," if fmt == "csv" else "\t")
    errors: list[RowError] = []
    pending: list[tuple[int, str, tuple[str, ...], object]] = []
    file_kind: str | None = None
    count = 0
    try:
        for line, row, error in source:
            if row is not None and "__header__" in row:
                file_kind = _kind_of_columns(set(row["__header__"]))
                continue
            count += 1
            if error or row is None:
                errors.append(RowError(line, error or "unreadable row"))
                continue
            kind = _kind_of_columns(set(row))
            if kind is None:
                errors.append(RowError(line, "wrong columns: expected sentence1,sentence2[,label] "
                                             "or anchor,positive,negative"))
                continue
            if file_kind is None:
                file_kind = kind
            elif kind != file_kind:
                errors.append(RowError(
                    line, f"mixed kinds: a {_describe(kind)} row in a file of {_describe(file_kind)}"))
                continue
            problem, texts = _row_texts(kind, row)
            if problem:
                errors.append(RowError(line, problem))
                continue
            pending.append((line, kind, texts, row.get("label") if kind == "pair" else None))
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{path.name}: not UTF-8 text ({exc.reason})") from exc
    rows, scale, final_kind = _decide_labels(pending, errors)
    errors.sort(key=lambda e: e.line)
    if final_kind is None and file_kind not in (None, "pair"):
        final_kind = file_kind
    return ParsedFile(final_kind, scale, rows, errors, count)


def _describe(kind: str) -> str:
    return {"pair": "labelled pairs", TRIPLET: "triplets", POSITIVE_PAIR: "positive pairs"}.get(kind, kind)


def _row_texts(kind: str, row: dict) -> tuple[str | None, tuple[str, ...]]:
    names = _text_names(kind, row)
    texts = []
    for name in names:
        value = row.get(name)
        if value is None or not isinstance(value, str | int | float) or isinstance(value, bool):
            return f"missing {name}", ()
        text = str(value).strip()
        if not text:
            return f"empty {name}", ()
        texts.append(text)
    return None, tuple(texts)


def _decide_labels(
    pending: list[tuple[int, str, tuple[str, ...], object]], errors: list[RowError]
) -> tuple[list[tuple[int, str, tuple[str, ...], float | None]], float | None, str | None]:
    """Turn raw labels into 0-1 values; the file's labels decide binary vs score and scale."""
    out: list[tuple[int, str, tuple[str, ...], float | None]] = []
    values: list[tuple[int, str, tuple[str, ...], float, bool]] = []
    kind: str | None = None
    for line, k, texts, raw in pending:
        if k != "pair":
            out.append((line, k, texts, None))
            kind = k
            continue
        value, token, error = _label_value(raw)
        if error:
            errors.append(RowError(line, error))
            continue
        values.append((line, k, texts, float(value), token))  # type: ignore[arg-type]
    if not values:
        return out, None, kind
    if all(token for *_, token in values):
        return out + [(ln, PAIR_BINARY, t, v) for ln, _, t, v, _ in values], None, PAIR_BINARY
    scores = []
    raws = {line: raw for line, _, _, raw in pending}
    for ln, _, t, v, _ in values:
        raw = raws[ln]
        if isinstance(raw, bool) or (isinstance(raw, str) and raw.strip().lower() in _BINARY_WORDS):
            errors.append(RowError(ln, f"mixed kinds: a {str(raw).strip().lower()} label in a file of scores"))
            continue
        scores.append((ln, t, v))
    scale = MAX_SCORE if any(v > 1.0 for _, _, v in scores) else 1.0
    return out + [(ln, PAIR_SCORE, t, v / scale) for ln, t, v in scores], scale, PAIR_SCORE


# -- writing -----------------------------------------------------------------------------
_COLUMNS = {
    PAIR_BINARY: ("sentence1", "sentence2", "label"),
    PAIR_SCORE: ("sentence1", "sentence2", "label"),
    TRIPLET: ("anchor", "positive", "negative"),
    POSITIVE_PAIR: ("sentence1", "sentence2"),
}


def _export_values(label: LabelInfo) -> list[object]:
    if label.kind == TRIPLET:
        return [label.sentence1, label.sentence2, label.sentence3 or ""]
    if label.kind == POSITIVE_PAIR:
        return [label.sentence1, label.sentence2]
    if label.kind == PAIR_BINARY:
        return [label.sentence1, label.sentence2, int(round(label.label or 0.0))]
    return [label.sentence1, label.sentence2, float(round(label.original_label or 0.0, 6))]


def write_label_file(path: Path | str, kind: str, labels: list[LabelInfo]) -> int:
    """Write labels of one kind in a file that parse_label_file reads back the same."""
    path = Path(path)
    fmt = file_format(path)
    cols = _COLUMNS[kind]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        if fmt == "jsonl":
            for lab in labels:
                fh.write(json.dumps(dict(zip(cols, _export_values(lab), strict=True)), ensure_ascii=False) + "\n")
        elif fmt == "csv":
            writer = csv.writer(fh)
            writer.writerow(cols)
            for lab in labels:
                writer.writerow(_export_values(lab))
        else:
            fh.write("\t".join(cols) + "\n")
            for lab in labels:
                values = [" ".join(str(v).split()) if isinstance(v, str) else str(v) for v in _export_values(lab)]
                fh.write("\t".join(values) + "\n")
    return len(labels)
