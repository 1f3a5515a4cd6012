"""Page furniture: what a printed page repeats that is not the document's text.

Running headers and footers, page numbers, a print shop's slug ("4TH PASS PAGES",
"14773_01_1-174_r9jm.qxd 2/10/04 3:51 PM Page 15"), a typesetting line ("VerDate
Sep<11>2014 ... Jkt 250001 ...") and line numbers in the margin are recognised per
document, on each page's lines before paragraphs are rebuilt, and left out:

- Margin numbering: a run of at least MARGIN_RUN lines, one after the other, that are
  bare small integers counting up by one (a few stray non-digit characters before the
  number are allowed: crop marks glue "Po17", "S32" onto them) is dropped. A run of
  lines that start (or end) with such a counting number has the number cut off and
  keeps its text.
- Recurring edge lines: a line is reduced to a key (digits replaced by "#", case and
  spaces folded). A key that occurs among the first or last EDGE lines of at least
  min(REPEAT_PAGES, pages) pages (and of two pages at least) is furniture; its lines
  are dropped from the edges of every page, and the edges are looked at again after
  each drop, so a stack of furniture (page number, slug, pass line) goes as a whole.
  A long furniture key with a number in it (a slug, a dated running head) is also cut
  out of an edge line it was glued to ("Acknowledgments 14773_00_i-xviii_r9jm.qxd
  2/10/04 3:46 PM Page xi"). Furniture on the edges of half the pages or more (and with
  letters in it: not a bare page number) is taken out wherever it stands on a page.
  Otherwise only edge lines go: body text repeated in the middle of a page stays, and a line that
  recurs on fewer pages (a heading quoted once more) is kept.
- OCR reads a running header a little differently on each page ("THE RIVER WAR" as
  "THE R1VER WAR", "THE RIVER VVAR"): keys are also compared fuzzily (``fuzzy_canon``:
  their letters only, case folded, alike when difflib's ratio reaches FUZZY_RATIO), so the
  variants of one header count as one key for the page counts above.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from difflib import SequenceMatcher

EDGE = 3              # lines at the top and at the bottom of a page looked at
REPEAT_PAGES = 3      # pages a recurring edge line must be on to count as furniture
MARGIN_RUN = 5        # consecutive counting lines that make a margin numbering
MAX_MARGIN = 200      # line numbers in a margin stay below this

_BARE = re.compile(r"^[^\d\s]{0,3}(\d{1,3})$")
_LEADING = re.compile(r"^(\d{1,3})\s+(\S.*)$")
_TRAILING = re.compile(r"^(.*\S)\s+(\d{1,3})$")
_ROMAN = re.compile(r"m{0,4}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})")
_WORDS = re.compile(r"\d+|\b[mdclxvi]+\b", re.IGNORECASE)
_NUMBER = r"(?:\d+|[mdclxvi]+)"
PART_MIN = 12         # a furniture key this long, with a number in it, is cut out of a line
_FLOWS = (",", ";", "-", "‐")   # a line ending so goes on in the next one: body text
FUZZY_MIN = 6         # keys with fewer letters than this are only compared exactly
FUZZY_RATIO = 0.8     # difflib ratio of two keys' letters that makes them one key
FUZZY_MAX = 200       # keys with more letters than this are only compared exactly: no header is so long
FUZZY_SHARE = 0.3     # keys of FUZZY_SHARE_FROM trigrams or more are compared when they share this part
FUZZY_SHARE_FROM = 18  # of the fewer trigrams of the two (body lines of a book share only common ones)
_FUZZY_POSTING = 64   # trigrams shared by more representatives than this are not looked up


def key(line: str) -> str:
    """A line as compared across pages: numbers (digits, roman page numbers) as "#",
    case and spaces folded."""
    return " ".join(_WORDS.sub(_number, line).lower().split())


def _number(match: re.Match[str]) -> str:
    word = match.group()
    return "#" if word[0].isdigit() or _ROMAN.fullmatch(word.lower()) else word


def _part_pattern(furniture_key: str) -> re.Pattern[str]:
    """The raw text a long furniture key stands for, inside a longer line."""
    parts = [re.escape(word).replace("\\#", "#").replace("#", _NUMBER) for word in furniture_key.split()]
    return re.compile(r"(?:^|(?<=\s))" + r"\s+".join(parts) + r"(?=\s|$)", re.IGNORECASE)


def letters(text: str) -> str:
    """The letters of a text, case folded: what survives OCR's misreadings of spacing,
    digits and punctuation."""
    return "".join(c for c in text.casefold() if c.isalpha())


def fuzzy_canon(keys: Iterable[str]) -> dict[str, str]:
    """Each key mapped to the first key (in sorted order) it nearly equals: the same
    letters, or letters alike to FUZZY_RATIO (difflib) when both have FUZZY_MIN letters
    or more (and at most FUZZY_MAX). Candidates are found through shared letter trigrams, so
    a book's thousands of distinct edge lines are not compared pairwise, and long ones are
    compared only when they share enough of their trigrams (FUZZY_SHARE): over the shared
    corpus's 149 PDFs that left every page's lines as they were, in a fifth of the time."""
    out: dict[str, str] = {}
    by_letters: dict[str, str] = {}
    reps: list[tuple[str, str, int]] = []            # (letters, key, its distinct trigrams)
    postings: dict[str, list[int]] = defaultdict(list)
    for k in sorted(set(keys)):
        lk = letters(k)
        if lk in by_letters:
            out[k] = by_letters[lk]
            continue
        out[k] = by_letters[lk] = k
        if not FUZZY_MIN <= len(lk) <= FUZZY_MAX:
            continue
        grams = {lk[i:i + 3] for i in range(len(lk) - 2)}
        shared: Counter[int] = Counter()
        for g in grams:
            posting = postings.get(g, ())
            if len(posting) <= _FUZZY_POSTING:
                shared.update(posting)
        for rep, n in shared.most_common(8):
            rl, rk, rep_grams = reps[rep]
            fewer = min(rep_grams, len(grams))
            if fewer >= FUZZY_SHARE_FROM and n < FUZZY_SHARE * fewer:
                continue
            if _alike(rl, lk):
                out[k] = by_letters[lk] = rk
                break
        else:
            for g in grams:
                postings[g].append(len(reps))
            reps.append((lk, k, len(grams)))
    return out


def _alike(a: str, b: str) -> bool:
    """difflib's ratio of the two reaches FUZZY_RATIO; its cheap upper bounds are asked first."""
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return (matcher.real_quick_ratio() >= FUZZY_RATIO and matcher.quick_ratio() >= FUZZY_RATIO
            and matcher.ratio() >= FUZZY_RATIO)


def strip_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Each page's lines without margin numbering and recurring headers and footers.
    Empty lines are kept where they are (they separate paragraphs)."""
    pages = [_drop_margin_numbers(lines) for lines in pages]
    furniture = _recurring(pages)
    if not furniture:
        return pages
    parts = [_part_pattern(k) for k in sorted(furniture) if len(k) >= PART_MIN and "#" in k]
    strong = _strong(pages, furniture)
    strong_parts = [_part_pattern(k) for k in sorted(strong) if len(k) >= PART_MIN and "#" in k]
    stripped = [_peel(_drop_strong(lines, strong, strong_parts), furniture, parts) for lines in pages]
    if not any(line.strip() for lines in stripped for line in lines):
        return pages   # every line "recurred": pages alike (a form printed twice), not furniture
    return stripped


# -- margin numbering ------------------------------------------------------------------
def _drop_margin_numbers(lines: list[str]) -> list[str]:
    out = list(lines)
    drop: set[int] = set()
    for start, end in _runs(out, _BARE):
        drop.update(range(start, end))
    for pattern, text_group in ((_LEADING, 2), (_TRAILING, 1)):
        for start, end in _runs(out, pattern):
            for i in range(start, end):
                if i not in drop:
                    match = pattern.match(out[i].strip())
                    if match:
                        out[i] = match.group(text_group)
    return [line for i, line in enumerate(out) if i not in drop]


def _runs(lines: list[str], pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """[start, end) index ranges of non-empty lines whose number (the pattern's number
    group) counts up by one, at least MARGIN_RUN long. Empty lines inside a run are
    allowed."""
    group = 1 if pattern is not _TRAILING else 2
    runs: list[tuple[int, int]] = []
    start = last_index = -1
    last_value = -10
    length = 0
    for i, line in enumerate(lines):
        text = line.strip()
        if not text:
            continue
        match = pattern.match(text)
        value = int(match.group(group)) if match else None
        if value is not None and value < MAX_MARGIN and value == last_value + 1 and length:
            length += 1
            last_index, last_value = i, value
            continue
        if length >= MARGIN_RUN:
            runs.append((start, last_index + 1))
        if value is not None and value < MAX_MARGIN:
            start = last_index = i
            last_value, length = value, 1
        else:
            length, last_value = 0, -10
    if length >= MARGIN_RUN:
        runs.append((start, last_index + 1))
    return runs


# -- recurring headers and footers -----------------------------------------------------
def _edges(lines: list[str]) -> list[int]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if len(filled) <= 2 * EDGE:
        return filled
    return filled[:EDGE] + filled[-EDGE:]


def _recurring(pages: list[list[str]]) -> set[str]:
    """Keys found, round after round, on the outermost line left at the top or the
    bottom of enough pages; a line that goes on in the next one (ends with a comma, a
    hyphen) does not count: it is body text whatever its number."""
    if len(pages) < 2:
        return set()
    need = max(2, min(REPEAT_PAGES, len(pages)))
    filled = [[line for line in lines if line.strip()] for lines in pages]
    reach = 2 * EDGE
    canon = fuzzy_canon(key(line) for lines in filled for line in lines[:reach] + lines[-reach:])
    ends = [[0, len(lines) - 1] for lines in filled]
    found_reps: set[str] = set()

    def rep(line: str) -> str:
        k = key(line)
        return canon.get(k, k)

    for _ in range(reach):
        counts: Counter[str] = Counter()
        for lines, (top, bottom) in zip(filled, ends, strict=True):
            found = {rep(lines[i]) for i in {top, bottom} if top <= i <= bottom
                     and not lines[i].endswith(_FLOWS)}
            counts.update(found)
        new = {k for k, n in counts.items() if n >= need and k} - found_reps
        if not new:
            break
        found_reps |= new
        for lines, span in zip(filled, ends, strict=True):
            while span[0] <= span[1] and rep(lines[span[0]]) in found_reps:
                span[0] += 1
            while span[0] <= span[1] and rep(lines[span[1]]) in found_reps:
                span[1] -= 1
    # every spelling of a furniture key is furniture
    return {k for k, r in canon.items() if r in found_reps} | found_reps


def _strong(pages: list[list[str]], furniture: set[str]) -> set[str]:
    """Furniture on the edges of at least half the pages, with letters in it: taken out
    wherever it is on a page (pypdf sometimes puts the slug in the middle)."""
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({key(lines[i]) for i in _edges(lines)} & furniture)
    need = max(REPEAT_PAGES, len(pages) / 2)
    return {k for k, n in counts.items() if n >= need and any(c.isalpha() for c in k)}


def _drop_strong(lines: list[str], strong: set[str], parts: list[re.Pattern[str]]) -> list[str]:
    if not strong:
        return lines
    out: list[str] = []
    for line in lines:
        rest = line
        for pattern in parts:
            rest = pattern.sub(" ", rest)
        rest = " ".join(rest.split())
        if line.strip() and (not rest or key(rest) in strong):
            continue
        out.append(rest if line.strip() else line)
    return out


def _peel(lines: list[str], furniture: set[str], parts: list[re.Pattern[str]]) -> list[str]:
    lines = list(lines)
    while True:
        changed = False
        for i in reversed(_edges(lines)):
            rest = lines[i]
            for pattern in parts:
                rest = pattern.sub(" ", rest)
            rest = " ".join(rest.split())
            if not rest or key(rest) in furniture:
                del lines[i]
                changed = True
            elif rest != lines[i]:
                lines[i] = rest
                changed = True
        if not changed:
            return lines
