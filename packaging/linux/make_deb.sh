#!/usr/bin/env bash
# dist/likewise/ -> dist/likewise_VERSION_amd64.deb: the folder in /opt/likewise,
# launchers in /usr/bin, desktop entries and icons in /usr/share (dpkg's triggers
# refresh the menus and the icon cache).
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=${1:?version}
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
OUT="dist/likewise_${VERSION}_${ARCH}.deb"
ROOTFS=build/deb/root
[ -x dist/likewise/likewise ] || { echo "no dist/likewise: run make bundle first" >&2; exit 1; }
GLIBC=$(bash packaging/linux/glibc_needed.sh dist/likewise)
rm -rf build/deb && mkdir -p "$ROOTFS/DEBIAN" "$ROOTFS/opt" "$ROOTFS/usr/bin" \
    "$ROOTFS/usr/share/applications" "$ROOTFS/usr/share/icons/hicolor/scalable/apps" \
    "$ROOTFS/usr/share/doc/likewise"
cp -a dist/likewise "$ROOTFS/opt/likewise"
for program in likewise likewise-gui; do
    printf '#!/bin/sh\nexec /opt/likewise/%s "$@"\n' "$program" > "$ROOTFS/usr/bin/$program"
    chmod 755 "$ROOTFS/usr/bin/$program"
done
for entry in likewise likewise-similar; do
    install -m 644 "resources/$entry.desktop" "$ROOTFS/usr/share/applications/$entry.desktop"
done
for png in resources/icons/png/likewise-*.png; do
    size=$(basename "$png" .png | sed 's/^likewise-//')
    install -Dm 644 "$png" "$ROOTFS/usr/share/icons/hicolor/${size}x${size}/apps/likewise.png"
done
install -m 644 resources/icons/likewise.svg "$ROOTFS/usr/share/icons/hicolor/scalable/apps/likewise.svg"
printf 'Likewise %s\nLicense: MIT\n' "$VERSION" > "$ROOTFS/usr/share/doc/likewise/copyright"
cat > "$ROOTFS/DEBIAN/control" <<CONTROL
Package: likewise
Version: $VERSION
Architecture: $ARCH
Maintainer: Likewise developers <likewise@localhost>
Installed-Size: $(du -sk "$ROOTFS" | cut -f1)
Depends: libc6 (>= $GLIBC), libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxkbcommon-x11-0, libegl1, libfontconfig1, libglib2.0-0
Section: utils
Priority: optional
Description: find passages alike across your own documents
 Likewise indexes the PDF, Word, text and Markdown files of the folders you choose,
 encodes every paragraph on your own machine with a Sentence-BERT model (bundled,
 nothing is downloaded) and finds passages by meaning, by words, or like another
 passage or document.
CONTROL
# xz: a third smaller than gzip, and read by every dpkg (zstd is not, before Debian 12).
dpkg-deb --root-owner-group -Zxz -z"${XZ_LEVEL:-6}" --build "$ROOTFS" "$OUT" >/dev/null
rm -rf build/deb
echo "deb: $OUT ($(du -h "$OUT" | cut -f1)), needs glibc >= $GLIBC"
