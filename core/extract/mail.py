"""A mail message (RFC 5322 bytes: an .eml file, one message of an mbox) -> its new text,
its sender/recipients/date, and its attachments.

- The structure is parsed by the standard library's ``email`` (the compat32 parser: the
  header objects of policy.default cost three times the whole parse, and an mbox may hold
  100,000 messages); the headers shown are decoded with ``email.header`` (encoded words
  "=?utf-8?q?...?=" in any declared charset); one that cannot be decoded is kept as it came.
- Each text part is decoded with the charset it declares; an undeclared, unknown or
  wrong charset falls back on UTF-8, then cp1252 (never raises). HTML is read only when
  the message has no plain text.
- Quoted replies are kept apart from the message's own text, so that a thread does not
  repeat itself in similar paragraphs: "> " lines, an "On ... wrote:" line with the
  quote it introduces, and everything after Outlook's "-----Original Message-----" are
  left out of the passages (their count is in ``MailRead.quoted_lines``).
- A broken MIME part (a bad transfer encoding, a part that cannot be decoded) is
  reported in ``notes`` on the message; the rest of the message is still read.
- Attachments (disposition "attachment", or a part with a file name, or an attached
  message) are returned as (name, bytes) for the container reader to read as documents
  of their own; at most MAX_ATTACHMENTS per message (the rest are noted, not read).
"""

from __future__ import annotations

import email
import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message

from core.extract.clean import clean_block, clean_line
from core.extract.text_reader import decode_bytes
from core.types import INDEXED, NO_TEXT, Block, ExtractResult, MailFacts

MAX_ATTACHMENTS = 200
_WROTE = re.compile(r"^\s*(On\b.{0,300}\bwrote:|Am\b.{0,300}\bschrieb\b.{0,40}:|Le\b.{0,300}\ba écrit\s*:)\s*$",
                    re.IGNORECASE)
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message|Ursprüngliche Nachricht)\s*-{2,}\s*$",
                       re.IGNORECASE)
_SAFE_NAME = re.compile(r"[^\w.\- ()\[\]]+")


@dataclass
class MailRead:
    result: ExtractResult
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    quoted_lines: int = 0


def read_mail(data: bytes, fallback_title: str = "message") -> MailRead:
    """Read one message's bytes; never raises for a malformed message."""
    msg = email.message_from_bytes(data)
    notes: list[str] = []
    subject = _header(msg, "subject", notes)
    facts = MailFacts(
        sender=_header(msg, "from", notes) or None,
        recipients=", ".join(v for v in (_header(msg, "to", notes), _header(msg, "cc", notes)) if v) or None,
        sent_at=_date(_header(msg, "date", notes)),
    )
    plain: list[str] = []
    html: list[bytes] = []
    attachments: list[tuple[str, bytes]] = []
    skipped = 0
    for n, part in enumerate(_leaves(msg)):
        if part.defects:
            notes.append(f"MIME part {n} is damaged ({_defects(part.defects)}); read as far as it goes")
        name = _attachment_name(part, len(attachments) + skipped + 1)
        if name is not None:
            if len(attachments) >= MAX_ATTACHMENTS:
                skipped += 1
                continue
            payload = _payload(part, n, notes)
            if payload is not None:
                attachments.append((name, payload))
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            raw = _payload(part, n, notes)
            if raw is not None:
                plain.append(_decode(raw, part.get_content_charset()))
        elif ctype == "text/html":
            raw = _payload(part, n, notes)
            if raw is not None:
                html.append(raw)
    if skipped:
        notes.append(f"{skipped:,} more attachments not read (at most {MAX_ATTACHMENTS} per message)")
    if msg.defects:
        notes.insert(0, f"the message's structure is damaged ({_defects(msg.defects)})")
    blocks: list[Block] = []
    quoted = 0
    for text in plain:
        new, q = split_quoted(text)
        quoted += q
        blocks += new
    if not plain and html:
        from core.extract.html_reader import html_blocks

        for raw in html:
            blocks += html_blocks(raw)[1]
    title = clean_line(subject) if subject else fallback_title
    status = INDEXED if blocks else NO_TEXT
    error = None if blocks else "the message has no text of its own"
    if notes:
        error = "; ".join(([error] if error else []) + notes)
    result = ExtractResult(status=status, blocks=blocks, title=title, error=error, mail=facts, notes=notes)
    return MailRead(result, attachments, quoted)


def split_quoted(text: str) -> tuple[list[Block], int]:
    """(blocks of the new text, number of quoted lines left out)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    quoted = 0
    for i, line in enumerate(lines):
        if _ORIGINAL.match(line):
            quoted += len(lines) - i
            break
        if line.lstrip().startswith(">"):
            quoted += 1
            kept.append("")
            continue
        if _WROTE.match(line) and _quote_follows(lines, i + 1):
            quoted += 1
            kept.append("")
            continue
        kept.append(line)
    blocks = []
    for para in re.split(r"\n[ \t]*\n", "\n".join(kept)):
        cleaned = clean_block(para)
        if cleaned:
            blocks.append(Block(text=cleaned))
    return blocks, quoted


def _leaves(msg: Message) -> Iterator[Message]:
    """The parts that hold content, in order; an attached message is one part (its own
    parts are its own)."""
    if msg.get_content_type() == "message/rfc822":
        yield msg
        return
    if msg.is_multipart():
        for part in msg.get_payload():
            if isinstance(part, Message):
                if part.get_content_type() == "message/rfc822":
                    yield part
                else:
                    yield from _leaves(part)
        return
    yield msg


def _quote_follows(lines: list[str], start: int) -> bool:
    for line in lines[start:start + 3]:
        if line.strip():
            return line.lstrip().startswith(">")
    return True


def _header(msg: Message, name: str, notes: list[str]) -> str:
    values = msg.get_all(name) or []
    out = []
    for value in values:
        if not isinstance(value, str):     # a header the parser kept as an object
            value = str(value)
        try:
            out.append(str(make_header(decode_header(value))))
        except Exception as exc:  # noqa: BLE001 - a header that does not decode is kept raw
            notes.append(f"the {name} header could not be decoded ({type(exc).__name__})")
            out.append(value)
    return clean_line(", ".join(out))


def _date(value: str) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _defects(defects: list) -> str:
    return ", ".join(sorted({type(d).__name__ for d in defects}))


def _payload(part: Message, n: int, notes: list[str]) -> bytes | None:
    try:
        if part.get_content_type() == "message/rfc822" or isinstance(part.get_payload(), list):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            return inner.as_bytes() if hasattr(inner, "as_bytes") else None
        payload = part.get_payload(decode=True)
        return payload if isinstance(payload, bytes) else None
    except Exception as exc:  # noqa: BLE001 - one broken part is noted, never fatal
        notes.append(f"MIME part {n} could not be decoded ({type(exc).__name__})")
        return None


def _decode(raw: bytes, charset: str | None) -> str:
    if charset:
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(raw)


def _attachment_name(part: Message, n: int) -> str | None:
    """The name an attachment is indexed under, or None for a part of the body."""
    ctype = part.get_content_type()
    try:
        filename = part.get_filename()
        if filename and "=?" in filename:
            filename = str(make_header(decode_header(filename)))
    except Exception:  # noqa: BLE001 - a broken parameter: the part has no usable name
        filename = None
    if ctype == "message/rfc822":
        return safe_name(filename or f"attached message {n}.eml", ".eml")
    if part.get_content_disposition() == "attachment" or filename:
        return safe_name(filename or f"attachment {n}", "")
    return None


def safe_name(name: str, ext: str) -> str:
    """A member name shown to people: no folders, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _SAFE_NAME.sub("_", clean_line(base)).strip(" .") or "attachment"
    if ext and not base.lower().endswith(ext):
        base += ext
    return base[:200]
