#!/usr/bin/env bash
# dist/likewise/ -> dist/likewise-VERSION-linux-x86_64.tar.xz, unpacking to
# likewise-VERSION/ with the two programs and install.sh (menus for the user).
# xz, not gzip: the shared libraries (torch's above all) shrink a third further, and
# every tar unpacks it (tar -xJf, or tar -xf with GNU tar).
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=${1:?version}
NAME="likewise-$VERSION"
OUT="dist/$NAME-linux-$(uname -m).tar.xz"
STAGE=build/tarball
[ -x dist/likewise/likewise ] || { echo "no dist/likewise: run make bundle first" >&2; exit 1; }
rm -rf "$STAGE" && mkdir -p "$STAGE"
cp -a dist/likewise "$STAGE/$NAME"
install -m 755 packaging/linux/install.sh "$STAGE/$NAME/install.sh"
cat > "$STAGE/$NAME/README.txt" <<TXT
Likewise $VERSION: find passages alike across your own documents, on your own machine.

  ./likewise-gui        the window
  ./likewise --help     the command line
  ./install.sh          put Likewise in your menus (./install.sh --remove takes it out)

Needs glibc $(bash packaging/linux/glibc_needed.sh dist/likewise) or newer and, for the window, X11 or
Wayland with the xcb libraries (Debian/Ubuntu: libxcb-cursor0 libxkbcommon-x11-0 libegl1).
Nothing is downloaded: the model and everything else are in this folder.
TXT
rm -f "dist/$NAME-linux-$(uname -m).tar.gz"     # an older build's
tar -C "$STAGE" -cf - "$NAME" | xz -T0 -"${XZ_LEVEL:-6}" > "$OUT"
rm -rf "$STAGE"
echo "tarball: $OUT ($(du -h "$OUT" | cut -f1))"
