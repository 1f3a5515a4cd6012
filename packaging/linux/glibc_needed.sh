#!/usr/bin/env bash
# The newest GLIBC_x.y symbol version any program or library of a bundle asks for:
# the oldest glibc the bundle runs on.   bash packaging/linux/glibc_needed.sh dist/likewise
set -euo pipefail
folder=${1:-dist/likewise}
versions=$(find "$folder" -type f \( -name '*.so' -o -name '*.so.*' -o -perm -u+x \) -print0 \
    | { xargs -0 objdump -T 2>/dev/null || true; } | grep -o 'GLIBC_[0-9][0-9.]*' || true)
[ -n "$versions" ] || { echo "no ELF file in $folder asks for a glibc version" >&2; exit 1; }
printf '%s\n' "$versions" | sed 's/^GLIBC_//' | sort -uV | tail -1
