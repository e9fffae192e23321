"""Serving one app as its own process: `python -m ticketing_<service>` and the gateway.

uvicorn stops on SIGTERM and SIGINT gracefully: it stops accepting, lets requests in flight
finish (open SSE streams get `GRACEFUL_SHUTDOWN_SECONDS`), then runs the app's lifespan
shutdown, which stops the consumers and closes the stores.
"""

from __future__ import annotations

import logging

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp

GRACEFUL_SHUTDOWN_SECONDS = 5


class ListenSettings(BaseSettings):
    """TICKETING_HOST and TICKETING_PORT (the port's default is each process's own)."""

    model_config = SettingsConfigDict(env_prefix="TICKETING_", extra="ignore")

    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=1, le=65535)


def serve(app: ASGIApp, *, default_port: int, listen: ListenSettings | None = None) -> None:
    """Serve `app` until SIGTERM/SIGINT on TICKETING_HOST:TICKETING_PORT (else `default_port`)."""
    import uvicorn  # only a process that serves needs it

    listen = listen or ListenSettings()
    # httpx logs every call it makes at INFO, in plain text: internal calls and the gateway's
    # forwarding would each repeat what our JSON access lines already say.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Our middleware writes one JSON access line per request; uvicorn's own would repeat it.
    uvicorn.run(
        app,
        host=listen.host,
        port=listen.port or default_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
