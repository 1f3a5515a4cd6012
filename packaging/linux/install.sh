#!/bin/sh
# Put this Likewise folder in your desktop's menus (no root needed).
#
#     ./install.sh            desktop entries, icons, and `likewise`/`likewise-gui` in ~/.local/bin
#     ./install.sh --remove   take them away again (the folder itself stays where it is)
#
# Run it again after moving the folder: the entries name this folder's programs.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
BIN=${LIKEWISE_BIN_DIR:-$HOME/.local/bin}
RES="$HERE/_internal/resources"
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor"

refresh() {
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$APPS" || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$ICONS" || true
}

if [ "${1:-}" = "--remove" ]; then
    rm -f "$APPS/likewise.desktop" "$APPS/likewise-similar.desktop" "$BIN/likewise" "$BIN/likewise-gui"
    rm -f "$ICONS"/*/apps/likewise.png "$ICONS/scalable/apps/likewise.svg"
    refresh
    echo "Likewise's menu entries are removed; delete $HERE to remove the program."
    exit 0
fi

# Desktop entries name the program by its full path, quoted (the path may hold spaces).
quoted=$(printf '%s' "$HERE/likewise-gui" | sed -e 's/[\\"`$]/\\\\&/g')
for_sed=$(printf '%s' "$quoted" | sed -e 's/[\\&|]/\\&/g')
try_sed=$(printf '%s' "$HERE/likewise-gui" | sed -e 's/[\\&|]/\\&/g')
mkdir -p "$APPS" "$BIN" "$ICONS/scalable/apps"
for entry in likewise likewise-similar; do
    sed -e "s|^Exec=likewise-gui|Exec=\"$for_sed\"|" -e "s|^TryExec=.*|TryExec=$try_sed|" \
        "$RES/$entry.desktop" > "$APPS/$entry.desktop"
done
for png in "$RES"/icons/png/likewise-*.png; do
    size=$(basename "$png" .png | sed 's/^likewise-//')
    mkdir -p "$ICONS/${size}x${size}/apps"
    cp "$png" "$ICONS/${size}x${size}/apps/likewise.png"
done
cp "$RES/icons/likewise.svg" "$ICONS/scalable/apps/likewise.svg"
for program in likewise likewise-gui; do
    printf '#!/bin/sh\nexec "%s" "$@"\n' "$HERE/$program" > "$BIN/$program"
    chmod 755 "$BIN/$program"
done
refresh
echo "Likewise is in your menus; the commands likewise and likewise-gui are in $BIN."
