"""Mail and archive files made for the tests (stdlib email, zipfile, tarfile)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from email.message import EmailMessage
from pathlib import Path


def message(subject: str, body: str, sender: str = "Alice Example <alice@example.org>",
            to: str = "bob@example.org", charset: str = "utf-8",
            attachments: list[tuple[str, bytes]] = ()) -> EmailMessage:  # type: ignore[assignment]
    m = EmailMessage()
    m["Subject"] = subject
    m["From"] = sender
    m["To"] = to
    m["Date"] = "Sat, 05 Dec 2026 07:00:00 +0000"
    m.set_content(body, charset=charset)
    for name, data in attachments:
        m.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return m


def write_eml(path: Path, msg: EmailMessage) -> Path:
    path.write_bytes(bytes(msg))
    return path


def mbox_bytes(messages: list[EmailMessage], blank_before_from: bool = True) -> bytes:
    out = []
    for i, msg in enumerate(messages):
        raw = bytes(msg).replace(b"\r\n", b"\n")
        if not raw.endswith(b"\n"):
            raw += b"\n"
        out.append(f"From sender{i}@example.org Sat Dec  5 07:{i % 60:02d}:00 2026\n".encode() + raw
                   + (b"\n" if blank_before_from else b""))
    return b"".join(out)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def zip_bomb(megabytes: int = 100) -> bytes:
    """One member of zeros that inflates a thousand times over."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("zeros.txt", "w", force_zip64=True) as fh:
            block = b"\0" * (1 << 20)
            for _ in range(megabytes):
                fh.write(block)
    return buf.getvalue()


def tar_gz_bytes(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            t.addfile(info)
        dev = tarfile.TarInfo("dev/null-device")
        dev.type = tarfile.CHRTYPE
        t.addfile(dev)
    return buf.getvalue()


def docx_bytes(tmp: Path, text: str) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph(text)
    target = tmp / "made.docx"
    d.save(str(target))
    return target.read_bytes()


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF with a text layer, written by hand (no PDF writer needed)."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
            b"/Contents 4 0 R >>",
            b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()
