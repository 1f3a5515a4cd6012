#!/usr/bin/env bash
# The .deb as a person uses it, by hand, as root on a Debian/Ubuntu machine (it installs
# the package system-wide, then removes it):
#
#     sudo bash packaging/linux/deb_upgrade_check.sh dist/likewise_VERSION_amd64.deb
#
#   1. the package holds no maintainer script that could touch a user's files
#   2. apt installs it; a user indexes two files and fine-tunes nothing (a library,
#      settings and a model folder are made by hand in ~/.local/share/Likewise,
#      ~/.config/Likewise)
#   3. the same package with a higher version is installed over it (an upgrade)
#   4. it is removed, then purged
# After each step the user's library, settings and models folder are byte for byte
# what they were, and after the upgrade the library still answers a search.
set -euo pipefail
DEB=$(realpath "${1:?the .deb}")
[ "$(id -u)" = 0 ] || { echo "run as root (it installs the package)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { printf 'deb check FAILED: %s\n' "$*" >&2; exit 1; }

echo "== maintainer scripts"
dpkg-deb --ctrl-tarfile "$DEB" | tar -t | tee "$WORK/control.txt"
if grep -Eq '(preinst|postinst|prerm|postrm|config)$' "$WORK/control.txt"; then
    fail "the package has maintainer scripts: check that none touches ~/.local/share/Likewise"
fi

echo "== an upgrade: the same package, version +1 (uncompressed: dpkg reads it all the same)"
dpkg-deb -R "$DEB" "$WORK/root"
old=$(sed -n 's/^Version: //p' "$WORK/root/DEBIAN/control")
sed -i "s/^Version: .*/Version: ${old}+upgrade1/" "$WORK/root/DEBIAN/control"
dpkg-deb --root-owner-group -Znone --build "$WORK/root" "$WORK/likewise-upgrade.deb" > /dev/null
rm -rf "$WORK/root"

export HOME="$WORK/home" XDG_DATA_HOME="$WORK/home/.local/share" XDG_CONFIG_HOME="$WORK/home/.config"
unset LIKEWISE_DATA_DIR LIKEWISE_CONFIG_DIR LIKEWISE_MODEL
mkdir -p "$HOME/docs"
printf 'The lighthouse keeper trims the wick at dusk.\n\nGulls nest on the rocks below the tower.\n' > "$HOME/docs/sea.txt"
printf 'Sourdough needs a fed starter and a long cold proof.\n' > "$HOME/docs/bread.md"

echo "== install $(basename "$DEB")"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$DEB" > /dev/null
likewise --version
likewise add-folder "$HOME/docs" > /dev/null
mkdir -p "$XDG_DATA_HOME/Likewise/models/my-fine-tuned" "$XDG_CONFIG_HOME/Likewise"
echo '{"kept": true}' > "$XDG_DATA_HOME/Likewise/models/my-fine-tuned/config.json"
[ -f "$XDG_CONFIG_HOME/Likewise/settings.json" ] || echo '{}' > "$XDG_CONFIG_HOME/Likewise/settings.json"
snapshot() { (cd "$HOME" && find .local/share/Likewise .config/Likewise -type f -print0 | sort -z \
    | xargs -0 sha256sum); }
likewise status > /dev/null     # (a WAL folded into the file before the snapshot)
snapshot > "$WORK/before.txt"
echo "the user's files: $(wc -l < "$WORK/before.txt")"

echo "== upgrade to ${old}+upgrade1"
dpkg -i "$WORK/likewise-upgrade.deb" > /dev/null
[ "$(dpkg-query -W -f='${Version}' likewise)" = "${old}+upgrade1" ] || fail "the upgrade was not installed"
snapshot | cmp -s - "$WORK/before.txt" || fail "the upgrade changed the user's files"
likewise search "who tends the lighthouse lamp" --mode dense -k 1 --json | python3 -c '
import json, sys
hit = json.load(sys.stdin)[0]
assert hit["path"].endswith("sea.txt"), hit
print("after the upgrade the library answers:", hit["text"][:60])'
likewise status > /dev/null
snapshot > "$WORK/before.txt"

echo "== remove, then purge"
dpkg -r likewise > /dev/null
[ ! -e /opt/likewise ] && [ ! -e /usr/bin/likewise ] || fail "files of the package stayed after removal"
snapshot | cmp -s - "$WORK/before.txt" || fail "removing the package changed the user's files"
dpkg -P likewise > /dev/null 2>&1 || true
snapshot | cmp -s - "$WORK/before.txt" || fail "purging the package changed the user's files"
echo "deb check: installed, upgraded, removed and purged; the user's library, settings and models stayed"
