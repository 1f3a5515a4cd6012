"""A minimal Word 97-2003 (.doc) file made on the spot, for tests and benches: a
Compound File (OLE2) holding a WordDocument stream (the FIB and the text, 8-bit) and a
1Table stream (the piece table), which is all antiword and catdoc need to read the text."""

from __future__ import annotations

import struct
from pathlib import Path

_SECTOR = 512
_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_MIN_STREAM = 4096          # streams this long never go to the mini stream
_TEXT_AT = 0x800            # where the text starts in the WordDocument stream


def doc_bytes(paragraphs: list[str]) -> bytes:
    text = "".join(p + "\r" for p in paragraphs).encode("cp1252")
    word = bytearray(max(_MIN_STREAM, _TEXT_AT + len(text) + 512))
    word[_TEXT_AT:_TEXT_AT + len(text)] = text
    pieces = struct.pack("<II", 0, len(text)) + struct.pack("<HIH", 0, (_TEXT_AT * 2) | 0x40000000, 0)
    clx = b"\x02" + struct.pack("<I", len(pieces)) + pieces
    # an empty style sheet: its header (STSHI) and no styles
    stsh = struct.pack("<H", 18) + struct.pack("<HHHHHH", 0, 10, 1, 0, 0, 0) + struct.pack("<3H", 0, 0, 0)
    table = bytearray(_MIN_STREAM)
    table[:len(clx)] = clx
    table[0x100:0x100 + len(stsh)] = stsh
    fib = bytearray(0x384)
    struct.pack_into("<HHHHHH", fib, 0, 0xA5EC, 0x00C1, 0, 0x0409, 0, 0x0200 | 0x1000)
    struct.pack_into("<H", fib, 0x0C, 0x00BF)
    struct.pack_into("<II", fib, 0x18, _TEXT_AT, _TEXT_AT + len(text))   # fcMin, fcMac (catdoc reads these)
    struct.pack_into("<H", fib, 0x20, 14)                   # csw
    struct.pack_into("<H", fib, 0x3E, 22)                   # cslw
    struct.pack_into("<I", fib, 0x40, len(word))            # cbMac
    struct.pack_into("<I", fib, 0x4C, len(text))            # ccpText
    struct.pack_into("<H", fib, 0x98, 93)                   # cbRgFcLcb
    struct.pack_into("<II", fib, 0xA2, 0x100, len(stsh))    # fcStshf, lcbStshf
    struct.pack_into("<II", fib, 0x1A2, 0, len(clx))        # fcClx, lcbClx
    word[:len(fib)] = fib
    return compound_file({"WordDocument": bytes(word), "1Table": bytes(table)})


def make_doc(path: Path, paragraphs: list[str]) -> Path:
    path.write_bytes(doc_bytes(paragraphs))
    return path


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A version 3 Compound File with these streams (each >= 4096 bytes) under its root."""
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    chains: list[tuple[int, int]] = []          # (first sector, size) per stream
    data = bytearray()
    fat: list[int] = [_FATSECT, _END]           # sector 0: the FAT, sector 1: the directory
    for name in names:
        body = streams[name]
        assert len(body) >= _MIN_STREAM
        count = -(-len(body) // _SECTOR)
        first = len(fat)
        fat += [first + i + 1 for i in range(count - 1)] + [_END]
        chains.append((first, len(body)))
        data += body + b"\0" * (count * _SECTOR - len(body))
    assert len(fat) <= _SECTOR // 4
    fat += [_FREE] * (_SECTOR // 4 - len(fat))
    entries = [_entry("Root Entry", 5, _NOSTREAM, _NOSTREAM, 1, _END, 0)]
    # a chain of right siblings in sorted order: stream i+1 is the right sibling of stream i
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else _NOSTREAM
        entries.append(_entry(name, 2, _NOSTREAM, right, _NOSTREAM, *chains[i]))
    directory = b"".join(entries)
    directory += b"".join(_entry("", 0, _NOSTREAM, _NOSTREAM, _NOSTREAM, 0, 0)
                          for _ in range(4 - len(entries) % 4 if len(entries) % 4 else 0))
    assert len(directory) == _SECTOR
    header = bytearray(_SECTOR)
    header[:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 0x28, 0, 1, 1, 0, _MIN_STREAM, _END, 0, _END, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([_FREE] * 108))
    return bytes(header) + struct.pack(f"<{_SECTOR // 4}I", *fat) + directory + bytes(data)


def _entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
    raw = name.encode("utf-16-le")
    out = bytearray(128)
    out[:len(raw)] = raw
    struct.pack_into("<HBB", out, 0x40, len(raw) + 2 if name else 0, kind, 1)
    struct.pack_into("<III", out, 0x44, left, right, child)
    struct.pack_into("<II", out, 0x74, start, size)
    return bytes(out)
