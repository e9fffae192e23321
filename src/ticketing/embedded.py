"""The embedded mode: every service in one process on local files (no servers to install).

One FastAPI app serves the tickets routes and the query routes with one token verifier. The
query service's projector follows the tickets service's own event store object, so a commit
wakes it at once; it runs as a background task for the app's lifetime. The attachments and
notifications services join the same process as they are built.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from ticketing_query.bootstrap import QueryService, build_query_service
from ticketing_query.entrypoints import http as query_http
from ticketing_query.settings import QuerySettings
from ticketing_tickets.bootstrap import TicketsService, build_tickets_service
from ticketing_tickets.entrypoints import http as tickets_http
from ticketing_tickets.settings import TicketsSettings
from ticketing_web import build_app
from ticketing_web.observability import configure_logging
from ticketing_web.settings import verifier_from


def create_embedded_app(
    settings: TicketsSettings | None = None, query_settings: QuerySettings | None = None
) -> FastAPI:
    """The whole product as one ASGI app; its lifespan runs the projector and closes the stores."""
    settings = settings or TicketsSettings()
    query_settings = query_settings or QuerySettings()
    configure_logging(settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    query_settings.data_dir.mkdir(parents=True, exist_ok=True)
    tickets = build_tickets_service(settings)
    query = build_query_service(query_settings, store=tickets.store)
    return compose(tickets, query)


def compose(tickets: TicketsService, query: QueryService) -> FastAPI:
    """One app serving both services' routes (tests build the services themselves)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        query.start()
        try:
            yield
        finally:
            await query.close()  # the projector stops before the store it reads closes
            await tickets.close()

    async def ready() -> bool:
        return await tickets_http.is_ready(tickets) and await query.ready()

    app = build_app(
        title="Ticketing (embedded: tickets and queries)",
        service="embedded",
        version="1",
        token_verifier=verifier_from(tickets.settings),
        max_body_bytes=tickets.settings.max_body_bytes,
        readiness=ready,
        lifespan=lifespan,
    )
    tickets_http.attach(app, tickets)
    query_http.attach(app, query)
    return app
