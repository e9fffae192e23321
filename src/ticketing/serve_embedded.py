"""`ticketing run`: the embedded mode on one socket, with the data directory's lock held.

The socket is bound here before the app starts (port 0 lets the kernel pick one, which the
system tests use so that no other program can take their port between a pick and a bind), and
once uvicorn serves on it the command prints where: the base URL, the panel and, in dev mode,
its sign-in page.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from pathlib import Path

import uvicorn

from .data_dir_lock import DataDirInUse, held_while_serving

#: The first line printed once the server accepts connections (system tests read the port).
LISTENING = "ticketing is listening on"


def browser_url(sock: socket.socket) -> str:
    """The base URL a person on this machine opens for what `sock` is bound to."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", ""):  # noqa: S104 - naming the wildcard, not binding it
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def announcement(base: str, *, dev_mode: bool) -> str:
    lines = [f"{LISTENING} {base}", f"  panel:   {base}/panel/"]
    if dev_mode:
        lines.append(f"  sign in: {base}/panel/login  (dev mode)")
    return "\n".join(lines)


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (IPv4 or IPv6, as the host resolves)."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
    return socket.create_server((host, port), family=family, backlog=2048)


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server that says so once it accepts connections (after the lifespan start)."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[], None]) -> None:
        super().__init__(config)
        self._announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._announce()


def run_embedded(*, host: str, port: int, data_dir: Path, dev_mode: bool) -> int:
    """Serve the embedded mode until SIGTERM/SIGINT; 2 if a rebuild holds the data directory,
    1 if the address cannot be bound, 3 if the app did not start."""
    from .embedded import create_embedded_app

    try:
        sock = listen(host, port)
    except OSError as error:
        print(f"error: cannot listen on {host}:{port}: {error}", file=sys.stderr)
        return 1
    try:
        with sock, held_while_serving(data_dir):
            base = browser_url(sock)

            def announce() -> None:
                print(announcement(base, dev_mode=dev_mode), flush=True)

            # Our middleware writes one JSON access line per request; uvicorn's own would
            # repeat it. Open SSE streams would hold a shutdown forever: give them 5 s.
            config = uvicorn.Config(
                create_embedded_app(),
                log_config=None,
                access_log=False,
                timeout_graceful_shutdown=5,
            )
            server = _AnnouncingServer(config, announce)
            server.run(sockets=[sock])
            return 0 if server.started else 3
    except DataDirInUse as held:
        print(
            f"error: {data_dir} is locked by a running `ticketing rebuild` ({held}); "
            "start the server when it has finished",
            file=sys.stderr,
        )
        return 2
