"""The embedded mode: every service in one process on local files (no servers to install).

One FastAPI app serves the tickets, query, attachments and notifications routes with one token
verifier. The consumers (the query projector, the attachments reference consumer, the
notifications consumer and sender) follow the tickets service's own event store object, so a
commit wakes them at once, through one shared read of it (`shared_feed.py`); they run as
background tasks for the app's lifetime. Services meet only through ports (`wiring.py`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Response
from ticketing_attachments.bootstrap import AttachmentsService, build_attachments_service
from ticketing_attachments.entrypoints.http import ATTACHMENTS_PREFIX
from ticketing_attachments.entrypoints.http import attach as attach_attachments
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_feed.store import StoreFeed
from ticketing_notifications.bootstrap import NotificationsService, build_notifications_service
from ticketing_notifications.entrypoints import http as notifications_http
from ticketing_notifications.settings import NotificationsSettings
from ticketing_panel import create_panel_app
from ticketing_panel.asgi_stream import StreamingASGITransport
from ticketing_panel.settings import PanelSettings
from ticketing_query.bootstrap import QueryService, build_query_service
from ticketing_query.entrypoints import http as query_http
from ticketing_query.settings import QuerySettings
from ticketing_tickets.bootstrap import (
    TicketsService,
    build_tickets_service,
    event_store_from_url,
)
from ticketing_tickets.entrypoints import http as tickets_http
from ticketing_tickets.settings import TicketsSettings
from ticketing_web import build_app
from ticketing_web.observability import configure_logging
from ticketing_web.settings import verifier_from

from ticketing.shared_feed import SharedFeed
from ticketing.wiring import AttachmentsForQuery, AttachmentsForTickets

PANEL_PREFIX = "/panel"


def create_embedded_app(
    settings: TicketsSettings | None = None,
    query_settings: QuerySettings | None = None,
    attachments_settings: AttachmentsSettings | None = None,
    notifications_settings: NotificationsSettings | None = None,
    panel_settings: PanelSettings | None = None,
) -> FastAPI:
    """The whole product as one ASGI app; its lifespan runs the consumers and closes the stores."""
    settings = settings or TicketsSettings()
    query_settings = query_settings or QuerySettings()
    attachments_settings = attachments_settings or AttachmentsSettings()
    notifications_settings = notifications_settings or NotificationsSettings()
    configure_logging(settings.log_level)
    for each in (settings, query_settings, attachments_settings, notifications_settings):
        each.data_dir.mkdir(parents=True, exist_ok=True)
    store = event_store_from_url(
        settings.resolved_event_store_url(), synchronous=settings.sqlite_synchronous
    )
    # One read of the store for the three consumers (shared_feed.py says why).
    feed = SharedFeed(StoreFeed(store))
    attachments = build_attachments_service(attachments_settings, feed=feed)
    tickets = build_tickets_service(
        settings, store=store, attachments=AttachmentsForTickets(attachments)
    )
    query = build_query_service(query_settings, store=store, feed=feed)
    query.attachments = AttachmentsForQuery(attachments)
    notifications = build_notifications_service(notifications_settings, feed=feed)
    return compose(tickets, query, attachments, notifications, panel_settings, shared_feed=feed)


def compose(
    tickets: TicketsService,
    query: QueryService,
    attachments: AttachmentsService | None = None,
    notifications: NotificationsService | None = None,
    panel_settings: PanelSettings | None = None,
    *,
    shared_feed: SharedFeed | None = None,
) -> FastAPI:
    """One app serving every service's routes (tests build the services themselves), and the
    panel under /panel calling that same app in-process; `shared_feed`, the consumers' one
    read of the store, stops after them."""
    consumers = [c for c in (query, attachments, notifications) if c is not None]

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for consumer in consumers:
            consumer.start()
        try:
            yield
        finally:
            for consumer in reversed(consumers):  # before the store they read closes
                await consumer.close()
            if shared_feed is not None:
                await shared_feed.close()
            await tickets.close()

    async def ready() -> bool:
        if not await tickets_http.is_ready(tickets):
            return False
        return all([await consumer.ready() for consumer in consumers])

    verifier = verifier_from(tickets.settings)
    app = build_app(
        title="Ticketing (embedded)",
        service="embedded",
        version="1",
        token_verifier=verifier,
        max_body_bytes=tickets.settings.max_body_bytes,
        readiness=ready,
        lifespan=lifespan,
        # uploads and the panel's forms (files included) enforce their own, larger limits
        body_limit_exempt=(ATTACHMENTS_PREFIX, PANEL_PREFIX),
    )
    tickets_http.attach(app, tickets)
    query_http.attach(app, query)
    if attachments is not None:
        attach_attachments(app, attachments)
    if notifications is not None:
        notifications_http.attach(app, notifications)
    panel_settings = panel_settings or PanelSettings()
    panel_client = httpx.AsyncClient(
        transport=StreamingASGITransport(app),
        base_url="http://embedded",
        follow_redirects=False,
        timeout=httpx.Timeout(panel_settings.panel_api_timeout_seconds, connect=5.0),
    )
    panel = create_panel_app(panel_settings, api_client=panel_client, verifier=verifier)
    app.mount(PANEL_PREFIX, panel)

    @app.get(PANEL_PREFIX, include_in_schema=False)
    async def panel_home() -> Response:
        # A relative redirect: the app makes no redirect from the Host header.
        return Response(status_code=303, headers={"Location": f"{PANEL_PREFIX}/"})

    return app
