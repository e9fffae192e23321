"""Serving one app as its own process: `python -m ticketing_<service>` and the gateway.

uvicorn stops on SIGTERM and SIGINT gracefully: it stops accepting, lets requests in flight
finish (open SSE streams get `GRACEFUL_SHUTDOWN_SECONDS`), then runs the app's lifespan
shutdown, which stops the consumers and closes the stores.

A process started by a supervisor that bound its listening socket already (the distributed
mode's `ticketing.distributed`) gets that socket's descriptor in TICKETING_LISTEN_FD and serves
on it instead of binding TICKETING_HOST:TICKETING_PORT: the port is then held from before the
process starts until after it ends, so no other program can take it in between.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import TYPE_CHECKING

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp

if TYPE_CHECKING:
    import uvicorn

GRACEFUL_SHUTDOWN_SECONDS = 5
#: uvicorn's exit code when it cannot start (a port in use, a failed lifespan start-up).
STARTUP_FAILURE = 3


class ListenSettings(BaseSettings):
    """TICKETING_HOST and TICKETING_PORT (the port's default is each process's own), or
    TICKETING_LISTEN_FD: an inherited, bound TCP socket to serve on instead."""

    model_config = SettingsConfigDict(env_prefix="TICKETING_", extra="ignore")

    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=1, le=65535)
    listen_fd: int | None = Field(default=None, ge=0)


def inherited_sockets(listen: ListenSettings) -> list[socket.socket] | None:
    """The inherited listening socket as uvicorn's `sockets`, or None to bind host:port."""
    if listen.listen_fd is None:
        return None
    sock = socket.socket(fileno=listen.listen_fd)  # family and type read from the descriptor
    if sock.type != socket.SOCK_STREAM or sock.family not in (socket.AF_INET, socket.AF_INET6):
        sock.detach()
        raise ValueError(f"TICKETING_LISTEN_FD={listen.listen_fd} is not a TCP socket")
    return [sock]


def run_server(config: uvicorn.Config, sockets: list[socket.socket] | None) -> None:
    """Run `config` on `sockets` (None: bind its host and port) until stopped; exit with
    STARTUP_FAILURE if it never started, as `uvicorn.run` does."""
    import uvicorn

    server = uvicorn.Server(config)
    server.run(sockets=sockets)
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def serve(app: ASGIApp, *, default_port: int, listen: ListenSettings | None = None) -> None:
    """Serve `app` until SIGTERM/SIGINT on TICKETING_LISTEN_FD's socket, else on
    TICKETING_HOST:TICKETING_PORT (else `default_port`)."""
    import uvicorn  # only a process that serves needs it

    listen = listen or ListenSettings()
    # httpx logs every call it makes at INFO, in plain text: internal calls and the gateway's
    # forwarding would each repeat what our JSON access lines already say.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Our middleware writes one JSON access line per request; uvicorn's own would repeat it.
    config = uvicorn.Config(
        app,
        host=listen.host,
        port=listen.port or default_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    run_server(config, inherited_sockets(listen))
