"""systemd's readiness protocol without a library: a datagram to `$NOTIFY_SOCKET`.

`hall serve` under `Type=notify` (deploy/hall.service) says `READY=1` once the journal is
replayed and the server listens, so `systemctl start` returns only when the hall answers, and
`STOPPING=1` when a stop begins. Without `NOTIFY_SOCKET` (not under systemd) nothing is sent.
A leading `@` names a socket in the abstract namespace.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger("hall.server")


def notify(message: str) -> bool:
    """Send one notification (e.g. "READY=1\\nSTATUS=…"); whether a socket was there to take it."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return False
    address = "\0" + path[1:] if path.startswith("@") else path
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as exc:  # systemd gone or a wrong path: serving goes on, the log says why
        log.warning("could not notify systemd at %s: %s", path, exc)
        return False
    return True
