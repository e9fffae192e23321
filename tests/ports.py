"""Ports for tests without the pick-then-bind race.

Picking a free port (bind 0, read it, close) and binding it later — in this process or another
— lets any other program on the machine take it in between; with several suites running at
once that happens. Instead: a server is given a socket already bound (uvicorn's `sockets`, a
child's inherited TICKETING_LISTEN_FD), a "nothing listens there" port is one held bound but
never listened on for as long as it is needed, and a server that binds its own port (aiosmtpd)
is started again on another port when the one it was given is taken.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
ATTEMPTS = 10


def listening_socket() -> socket.socket:
    """A TCP socket listening on a free 127.0.0.1 port, to hand to a server."""
    return socket.create_server(("127.0.0.1", 0))


_refusing: socket.socket | None = None


def refusing_port() -> int:
    """A 127.0.0.1 port where connections are refused for the whole test run: bound here once
    and never listened on, so no other program can start listening there meanwhile."""
    global _refusing
    if _refusing is None:
        held = socket.socket()
        held.bind(("127.0.0.1", 0))
        _refusing = held
    return int(_refusing.getsockname()[1])


def started_on_a_free_port(start: Callable[[int], T], *, attempts: int = ATTEMPTS) -> T:
    """`start(port)` on a port free a moment ago, again on another if it was taken meanwhile
    (for servers that bind their port themselves and cannot be given a socket)."""
    for attempt in range(1, attempts + 1):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        try:
            return start(port)
        except OSError as error:
            if error.errno != errno.EADDRINUSE or attempt == attempts:
                raise
    raise AssertionError("unreachable")
