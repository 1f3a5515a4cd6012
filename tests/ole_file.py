"""A minimal OLE compound file writer (version 3, 512-byte sectors), enough to make an
Outlook .msg for the tests: every stream is padded to the 4,096-byte mini-stream cutoff,
so all data lives in ordinary sectors chained by one FAT sector."""

from __future__ import annotations

import struct
from pathlib import Path

_FREE, _END, _FATSECT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SECTOR = 512


def write_ole(path: Path, streams: dict[str, bytes]) -> Path:
    """``streams``: {"name" or "storage/name": bytes}."""
    # directory entries: (name, type, data); type 5 root, 1 storage, 2 stream
    tree: dict[str, dict[str, bytes]] = {"": {}}
    for key, data in streams.items():
        storage, _, name = key.rpartition("/")
        tree.setdefault(storage, {})[name] = data.ljust(4096, b"\0")
    entries: list[dict] = [{"name": "Root Entry", "type": 5, "kids": []}]
    for storage in [s for s in tree if s]:
        entries.append({"name": storage, "type": 1, "kids": []})
        entries[0]["kids"].append(len(entries) - 1)
    for storage, files in tree.items():
        parent = 0 if not storage else next(i for i, e in enumerate(entries) if e["name"] == storage)
        for name, data in files.items():
            entries.append({"name": name, "type": 2, "data": data, "kids": []})
            entries[parent]["kids"].append(len(entries) - 1)
    dir_sectors = (len(entries) + 3) // 4
    next_sector = 1 + dir_sectors                       # sector 0: the FAT
    fat = [_FATSECT] + [i + 2 if i + 1 < dir_sectors else _END for i in range(dir_sectors)]
    body = b""
    for e in entries:
        if e["type"] == 2:
            n = len(e["data"]) // _SECTOR + (len(e["data"]) % _SECTOR > 0)
            e["start"] = next_sector
            fat += [next_sector + i + 1 if i + 1 < n else _END for i in range(n)]
            body += e["data"].ljust(n * _SECTOR, b"\0")
            next_sector += n
    assert len(fat) <= 128, "one FAT sector only"
    fat_bytes = struct.pack(f"<{128}I", *(fat + [_FREE] * (128 - len(fat))))
    directory = b"".join(_entry(e, entries) for e in entries)
    directory = directory.ljust(dir_sectors * _SECTOR, b"\0")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
              + struct.pack("<109I", 0, *([_FREE] * 108)))
    path.write_bytes(header + fat_bytes + directory + body)
    return path


def _entry(e: dict, entries: list[dict]) -> bytes:
    name = e["name"].encode("utf-16-le") + b"\0\0"
    kids = e["kids"]
    child = kids[0] if kids else _NONE
    right = _NONE
    for siblings in (x["kids"] for x in entries):
        if id(e) in [id(entries[k]) for k in siblings]:
            pos = [id(entries[k]) for k in siblings].index(id(e))
            right = siblings[pos + 1] if pos + 1 < len(siblings) else _NONE
    start = e.get("start", _END)
    size = len(e.get("data", b""))
    return (name.ljust(64, b"\0") + struct.pack("<HBB", len(name), e["type"], 1)
            + struct.pack("<III", _NONE, right, child) + b"\0" * 16 + b"\0" * 4 + b"\0" * 16
            + struct.pack("<IQ", start, size))
