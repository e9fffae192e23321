"""The processes' listening sockets, bound by the supervisor and inherited by each process.

Picking a free port, letting it go and having a child bind it later is a race: another program
can take the port in between (seen as `query exited with 3 … address already in use`). Here
the supervisor binds every port itself before any process starts — port 0 lets the kernel pick
a free one — and hands the socket to the process by descriptor inheritance
(TICKETING_LISTEN_FD, read by `ticketing_web.serve`). It keeps its own copy open until the
topology stops, so a process killed and started again serves on the very same socket: the port
is never free for anyone else, and connections made while the process is down wait in the
socket's backlog for its successor instead of being refused.
"""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Mapping


class PortInUse(OSError):
    """A fixed port another program holds."""


class Listeners:
    """One bound, listening TCP socket per process name on `host`."""

    def __init__(self, sockets: Mapping[str, socket.socket]) -> None:
        self._sockets = dict(sockets)

    @classmethod
    def bind(cls, ports: Mapping[str, int], *, host: str = "127.0.0.1") -> Listeners:
        """Bind and listen on each name's port (0: any free port); PortInUse names the one
        taken, and nothing stays bound then."""
        bound: dict[str, socket.socket] = {}
        try:
            for name, port in ports.items():
                bound[name] = _listen(host, port, name)
        except BaseException:
            for sock in bound.values():
                sock.close()
            raise
        return cls(bound)

    @property
    def ports(self) -> dict[str, int]:
        """The port each name's socket is bound to (the kernel's pick where 0 was asked)."""
        return {name: int(sock.getsockname()[1]) for name, sock in self._sockets.items()}

    def fileno(self, name: str) -> int:
        """The descriptor a process inherits (Popen's `pass_fds`) and serves on."""
        return self._sockets[name].fileno()

    def close(self) -> None:
        for sock in self._sockets.values():
            with contextlib.suppress(OSError):
                sock.close()


def _listen(host: str, port: int, name: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # As uvicorn does: a fixed port still in TIME_WAIT from an earlier run can be bound.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)  # uvicorn's default backlog
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(error.errno, f"port {port} ({name}) is already in use") from error
        raise
    return sock
