"""Sample files of the formats added with OCR (.pptx, .epub, .html, .odt, .rtf), made on
the spot: a good one per format carrying a unique phrase, and hostile ones (zip bombs,
entity expansion, truncated archives) with the codeword that must never be indexed."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

# A unique phrase per format: found by keyword (its codeword) and by meaning.
PHRASES = {
    ".pptx": ("zqslidecode", "Lighthouse keepers zqslidecode trim the lamp wicks every evening"),
    ".epub": ("zqbookcode", "The orchard zqbookcode apples ripen slowly in the cool autumn air"),
    ".html": ("zqwebcode", "Mountain goats zqwebcode climb steep cliffs to lick mineral salt"),
    ".odt": ("zqodtcode", "The baker zqodtcode kneads sourdough before sunrise every morning"),
    ".rtf": ("zqrtfcode", "Glaciers zqrtfcode carve deep valleys over thousands of years"),
}

LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "zqlaugh zqlaugh zqlaugh zqlaugh zqlaugh">'
          + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">'
                    for i in range(1, 10)) + "]>")


def make_pptx(path: Path, phrase: str) -> Path:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])
    first.shapes.title.text = "Opening the season"
    first.placeholders[1].text = "Boats return to the harbour\nNets are mended"
    second = deck.slides.add_slide(deck.slide_layouts[1])
    second.shapes.title.text = "Keeping the light"
    second.placeholders[1].text = phrase
    table = second.shapes.add_table(2, 2, Inches(1), Inches(5), Inches(4), Inches(1)).table
    for r, row in enumerate([("Lamp", "Oil"), ("North", "12 litres")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    second.notes_slide.notes_text_frame.text = "Speaker notes: mention zqnotescode storms"
    deck.save(path)
    return path


def _zip(members: dict[str, bytes | str], stored_first: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if stored_first:
            z.writestr(zipfile.ZipInfo(stored_first), members.pop(stored_first), zipfile.ZIP_STORED)
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _xhtml(title: str, body: str, prolog: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>{title}</title><style>p {{ color: zqstylecode }}</style></head>"
            f"<body>{body}<script>var zqscriptcode = 1;</script></body></html>")


def epub_bytes(phrase: str, chapter_two: str | None = None) -> bytes:
    container = ('<?xml version="1.0"?><container version="1.0" '
                 'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
                 '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
                 "</rootfiles></container>")
    opf = ('<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
           '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Seasons of the Orchard</dc:title>'
           '</metadata><manifest>'
           '<item id="c2" href="text/two.xhtml" media-type="application/xhtml+xml"/>'
           '<item id="c1" href="text/one.xhtml" media-type="application/xhtml+xml"/>'
           '</manifest><spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>')
    one = _xhtml("One", "<h1>Spring</h1><p>Blossom covers the branches.</p>")
    two = chapter_two or _xhtml("Two", f"<h1>Autumn</h1><p>{phrase}</p>")
    return _zip({"mimetype": "application/epub+zip", "META-INF/container.xml": container,
                 "OEBPS/content.opf": opf, "OEBPS/text/one.xhtml": one, "OEBPS/text/two.xhtml": two},
                stored_first="mimetype")


def make_epub(path: Path, phrase: str) -> Path:
    path.write_bytes(epub_bytes(phrase))
    return path


def make_html(path: Path, phrase: str) -> Path:
    path.write_text(
        "<!DOCTYPE html><html><head><title>Alpine notes</title>"
        "<style>body { font-family: zqstylecode; }</style>"
        "<script>document.write('zqscriptcode');</script></head><body>"
        "<h1>Wildlife</h1><h2>Goats</h2>"
        f"<p>{phrase}</p>"
        "<div hidden>zqhiddencode one</div><p style=\"display:none\">zqhiddencode two</p>"
        "<table><tr><th>Peak</th><th>Height</th></tr><tr><td>Eiger</td><td>3967 m</td></tr></table>"
        "<script type=\"text/javascript\">var zqscriptcode = 2;</script></body></html>",
        encoding="utf-8")
    return path


_ODT_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"')


def odt_bytes(body: str, prolog: str = "") -> bytes:
    content = (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<office:document-content {_ODT_NS}>'
               f"<office:body><office:text>{body}</office:text></office:body></office:document-content>")
    return _zip({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": content},
                stored_first="mimetype")


def make_odt(path: Path, phrase: str) -> Path:
    body = ('<text:h text:outline-level="1">Bakery</text:h>'
            f"<text:p>{phrase}</text:p>"
            "<table:table><table:table-row><table:table-cell><text:p>Loaf</text:p></table:table-cell>"
            "<table:table-cell><text:p>Rye</text:p></table:table-cell></table:table-row></table:table>"
            "<text:p>Ovens<text:s text:c=\"2\"/>are hot.</text:p>")
    path.write_bytes(odt_bytes(body))
    return path


def make_rtf(path: Path, phrase: str) -> Path:
    path.write_bytes(("{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Times;}}"
                      "{\\info{\\title Ice ages}}"
                      "\\pard Ice shapes the land.\\par\n"
                      f"\\pard {phrase}\\par\n"
                      "\\pard Caf\\'e9 na\\u239?ve\\par}").encode("ascii"))
    return path


MAKERS = {".pptx": make_pptx, ".epub": make_epub, ".html": make_html, ".odt": make_odt, ".rtf": make_rtf}


@dataclass
class Hostile:
    name: str
    data: bytes
    codeword: str          # must never be indexed
    what: str


def _bomb_member(name: str, head: str, fill: bytes, size: int) -> bytes:
    """A zip whose member ``name`` inflates to about ``size`` bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open(name, "w", force_zip64=True) as fh:
            fh.write(head.encode())
            block = fill * ((1 << 20) // len(fill))
            for _ in range(size // len(block)):
                fh.write(block)
    return buf.getvalue()


def hostile_samples(tmp: Path) -> list[Hostile]:
    good_pptx = make_pptx(tmp / "source.pptx", "Truncated zqtruncpptx deck").read_bytes()
    samples = [
        Hostile("bomb.pptx", _bomb_member("ppt/slides/slide1.xml", "<p>zqbombpptx", b"<a/>", 1 << 28),
                "zqbombpptx", "a .pptx whose slide inflates to 256 MB"),
        Hostile("truncated.pptx", good_pptx[: len(good_pptx) // 2], "zqtruncpptx", "a .pptx cut in half"),
        Hostile("laughs.pptx", _laughs_pptx(good_pptx), "zqlaugh", "entity expansion in a .pptx part"),
        Hostile("bomb.epub", _bomb_member("OEBPS/one.xhtml", "<p>zqbombepub", b"<p>a</p>", 1 << 28),
                "zqbombepub", "an .epub whose chapter inflates to 256 MB"),
        Hostile("laughs.epub", epub_bytes("x", _xhtml("Two", "<p>zqbodyepub &lol9;</p>", LAUGHS)),
                "zqlaugh", "entity expansion in an .epub chapter"),
        Hostile("truncated.epub", epub_bytes("zqtruncepub words")[:300], "zqtruncepub", "an .epub cut off"),
        Hostile("bomb.odt", _bomb_member("content.xml", "<p>zqbombodt", b"<a/>", 1 << 28),
                "zqbombodt", "an .odt whose content.xml inflates to 256 MB"),
        Hostile("laughs.odt", odt_bytes("<text:p>zqbodyodt &lol9;</text:p>", LAUGHS),
                "zqlaugh", "entity expansion in an .odt"),
        Hostile("truncated.odt", odt_bytes("<text:p>zqtruncodt</text:p>")[:150], "zqtruncodt",
                "an .odt cut off"),
        Hostile("laughs.html", (LAUGHS + "<html><body><p>zqbodyhtml &lol9;</p></body></html>").encode(),
                "zqlaugh", "entity declarations in a web page"),
        Hostile("deep.html", ("<div>" * 100_000 + "zqdeephtml" + "</div>" * 100_000).encode(),
                "", "a web page nested 100,000 deep"),
        Hostile("truncated.rtf", b"{\\rtf1\\ansi{\\fonttbl{\\f0 Times;}} zqtruncrtf words \\par {\\b unclosed",
                "", "an RTF file whose groups never close"),
        Hostile("deep.rtf", b"{\\rtf1 " + b"{" * 200_000 + b"zqdeeprtf" + b"}" * 200_000 + b"}",
                "", "RTF groups nested 200,000 deep"),
        Hostile("notrtf.rtf", b"PK\x03\x04 zqnotrtf garbage", "zqnotrtf", "a zip named .rtf"),
    ]
    return samples


def _laughs_pptx(good: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(good))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "ppt/slides/slide1.xml":
                text = data.decode("utf-8")
                text = text.replace("?>", "?>" + LAUGHS, 1).replace("Opening the season", "zqlaugh &lol9;")
                data = text.encode("utf-8")
            z.writestr(info, data)
    return buf.getvalue()
