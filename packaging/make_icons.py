"""Render resources/icons/likewise.svg into the icons each system wants.

    python packaging/make_icons.py      # (make icons) rewrites resources/icons/

- png/likewise-N.png for N in 16..512: Linux's hicolor theme (desktop entry, .deb)
- likewise.ico: Windows (the programs, the installer, Start menu); PNG-compressed
  entries, which Windows Vista and later read
- likewise.icns: macOS (Likewise.app); PNG entries ic07..ic10

The results are committed, so that building needs no Qt rendering step.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_TYPES = {128: b"ic07", 256: b"ic08", 512: b"ic09", 1024: b"ic10"}


def render(svg: Path, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size          # 0 means 256 in an ICO directory
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
                    for size, kind in ICNS_TYPES.items())
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    svg = ICONS / "likewise.svg"
    sizes = sorted(set(PNG_SIZES) | set(ICO_SIZES) | set(ICNS_TYPES))
    pngs = {size: render(svg, size) for size in sizes}
    (ICONS / "png").mkdir(exist_ok=True)
    for size in PNG_SIZES:
        (ICONS / "png" / f"likewise-{size}.png").write_bytes(pngs[size])
    (ICONS / "likewise.ico").write_bytes(ico({s: pngs[s] for s in ICO_SIZES}))
    (ICONS / "likewise.icns").write_bytes(icns(pngs))
    print(f"wrote {ICONS}/png/, likewise.ico, likewise.icns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
