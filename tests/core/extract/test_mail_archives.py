"""Mail (.eml, mbox, .msg) and archives (.zip, .tar.gz) read as containers of documents,
with the hostile cases of issue 28: each ends with a status and a reason a person reads,
and nothing is written outside the private temporary folder."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

from core.extract import extract
from core.extract.containers import MAX_DEPTH
from core.extract.isolated import IsolatedExtractor
from core.extract.mail import MAX_ATTACHMENTS
from core.extract.mbox import iter_mbox, looks_like_mbox
from core.index.skip import should_skip
from tests.mail_files import (
    docx_bytes,
    mbox_bytes,
    message,
    pdf_bytes,
    tar_gz_bytes,
    write_eml,
    zip_bomb,
    zip_bytes,
)


def _by_name(result):
    return {m.names: m for m in result.members}


def test_eml_encoded_subject_latin1_body_quotes_kept_apart(tmp_path):
    msg = message("=?utf-8?q?R=C3=A9union_=E2=80=93_caf=C3=A9?=",
                  "Nous prenons un café à Zürich.\n\nOn Mon, 1 Dec 2026, Bob wrote:\n> the quoted zqoldline\n"
                  "> more quoted\n", charset="latin-1")
    raw = bytes(msg)
    assert b"caf\xe9" in raw or b"=E9" in raw           # really encoded in latin-1
    result = extract(write_eml(tmp_path / "a.eml", msg))
    assert result.status == "indexed"
    assert result.title == "Réunion – café"
    assert [b.text for b in result.blocks] == ["Nous prenons un café à Zürich."]
    assert result.mail is not None and result.mail.sender == "Alice Example <alice@example.org>"
    assert result.mail.recipients == "bob@example.org" and result.mail.sent_at == 1796454000.0


def test_eml_shift_jis_body_and_outlook_original_message(tmp_path):
    body = "会議は明日です。\n\n-----Original Message-----\nFrom: Bob\n前のメッセージ zqold\n"
    result = extract(write_eml(tmp_path / "j.eml", message("予定", body, charset="shift_jis")))
    assert result.status == "indexed" and result.title == "予定"
    assert [b.text for b in result.blocks] == ["会議は明日です。"]


def test_undeclared_charset_falls_back(tmp_path):
    raw = (b"Subject: plain\nFrom: a@x.org\nContent-Type: text/plain\n\n"
           b"Gr\xfc\xdfe aus M\xfcnchen\n")
    result = extract(_write(tmp_path / "u.eml", raw))
    assert result.status == "indexed" and result.blocks[0].text == "Grüße aus München"


def test_attached_pdf_and_docx_are_documents_under_the_message(tmp_path):
    msg = message("Reports", "See the attached reports.", attachments=[
        ("report.pdf", pdf_bytes("zqpdfword lighthouse report")),
        ("notes.docx", docx_bytes(tmp_path, "zqdocxword harbour notes")),
        ("tool.exe", b"MZ\x90\x00")])
    result = extract(write_eml(tmp_path / "r.eml", msg))
    members = _by_name(result)
    assert set(members) == {("report.pdf",), ("notes.docx",)}
    assert "zqpdfword" in members[("report.pdf",)].result.blocks[0].text
    assert members[("notes.docx",)].result.blocks[0].text == "zqdocxword harbour notes"
    assert members[("notes.docx",)].result.title == "notes"


def test_thousand_attachments_end_with_a_reason(tmp_path):
    atts = [(f"part{i}.txt", f"attachment number {i}".encode()) for i in range(1000)]
    result = extract(write_eml(tmp_path / "many.eml", message("Many", "Body text here.", attachments=atts)))
    assert result.status == "indexed"
    assert len(result.members) == MAX_ATTACHMENTS
    assert f"800 more attachments not read (at most {MAX_ATTACHMENTS} per message)" in result.error


def test_malformed_mime_is_reported_on_the_message_not_fatal(tmp_path):
    raw = (b"Subject: broken\nFrom: a@x.org\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/mixed; boundary=\"XX\"\n\n"
           b"--XX\nContent-Type: text/plain\n\nThe readable part zqreadable.\n"
           b"--XX\nContent-Type: application/pdf; name=\"x.pdf\"\nContent-Transfer-Encoding: base64\n"
           b"Content-Disposition: attachment; filename=\"x.pdf\"\n\n!!!not base64 at all###\n")   # no closing boundary
    result = extract(_write(tmp_path / "b.eml", raw))
    assert result.status == "indexed" and "zqreadable" in result.blocks[0].text
    assert result.error and "damaged" in result.error
    assert all(m.result.status in ("error", "no_text") and m.result.error for m in result.members)


def test_mbox_without_blank_line_before_from(tmp_path):
    msgs = [message(f"Subject {i}", f"Body of message {i} zqbody{i}.") for i in range(3)]
    path = _write(tmp_path / "Inbox", mbox_bytes(msgs, blank_before_from=False))
    assert looks_like_mbox(path) and not should_skip(path, tmp_path)
    result = extract(path)
    assert result.status == "indexed" and result.pages == 3
    names = _by_name(result)
    assert [names[(f"message {i}",)].result.title for i in (1, 2, 3)] == ["Subject 0", "Subject 1", "Subject 2"]
    assert names[("message 2",)].result.blocks[0].text == "Body of message 1 zqbody1."


def test_mbox_is_streamed_and_read_from_an_offset(tmp_path):
    msgs = [message(f"S{i}", f"text {i} >From here") for i in range(5)]
    path = _write(tmp_path / "box.mbox", mbox_bytes(msgs))
    spans = [(m.start, m.end) for m in iter_mbox(path)]
    assert len(spans) == 5 and spans[0][0] == 0 and spans[-1][1] == path.stat().st_size
    tail = list(iter_mbox(path, spans[3][0]))
    assert [m.start for m in tail] == [spans[3][0], spans[4][0]]


def test_msg_that_is_not_ole(tmp_path):
    result = extract(_write(tmp_path / "fake.msg", b"this is not an outlook file"))
    assert result.status == "error"
    assert result.error == "not an Outlook message (the file is not an OLE compound file)"


def test_zip_members_traversal_links_and_unread_types(tmp_path):
    data = zip_bytes({"dir/b.txt": b"zip member zqzip", "../../etc/passwd": b"root:x", "/abs.txt": b"x",
                      "style.css": b"body{}"})
    outside = tmp_path.parent / "etc" / "passwd"
    before = set(os.listdir(tempfile.gettempdir()))
    result = extract(_write(tmp_path / "a.zip", data))
    members = _by_name(result)
    assert result.status == "indexed" and "1 members of types Likewise does not read (1 .css)" in result.error
    assert members[("dir/b.txt",)].result.blocks[0].text == "zip member zqzip"
    assert "path traversal" in members[("../../etc/passwd",)].result.error
    assert "absolute member name" in members[("/abs.txt",)].result.error
    assert not outside.exists()
    assert set(os.listdir(tempfile.gettempdir())) - before == set()    # the private folder is gone


def test_zip_bomb_inside_a_zip_is_refused_the_rest_read(tmp_path):
    outer = zip_bytes({"bomb.zip": zip_bomb(100), "ok.txt": b"the readable member"})
    result = extract(_write(tmp_path / "outer.zip", outer))
    members = _by_name(result)
    assert result.status == "indexed"
    assert members[("bomb.zip",)].result.status == "error"
    assert "zip bomb refused" in members[("bomb.zip",)].result.error
    assert members[("ok.txt",)].result.blocks[0].text == "the readable member"


def test_nested_zip_at_and_past_the_depth_limit(tmp_path):
    level3 = zip_bytes({"deep.txt": b"three levels down"})
    level2 = zip_bytes({"inner.zip": level3, "two.txt": b"two levels down"})
    result = extract(_write(tmp_path / "top.zip", zip_bytes({"mid.zip": level2})))
    members = _by_name(result)
    assert MAX_DEPTH == 2
    assert members[("mid.zip", "two.txt")].result.blocks[0].text == "two levels down"
    assert members[("mid.zip",)].result.status == "indexed"
    assert members[("mid.zip", "inner.zip")].result.status == "error"
    assert "nested more than 2 levels" in members[("mid.zip", "inner.zip")].result.error
    assert ("mid.zip", "inner.zip", "deep.txt") not in members


def test_tar_gz_members_links_and_devices(tmp_path):
    data = tar_gz_bytes({"docs/readme.md": b"# Title\n\nTar member zqtar."}, links={"evil": "/etc/shadow"})
    result = extract(_write(tmp_path / "a.tar.gz", data))
    members = _by_name(result)
    assert result.status == "indexed"
    assert [b.text for b in members[("docs/readme.md",)].result.blocks][-1] == "Tar member zqtar."
    assert "a link inside the archive" in members[("evil",)].result.error
    assert "device or special member" in members[("dev/null-device",)].result.error


def test_broken_zip_ends_with_a_reason(tmp_path):
    result = extract(_write(tmp_path / "bad.zip", b"PK\x03\x04 truncated"))
    assert result.status == "error" and "not a readable" in result.error


def test_worker_streams_members_and_restarts_its_clock(tmp_path):
    msgs = [message(f"S{i}", f"text {i}") for i in range(30)]
    path = _write(tmp_path / "box.mbox", mbox_bytes(msgs))
    heard: list = []
    with IsolatedExtractor(timeout_s=30, memory_mb=2048) as ex:
        result = ex.extract(path, member=heard.append)
        assert result.status == "indexed" and result.pages == 30 and result.members == []
        assert [m.names for m in heard] == [(f"message {i}",) for i in range(1, 31)]
        tail = ex.extract(path, start=heard[28].span[0], first=29)
    assert [m.names for m in tail.members] == [("message 29",), ("message 30",)]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_zip_member_names_never_become_paths(tmp_path):
    data = zip_bytes({"a/../../../../tmp/zq-escaped.txt": b"x"})
    extract(_write(tmp_path / "t.zip", data))
    assert not Path("/tmp/zq-escaped.txt").exists()
    with zipfile.ZipFile(tmp_path / "t.zip") as z:
        assert z.namelist() == ["a/../../../../tmp/zq-escaped.txt"]


def test_outlook_msg_subject_sender_date_body_attachment(tmp_path):
    import struct

    from tests.ole_file import write_ole

    def u(s: str) -> bytes:
        return s.encode("utf-16-le")

    submit = struct.pack("<HHIQ", 0x0040, 0x0039, 6, (1796454000 + 11644473600) * 10_000_000)
    path = write_ole(tmp_path / "q.msg", {
        "__substg1.0_0037001F": u("Quarterly figures"),
        "__substg1.0_0C1A001F": u("Erin Example"),
        "__substg1.0_0C1F001F": u("erin@example.org"),
        "__substg1.0_0E04001F": u("Frank"),
        "__substg1.0_1000001F": u("The figures zqmsgword are in.\r\n\r\n-----Original Message-----\r\nold zqold"),
        "__properties_version1.0": b"\0" * 32 + submit,
        "__attach_version1.0_#00000000/__substg1.0_3707001F": u("sheet.txt"),
        "__attach_version1.0_#00000000/__substg1.0_37010102": b"attached zqmsgattach text",
    })
    result = extract(path)
    assert result.status == "indexed" and result.title == "Quarterly figures"
    assert [b.text for b in result.blocks] == ["The figures zqmsgword are in."]
    assert result.mail.sender == "Erin Example <erin@example.org>" and result.mail.recipients == "Frank"
    assert result.mail.sent_at == 1796454000.0
    assert [(m.names, m.result.blocks[0].text) for m in result.members] == [
        (("sheet.txt",), "attached zqmsgattach text")]


def test_file_size_limit_spares_an_mbox_read_message_by_message(tmp_path):
    box = _write(tmp_path / "Inbox", mbox_bytes([message("S", "text")]))
    archive = _write(tmp_path / "a.zip", zip_bytes({"b.txt": b"text"}))
    with IsolatedExtractor(timeout_s=30, memory_mb=2048, max_file_mb=0) as ex:
        assert ex.extract(box).status == "indexed"
        refused = ex.extract(archive)
    assert refused.status == "error" and refused.error.startswith("file too large")


def test_forwarded_message_is_its_own_document_not_the_body(tmp_path):
    inner = message("Original plan", "The inner text zqinner stays in its own message.")
    outer = message("Fwd: plan", "See below.")
    outer.add_attachment(inner)
    result = extract(write_eml(tmp_path / "fwd.eml", outer))
    assert [b.text for b in result.blocks] == ["See below."]
    (member,) = result.members
    assert member.names[0].endswith(".eml") and member.result.title == "Original plan"
    assert member.result.blocks[0].text == "The inner text zqinner stays in its own message."


def test_plain_gz_is_not_read_as_text(tmp_path):
    import gzip

    plain = _write(tmp_path / "notes.gz", gzip.compress(b"hello"))
    assert should_skip(plain, tmp_path)
    assert extract(plain).error == "unsupported file type '.gz' (only .tar.gz archives are read)"
    result = extract(_write(tmp_path / "a.zip", zip_bytes({"x.gz": gzip.compress(b"hi"), "y.txt": b"why"})))
    assert [m.names for m in result.members] == [("y.txt",)] and "(1 .gz)" in result.error


def test_an_mbox_is_read_from_where_it_ended_only_when_it_just_grew(tmp_path):
    import hashlib

    from core.index.containers import grown_from

    first = mbox_bytes([message("A", "one"), message("B", "two")])
    path = _write(tmp_path / "box.mbox", first + mbox_bytes([message("C", "three")]))
    digest = hashlib.sha256(first).hexdigest()
    size = path.stat().st_size
    assert grown_from(str(path), len(first), digest, size) == len(first)
    assert grown_from(str(path), len(first), hashlib.sha256(b"other").hexdigest(), size) is None   # rewritten
    assert grown_from(str(path), len(first) - 3, digest, size) is None       # not at a message start
    _write(path, first + b"more text of the last message\n")
    assert grown_from(str(path), len(first), digest, path.stat().st_size) is None   # no new "From " line
