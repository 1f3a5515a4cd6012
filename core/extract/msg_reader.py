"""Outlook .msg files (an OLE compound file of MAPI properties), read with olefile (BSD).

The subject, sender, recipients, body and attachments are MAPI properties stored as
streams named "__substg1.0_<tag><type>" (type 001F: UTF-16 text, 001E: 8-bit text, 0102:
bytes); the submit time is a fixed-size property in "__properties_version1.0". The body
is then read like any mail body (quoted replies kept apart: core/extract/mail.py).
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.extract.archive import Refused
from core.extract.mail import MAX_ATTACHMENTS, MailRead, safe_name, split_quoted
from core.extract.text_reader import decode_bytes
from core.types import INDEXED, NO_TEXT, ExtractResult, MailFacts

_SUBJECT, _BODY, _SENDER_NAME, _SENDER_ADDR, _TO, _CC = "0037", "1000", "0C1A", "0C1F", "0E04", "0E03"
_ATTACH_LONG, _ATTACH_SHORT, _ATTACH_DATA = "3707", "3704", "3701"
_SUBMIT_TIME = 0x0039
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def read_msg(path: Path) -> MailRead:
    import olefile

    if not olefile.isOleFile(str(path)):
        raise Refused("not an Outlook message (the file is not an OLE compound file)")
    with olefile.OleFileIO(str(path)) as ole:
        subject = _text(ole, "", _SUBJECT)
        sender = _text(ole, "", _SENDER_NAME)
        address = _text(ole, "", _SENDER_ADDR)
        if address and address not in sender:
            sender = f"{sender} <{address}>" if sender else address
        recipients = ", ".join(v for v in (_text(ole, "", _TO), _text(ole, "", _CC)) if v)
        body = _text(ole, "", _BODY)
        attachments: list[tuple[str, bytes]] = []
        notes: list[str] = []
        storages = sorted({e[0] for e in ole.listdir(streams=True, storages=False)
                           if len(e) > 1 and e[0].startswith("__attach_version1.0_")})
        for n, storage in enumerate(storages, 1):
            if len(attachments) >= MAX_ATTACHMENTS:
                notes.append(f"{len(storages) - len(attachments):,} more attachments not read "
                             f"(at most {MAX_ATTACHMENTS} per message)")
                break
            data = _stream(ole, storage + "/", _ATTACH_DATA + "0102")
            if data is None:
                notes.append(f"attachment {n} holds no file (an embedded item is not read)")
                continue
            name = _text(ole, storage + "/", _ATTACH_LONG) or _text(ole, storage + "/", _ATTACH_SHORT)
            attachments.append((safe_name(name or f"attachment {n}", ""), data))
        sent_at = _submit_time(ole)
    blocks, quoted = split_quoted(body)
    facts = MailFacts(sender=sender or None, recipients=recipients or None, sent_at=sent_at)
    error = None if blocks else "the message has no text of its own"
    if notes:
        error = "; ".join(([error] if error else []) + notes)
    result = ExtractResult(status=INDEXED if blocks else NO_TEXT, blocks=blocks, title=subject or path.stem,
                           error=error, mail=facts, notes=notes)
    return MailRead(result, attachments, quoted)


def _stream(ole, prefix: str, tag_type: str) -> bytes | None:
    name = f"{prefix}__substg1.0_{tag_type}"
    if not ole.exists(name):
        return None
    return ole.openstream(name).read()


def _text(ole, prefix: str, tag: str) -> str:
    data = _stream(ole, prefix, tag + "001F")
    if data is not None:
        return data.decode("utf-16-le", errors="replace").rstrip("\x00").strip()
    data = _stream(ole, prefix, tag + "001E")
    if data is not None:
        return decode_bytes(data).rstrip("\x00").strip()
    return ""


def _submit_time(ole) -> float | None:
    if not ole.exists("__properties_version1.0"):
        return None
    data = ole.openstream("__properties_version1.0").read()
    for at in range(32, len(data) - 15, 16):        # a 32-byte header, then 16-byte entries
        ptype, pid = struct.unpack_from("<HH", data, at)
        if pid == _SUBMIT_TIME and ptype == 0x0040:
            (ticks,) = struct.unpack_from("<Q", data, at + 8)
            try:
                return (_FILETIME_EPOCH + timedelta(microseconds=ticks // 10)).timestamp()
            except OverflowError:
                return None
    return None
