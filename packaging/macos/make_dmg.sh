#!/usr/bin/env bash
# macOS: dist/Likewise.app -> dist/likewise-VERSION-macos-ARCH.dmg (run after `make package`).
#
#     bash packaging/macos/make_dmg.sh
#
# The image holds Likewise.app and a link to /Applications, so that installing is one
# drag. Signing and notarization need an Apple identity, which this script does not
# have: set CODESIGN_IDENTITY to sign every library inside the app with it first
# (macOS refuses a bundle whose libraries carry mixed identities).
set -euo pipefail
cd "$(dirname "$0")/../.."
APP=dist/Likewise.app
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' core/__init__.py)
ARCH=$(uname -m)
OUT="dist/likewise-${VERSION}-macos-${ARCH}.dmg"
[ -d "$APP" ] || { echo "no $APP: run make package on macOS first" >&2; exit 1; }

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign --force --deep --options runtime --sign "$CODESIGN_IDENTITY" "$APP"
fi
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$OUT"
hdiutil create -volname "Likewise $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$OUT"
hdiutil verify "$OUT"
echo "wrote $OUT ($(du -h "$OUT" | cut -f1))"
