"""A folder of hostile and odd files, made on the spot, each with what must become of it.

``make_hostile_folder(base)`` writes ``base/chosen`` (the folder a user adds) and
``base/outside`` (a place the links lead to, which must never be read), and returns the
expectations: for each file its name (bytes: file names are bytes), the final status
the library must give it (None: the file must not become a document at all), and a
codeword that a keyword search must find (``findable``) or must never find.
"""

from __future__ import annotations

import io
import os
import socket
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

DOCX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)
W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


@dataclass
class Expect:
    name: bytes                 # path below the chosen folder, as bytes
    status: str | None          # final document status, or None: never a document
    codeword: str               # a word written in the file
    findable: bool              # must a keyword search find the codeword?
    what: str                   # what the file is, for failure messages


def _docx(document_xml: str | bytes, extra_prolog: str = "") -> bytes:
    body = document_xml.encode("utf-8") if isinstance(document_xml, str) else document_xml
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", DOCX_CONTENT_TYPES)
        z.writestr("_rels/.rels", DOCX_RELS)
        z.writestr("word/document.xml", extra_prolog.encode("utf-8") + body)
    return buf.getvalue()


def _para(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def _document(*paras: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><w:document {W_NS}><w:body>{"".join(paras)}</w:body></w:document>'


def _zip_bomb_docx(codeword: str) -> bytes:
    """A .docx whose document.xml inflates from ~1 MB to ~1 GB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", DOCX_CONTENT_TYPES)
        z.writestr("_rels/.rels", DOCX_RELS)
        head = f'<?xml version="1.0"?><w:document {W_NS}><w:body>{_para(codeword)}'
        with z.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(head.encode())
            block = _para("a").encode() * 32768
            for _ in range(1024 * 1024 * 1024 // len(block)):
                fh.write(block)
            fh.write(b"</w:body></w:document>")
    return buf.getvalue()


def _pdf(objects: list[bytes]) -> bytes:
    """A PDF from numbered object bodies (1-based), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _text_pdf(text: str, stream: bytes | None = None, flate: bool = False) -> bytes:
    content = stream if stream is not None else f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    if flate:
        content = zlib.compress(content, 9)
    filt = b" /Filter /FlateDecode" if flate else b""
    return _pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + filt + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def _flate_bomb_pdf(codeword: str) -> bytes:
    """A PDF page whose content stream inflates from ~1 MB to ~1 GB of operators."""
    head = f"BT /F1 12 Tf 72 720 Td ({codeword}) Tj ET\n".encode()
    comp = zlib.compressobj(9)
    parts = [comp.compress(head)]
    chunk = b"q Q " * 262144
    for _ in range(1024 * 1024 * 1024 // len(chunk)):
        parts.append(comp.compress(chunk))
    parts.append(comp.flush())
    return _text_pdf("", stream=b"".join(parts), flate=False).replace(
        b"/Length", b"/Filter /FlateDecode /Length", 1)


def make_hostile_folder(base: Path) -> tuple[Path, Path, list[Expect]]:
    chosen = base / "chosen"
    outside = base / "outside"
    chosen.mkdir(parents=True)
    outside.mkdir(parents=True)
    cb = os.fsencode(chosen)
    expects: list[Expect] = []

    def put(name: bytes, data: bytes, status: str | None, codeword: str, findable: bool, what: str) -> None:
        path = cb + b"/" + name
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        expects.append(Expect(name, status, codeword, findable, what))

    def note(codeword: str, extra: str = "") -> bytes:
        return f"A plain note about harbours and tides. The codeword is {codeword}. {extra}\n".encode()

    # -- names: every byte but / and NUL is allowed ------------------------------------
    put(b"caf\xe9 latin1.txt", note("zqlatinname"), "indexed", "zqlatinname", True,
        "a Latin-1 (not UTF-8) file name")
    put(b"\xff\xfe broken \x80 bytes.md", note("zqbrokenbytes"), "indexed", "zqbrokenbytes", True,
        "a name with bytes that are never UTF-8")
    put(b"line\nbreak.txt", note("zqnewline"), "indexed", "zqnewline", True, "a newline in the name")
    put(b"tab\there.md", note("zqtabname"), "indexed", "zqtabname", True, "a tab in the name")
    put(b"n" * 251 + b".txt", note("zqlongname"), "indexed", "zqlongname", True, "a 255-byte name")
    put("emoji \U0001f4da notes \u2728.md".encode(), note("zqemojiname"), "indexed", "zqemojiname", True,
        "emoji in the name")
    put(b"$(touch pwned); `id` & 'q' \"d\" | * ? [x] ;.txt", note("zqshellname"), "indexed",
        "zqshellname", True, "shell metacharacters in the name")
    put(b"dir \xe9t\xe9/inner.txt", note("zqlatindir"), "indexed", "zqlatindir", True,
        "a file in a folder whose name is not UTF-8")
    put("\u202eevil\u202dgnp.txt".encode(), note("zqbidiname"), "indexed", "zqbidiname", True,
        "right-to-left override characters in the name")

    # -- links -----------------------------------------------------------------------
    (outside / "secret.txt").write_text("Outside secret: zqoutsidesecret must never be read.\n")
    (outside / "docs").mkdir()
    (outside / "docs" / "far.md").write_text("Far away: zqoutsidedir must never be read.\n")
    os.symlink(outside / "secret.txt", chosen / "link-to-secret.txt")
    expects.append(Expect(b"link-to-secret.txt", None, "zqoutsidesecret", False, "a link to a file outside"))
    os.symlink(outside / "docs", chosen / "link-to-outside-dir")
    expects.append(Expect(b"link-to-outside-dir/far.md", None, "zqoutsidedir", False,
                          "a link to a folder outside"))
    os.symlink("/etc/passwd", chosen / "passwd.txt")
    expects.append(Expect(b"passwd.txt", None, "root:x:0:0", False, "a link to /etc/passwd"))
    put(b"real/inside.md", note("zqinsidelink"), "indexed", "zqinsidelink", True,
        "a file that a link inside the folder also reaches")
    os.symlink(chosen / "real" / "inside.md", chosen / "alias.md")
    expects.append(Expect(b"alias.md", None, "zqinsidelink", True, "a second name (link) for a file inside"))
    os.symlink(chosen, chosen / "real" / "loop")
    os.symlink("loop2", chosen / "loop1")
    os.symlink("loop1", chosen / "loop2")
    os.symlink(chosen / "does-not-exist.txt", chosen / "dangling.txt")
    expects.append(Expect(b"dangling.txt", None, "", False, "a dangling link"))

    # -- special files: never opened, never block ----------------------------------------
    os.mkfifo(chosen / "pipe.txt")
    expects.append(Expect(b"pipe.txt", None, "", False, "a FIFO"))
    sock_path = os.fsencode(chosen / "sock.md")
    if len(sock_path) < 100:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(sock_path)
        s.close()
        expects.append(Expect(b"sock.md", None, "", False, "a socket"))

    # -- bombs and parser traps -----------------------------------------------------------
    put(b"zipbomb.docx", _zip_bomb_docx("zqzipbomb"), "error", "zqzipbomb", False,
        "a .docx that inflates to 1 GB")
    put(b"flatebomb.pdf", _flate_bomb_pdf("zqflatebomb"), "error", "zqflatebomb", False,
        "a PDF stream that inflates to 1 GB")
    laughs = ('<!DOCTYPE lolz [<!ENTITY lol "zqlaugh zqlaugh zqlaugh zqlaugh zqlaugh">'
              + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">'
                        for i in range(1, 10)) + "]>")
    put(b"laughs.docx", _docx(_document(_para("Billion laughs zqlaughbody &lol9;")).replace(
        '<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="UTF-8"?>' + laughs)),
        "error", "zqlaugh", False, "entity expansion (billion laughs) in a .docx")
    secret_uri = (outside / "secret.txt").as_uri()
    put(b"xxe.docx", _docx(_document(_para("External entity zqxxebody &xxe;")).replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "{secret_uri}">]>')),
        "indexed", "zqoutsidesecret", False, "an external entity pointing outside (XXE): read, never resolved")
    deep = "<w:sdt><w:sdtContent>" * 5000 + _para("zqdeepnest") + "</w:sdtContent></w:sdt>" * 5000
    put(b"deep.docx", _docx(_document(deep)), "error", "zqdeepnest", False, "XML nested 5,000 deep")
    put(b"deep.md", ("> " * 20000 + "quoted zqdeepquote\n").encode(), "indexed", "zqdeepquote", True,
        "Markdown quotes nested 20,000 deep")

    # -- truncated, mislabelled, empty ---------------------------------------------------
    good_pdf = _text_pdf("Harbour pilots zqgoodpdf board at dawn")
    put(b"good.pdf", good_pdf, "indexed", "zqgoodpdf", True, "a small valid PDF (control)")
    put(b"truncated.pdf", _text_pdf("Truncated zqtruncpdf pages")[:60], "error", "zqtruncpdf", False,
        "a PDF cut off after 60 bytes")
    put(b"truncated.docx", _docx(_document(_para("zqtruncdocx")))[:200], "error", "zqtruncdocx", False,
        "a .docx cut off after 200 bytes")
    put(b"image.pdf", b"\x89PNG\r\n\x1a\n" + os.urandom(2000), "error", "", False, "a PNG named .pdf")
    put(b"text.docx", note("zqtextdocx"), "error", "zqtextdocx", False, "plain text named .docx")
    put(b"empty.txt", b"", "no_text", "", False, "an empty file")
    put(b"blank.md", b"  \n\t\n \r\n   \n", "no_text", "", False, "a file of white space")
    put(b"nul.txt", b"\x00" * 4096, "no_text", "", False, "a file of NUL bytes")
    put(b"oneline.txt", b"zqhugeline " + b"word " * 400_000 + b"zqhugelineend", "indexed", "zqhugelineend",
        True, "a 2 MB file on one line")

    # -- odd encodings ---------------------------------------------------------------------
    put(b"utf16.txt", "UTF-16 text with a BOM: zqutfsixteen caf\u00e9\n".encode("utf-16"), "indexed",
        "zqutfsixteen", True, "UTF-16 with a byte-order mark")
    put(b"latin1-content.txt", "Latin-1 text: zqlatintext caf\u00e9 na\u00efve\n".encode("latin-1"),
        "indexed", "zqlatintext", True, "Latin-1 text")
    put(b"cp1252.md", "Smart \u201cquotes\u201d zqcpquotes \u2014 dash\n".encode("cp1252"), "indexed",
        "zqcpquotes", True, "Windows-1252 text")
    put(b"bad-utf8.txt", b"valid start zqbadutf \xc3\x28 \xa0\xa1 \xf0\x28\x8c\x28 end\n", "indexed",
        "zqbadutf", True, "invalid UTF-8 sequences in the text")
    return chosen, outside, expects
