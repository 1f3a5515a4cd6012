"""What kind of file system a folder lives on, and how to watch it there."""

from __future__ import annotations

import errno
import os
import sys

# File systems whose changes made elsewhere (another machine, the VM host) produce no
# native events here: they are polled.
NETWORK_FS = frozenset({
    "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "sshfs", "fuse.sshfs", "9p",
    "afs", "ncpfs", "davfs", "fuse.davfs2", "webdav", "afpfs", "fuse.rclone", "fuse.s3fs",
    "glusterfs", "fuse.glusterfs", "ceph", "fuse.ceph", "lustre", "gpfs", "beegfs",
    "vboxsf", "vmhgfs", "fuse.vmhgfs-fuse", "virtiofs", "drvfs", "prl_fs",
})

INOTIFY_WATCH_LIMIT_MESSAGE = (
    "inotify watch limit reached; raise fs.inotify.max_user_watches "
    "(e.g. sudo sysctl fs.inotify.max_user_watches=524288)"
)
INOTIFY_INSTANCE_LIMIT_MESSAGE = (
    "inotify instance limit reached; raise fs.inotify.max_user_instances "
    "(e.g. sudo sysctl fs.inotify.max_user_instances=1024)"
)


def mount_of(path: str) -> tuple[str, str, str] | None:
    """(mountpoint, fstype, opts) of the mount holding ``path``, or None if unknown."""
    try:
        import psutil

        parts = psutil.disk_partitions(all=True)
    except Exception:  # noqa: BLE001 - no mount table (sandbox, odd platform): unknown
        return None
    target = os.path.realpath(path)
    best = None
    for part in parts:
        mp = part.mountpoint
        if not mp:
            continue
        norm = mp.rstrip(os.sep) or os.sep
        inside = target == norm or target.startswith(norm.rstrip(os.sep) + os.sep) or norm == os.sep
        if inside and (best is None or len(norm) > len(best[0])):
            best = (norm, (part.fstype or "").lower(), (part.opts or "").lower())
    return best


def polling_reason(path: str) -> str | None:
    """Why native events cannot be trusted for ``path`` (None: they can)."""
    mount = mount_of(path)
    if mount is None:
        return None
    _, fstype, opts = mount
    if fstype in NETWORK_FS:
        return f"network file system ({fstype}): changes are polled"
    if sys.platform == "win32" and ("remote" in opts.split(",") or "cdrom" in opts.split(",")):
        return "network or removable drive: changes are polled"
    return None


def describe_start_error(exc: BaseException) -> str:
    """A person's words for a native observer that could not start."""
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            return INOTIFY_WATCH_LIMIT_MESSAGE
        if exc.errno == errno.EMFILE:
            return INOTIFY_INSTANCE_LIMIT_MESSAGE
    return f"native file events unavailable ({exc}); changes are polled"


def count_dirs(root: str, limit: int = 1_000_000) -> int:
    """Folders below and including ``root`` (what a recursive inotify watch needs)."""
    n = 0
    for here, dirs, _files in os.walk(root, followlinks=False):
        n += 1
        if n >= limit:
            break
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(here, d))]
    return n
