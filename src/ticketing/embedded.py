"""The embedded mode: every service in one process on local files (no servers to install).

Today that is the tickets service; the query, attachments and notifications services join the
same process as they are built.
"""

from __future__ import annotations

from fastapi import FastAPI
from ticketing_tickets.bootstrap import build_tickets_service
from ticketing_tickets.entrypoints.http import create_app
from ticketing_tickets.settings import TicketsSettings
from ticketing_web.observability import configure_logging


def create_embedded_app(settings: TicketsSettings | None = None) -> FastAPI:
    settings = settings or TicketsSettings()
    configure_logging(settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return create_app(build_tickets_service(settings))
