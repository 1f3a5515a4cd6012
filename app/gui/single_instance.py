"""One window per library: a second launch hands its request to the running window.

The first window of a library listens on a local socket (QLocalServer: a Unix socket,
a named pipe on Windows) whose name comes from the user and the library file. A second
``likewise-gui`` (opened twice, ``--similar FILE``, the file manager's action) first
tries to connect: if a window answers, it sends its request as one JSON line, waits for
"ok" and exits; the running window raises itself and acts on the request. A socket left
behind by a crash answers nobody: the next window removes it and listens in its place.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_MS = 1500
REPLY_MS = 3000


def server_name(library_path: Path | str, user: str | None = None) -> str:
    """The socket's name for this user's window on this library file."""
    if user is None:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):      # no user name (a container without passwd)
            user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    where = os.path.normcase(os.path.abspath(os.fspath(library_path)))
    digest = hashlib.sha256(f"{user}\0{where}".encode()).hexdigest()[:20]
    return f"likewise-{digest}"


def send_request(name: str, request: dict[str, Any], connect_ms: int = CONNECT_MS,
                 reply_ms: int = REPLY_MS) -> bool:
    """Hand ``request`` to the window listening on ``name``; True when it took it."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(connect_ms):
        return False
    sock.write((json.dumps(request) + "\n").encode())
    sock.flush()
    while sock.bytesToWrite() > 0:        # (nothing left to write is no failure)
        if not sock.waitForBytesWritten(reply_ms):
            sock.abort()
            return False
    reply = b""
    while b"\n" not in reply:
        if not sock.waitForReadyRead(reply_ms):
            break
        reply += bytes(sock.readAll().data())
    sock.disconnectFromServer()
    return reply.strip() == b"ok"


class InstanceServer(QObject):
    """Listens for later launches; ``request`` carries each one's dict (UI thread)."""

    request = Signal(dict)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self, name: str) -> bool:
        """Listen on ``name``; False when another live window holds it. A name left by a
        crashed window (nobody answers) is removed and taken over. (Asked first: with
        its access option, Qt's listen replaces a live server's socket without a word.)"""
        probe = QLocalSocket()
        probe.connectToServer(name)
        if probe.waitForConnected(CONNECT_MS):
            probe.abort()
            return False               # a live window: the caller hands its request over
        QLocalServer.removeServer(name)
        return self.server.listen(name)

    def close(self) -> None:
        self.server.close()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._forget(s))

    def _read(self, sock: QLocalSocket) -> None:
        data = self._buffers.get(sock, b"") + bytes(sock.readAll().data())
        if b"\n" not in data:
            self._buffers[sock] = data[-65536:]
            return
        line = data.split(b"\n", 1)[0]
        self._buffers[sock] = b""
        try:
            request = json.loads(line.decode())
        except (UnicodeDecodeError, ValueError):
            request = None
        if not isinstance(request, dict):
            sock.write(b"bad\n")
            sock.flush()
            return
        sock.write(b"ok\n")
        sock.flush()
        self.request.emit(request)

    def _forget(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        sock.deleteLater()


def claim_or_hand_over(name: str, request: dict[str, Any]) -> InstanceServer | None:
    """The server of this launch's window, or None when a running window took
    ``request`` (this launch then exits)."""
    if send_request(name, request):
        return None
    server = InstanceServer()
    if server.listen(name):
        return server
    if send_request(name, request):
        return None            # another launch won the race to listen: it has the request
    return server              # nobody answers and the name cannot be taken: run alone


def library_of(args_library: str | None, settings: Any) -> Path:
    """The library file a launch opens (its --library, or the settings' one)."""
    return Path(args_library) if args_library else Path(settings.resolved_library_path())
