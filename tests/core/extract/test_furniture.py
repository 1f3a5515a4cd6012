"""Page furniture (headers, footers, slugs, page numbers, margin line numbers) is left out
of passages, and body text stays whole (core/extract/furniture.py)."""

from __future__ import annotations

import re

import pytest

from core.extract import ExtractOptions, extract
from core.extract.furniture import key, strip_furniture

_RUN = re.compile(r"\b(\d{1,2})\s+(\d{1,2})\s+(\d{1,2})\b")


def _margin_run(text: str) -> bool:
    """Three small integers counting up by one, side by side: a margin numbering."""
    for m in _RUN.finditer(text):
        a, b, c = (int(g) for g in m.groups())
        if b == a + 1 and c == b + 1:
            return True
    return False


def test_key_folds_numbers_case_and_spaces():
    assert key("47699  Federal Register / Vol. 85") == key("47700 federal register / Vol. 86")
    assert key("Page xvii") == key("Page 12") == "page #"
    assert key("civil") == "civil"          # a word of roman letters is not a number


def test_recurring_header_footer_and_margin_numbers_go_body_repeated_once_stays():
    pages = []
    for n in range(1, 6):
        body = [f"Body line {n} of a paragraph that goes on,", "and ends here."]
        if n in (2, 4):
            body.append("A sentence quoted twice.")
        margin = [str(i) for i in range(1, 8)]
        pages.append(["Journal of Things", *body, *margin, f"book.qxd 2/10/04 3:51 PM Page {n + 10}", str(n)])
    out = strip_furniture(pages)
    for n, lines in enumerate(out, start=1):
        assert lines[0] == f"Body line {n} of a paragraph that goes on,"
        assert "Journal of Things" not in lines
        assert not any(".qxd" in line for line in lines)
        assert not any(line.strip().isdigit() for line in lines)
    assert sum("A sentence quoted twice." in lines for lines in out) == 2


def test_line_numbers_at_line_starts_are_cut_and_text_kept():
    lines = [f"{i} line of a numbered legal text" for i in range(1, 9)]
    out = strip_furniture([lines])
    assert out == [["line of a numbered legal text"] * 8]


def test_body_lines_that_recur_but_flow_on_are_kept():
    pages = [["Header of the journal", f"({n}) In the Operating Procedures chapter,",
              "add the information in the figure."] for n in range(1, 6)]
    out = strip_furniture(pages)
    assert all(lines[0].startswith("(") and lines[0].endswith("chapter,") for lines in out)


def test_short_documents_are_left_alone():
    assert strip_furniture([["1", "2", "3", "Hello"]]) == [["1", "2", "3", "Hello"]]
    assert strip_furniture([]) == []


@pytest.fixture(scope="module")
def freeculture(shared_data):
    return extract(shared_data / "pdf_real/pdfjs/freeculture.pdf", ExtractOptions(ocr=False))


@pytest.fixture(scope="module")
def federal_register(shared_data):
    return extract(shared_data / "pdf_real/pdfplumber/federal-register-2020-17221.pdf", ExtractOptions(ocr=False))


def test_freeculture_has_no_slug_or_margin_numbers_and_keeps_its_body(freeculture):
    texts = [b.text for b in freeculture.blocks]
    assert len(texts) > 500
    assert not [t for t in texts if ".qxd" in t or "PASS PAGES" in t]
    assert not [t for t in texts if _margin_run(t)]
    assert ("Today we are in the middle of another “war” against “piracy.” The Internet has provoked "
            "this war. The Internet makes possible the efficient spread of content. Peer-to-peer (p2p) "
            "file sharing is among the most efficient of the efficient technologies the Internet "
            "enables. Using distributed intelligence, p2p systems facilitate the easy spread of "
            "content in a way unimagined a generation ago.") in texts


def test_federal_register_has_no_verdate_line_and_keeps_its_body(federal_register):
    texts = [b.text for b in federal_register.blocks]
    assert not [t for t in texts if "VerDate" in t or "Jkt 250001" in t or "DSKJLSW7X2PROD" in t]
    assert not [t for t in texts if "Federal Register / Vol. 85" in t]
    assert ("The FAA proposes to add an AOA Disagree checklist as a procedure to the AFM, because the "
            "FAA proposes that the AOA DISAGREE alert be available on the PFDs for all 737 MAX "
            "airplanes. Therefore, this proposed checklist would be used when there is an indication, "
            "such as an AOA DISAGREE alert, that the airplane’s left and right AOA vanes disagree. The "
            "checklist would inform the flightcrew to accomplish the Airspeed Unreliable checklist.") in texts
    # body lines that repeat at page tops ("(4) In the Operating Procedures chapter, ...") stay
    assert sum("In the Operating Procedures chapter" in t for t in texts) >= 5


def _body_line(i: int) -> str:
    """A line of a book's body: common English words in an order of its own."""
    import random

    words = ("the river ran down through a valley of old stone and young grass where people built "
             "their houses near water because land was cheap there after many years of hard work "
             "farmers learned which crops would grow in that soil while traders brought salt iron "
             "cloth and news from cities beyond mountains some families kept sheep others fished "
             "children walked each morning toward school under tall trees").split()
    pick = random.Random(i)
    return " ".join(pick.choice(words) for _ in range(12))


def test_a_running_header_read_differently_on_each_page_is_still_furniture():
    variants = ["THE RIVER WAR", "THE R1VER WAR", "THE RIVER VVAR", "THE RIVER WAR", "THE RlVER WAR"]
    pages = [[variant, "", _body_line(i), _body_line(i + 50), "", f"{i + 1}"]
             for i, variant in enumerate(variants)]
    kept = strip_furniture(pages)
    assert all("RIVER" not in line and "VVAR" not in line for lines in kept for line in lines)
    assert [lines[1] for lines in kept if len(lines) > 1][:2] == [_body_line(0), _body_line(1)]


def test_a_books_long_body_lines_are_not_scored_against_each_other(monkeypatch):
    """A book's edge lines are thousands of distinct body lines that share common trigrams
    ("the", "her"): difflib scores only lines that share enough of theirs, and never lines
    longer than any header (fuzzy matching had made extraction 3x slower)."""
    from core.extract import furniture

    scored = []

    class Counting(furniture.SequenceMatcher):   # type: ignore[misc,name-defined]
        def ratio(self) -> float:
            scored.append(1)
            return super().ratio()

    monkeypatch.setattr(furniture, "SequenceMatcher", Counting)
    lines = [_body_line(i) for i in range(600)]
    long_a = "a heading that never ends " * 12
    canon = furniture.fuzzy_canon(lines + [long_a, long_a.replace("never", "nevr"), "chronicle of kings",
                                           "chr0nicle of kings"])
    assert canon["chr0nicle of kings"] == canon["chronicle of kings"]  # a header's OCR variants: one key
    assert canon[long_a] != canon[long_a.replace("never", "nevr")]    # past FUZZY_MAX: exact only
    assert len({canon[line] for line in lines}) == len(lines)         # body lines stay apart
    assert len(scored) < len(lines)                                   # was 4,762 scores: 8 a line


def test_pages_alike_from_top_to_bottom_are_the_documents_text_not_its_furniture():
    """A form printed twice: every line recurs on every page, and stripping it all would
    leave a document with no text at all ("no extractable text")."""
    page = ["Application for a parking permit", "Name of the applicant", "Street and number",
            "Signature and date"]
    assert strip_furniture([list(page), list(page)]) == [page, page]
    assert strip_furniture([list(page), list(page), list(page)]) == [page, page, page]
