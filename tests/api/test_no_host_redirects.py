"""No app answers a path with a trailing slash by redirecting to the `Host` the client sent:
`GET /v1/tickets/` with `Host: evil.example` was a 307 to `http://evil.example/v1/tickets`
(Starlette's redirect_slashes). Now it is a 404 problem, in every app that serves the API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from ticketing_attachments.bootstrap import build_attachments_service
from ticketing_attachments.entrypoints.http import create_app as attachments_app
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_feed.memory import InMemoryFeed
from ticketing_notifications.bootstrap import build_notifications_service
from ticketing_notifications.entrypoints.http import create_app as notifications_app
from ticketing_notifications.settings import NotificationsSettings
from ticketing_query.bootstrap import build_query_service
from ticketing_query.entrypoints.http import create_app as query_app
from ticketing_query.settings import QuerySettings
from ticketing_tickets.bootstrap import build_tickets_service
from ticketing_tickets.entrypoints.http import create_app as tickets_app
from ticketing_tickets.settings import TicketsSettings

from ticketing.embedded import create_embedded_app
from ticketing.gateway import GatewaySettings, create_gateway_app

from .query_fixtures import admin, customer

PATHS = [
    ("GET", "/v1/tickets/"),
    ("POST", "/v1/tickets/"),
    ("GET", "/v1/counters/"),
    ("GET", "/v1/departments/"),
    ("GET", "/v1/events/"),
    ("GET", "/v1/notifications/"),
    ("PUT", "/v1/notifications/preferences/"),
    ("POST", "/v1/attachments/"),
    ("GET", "/healthz/"),
    ("GET", "/metrics/"),
]


def embedded(tmp_path: Path) -> FastAPI:
    return create_embedded_app(
        TicketsSettings(data_dir=tmp_path, event_store_url="memory://"),
        QuerySettings(data_dir=tmp_path, read_model_url="memory://"),
        AttachmentsSettings(
            data_dir=tmp_path, attachments_catalog_url="memory://", attachments_blob_dir="memory://"
        ),
        NotificationsSettings(data_dir=tmp_path, notifications_store_url="memory://"),
    )


def each_service(tmp_path: Path) -> list[FastAPI]:
    return [
        tickets_app(
            build_tickets_service(TicketsSettings(data_dir=tmp_path, event_store_url="memory://"))
        ),
        query_app(
            build_query_service(
                QuerySettings(
                    data_dir=tmp_path, event_store_url="memory://", read_model_url="memory://"
                )
            )
        ),
        attachments_app(
            build_attachments_service(
                AttachmentsSettings(
                    data_dir=tmp_path,
                    attachments_catalog_url="memory://",
                    attachments_blob_dir="memory://",
                ),
                feed=InMemoryFeed(),
            )
        ),
        notifications_app(
            build_notifications_service(
                NotificationsSettings(data_dir=tmp_path, notifications_store_url="memory://"),
                feed=InMemoryFeed(),
            )
        ),
    ]


APPS: dict[str, Callable[[Path], list[FastAPI]]] = {
    "embedded": lambda tmp_path: [embedded(tmp_path)],
    "each service": each_service,
}


@pytest.fixture(params=list(APPS))
async def apps(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[FastAPI]]:
    made = APPS[request.param](tmp_path)
    async with AsyncExitStack() as stack:
        for app in made:
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield made


async def assert_no_redirect(app: FastAPI) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://evil.example"
    ) as client:
        for method, path in PATHS:
            for who in (customer(), admin(), {}):
                response = await client.request(method, path, headers=who)
                assert not response.is_redirect, (method, path, response.headers)
                assert "evil.example" not in response.headers.get("location", "")
                if response.status_code == 404:
                    assert response.headers["content-type"] == "application/problem+json"


async def test_no_app_redirects_a_trailing_slash_to_the_host_it_was_sent(
    apps: list[FastAPI],
) -> None:
    for app in apps:
        await assert_no_redirect(app)


async def test_the_gateway_neither_redirects_nor_passes_on_a_redirect(tmp_path: Path) -> None:
    upstream = embedded(tmp_path)
    gateway = create_gateway_app(GatewaySettings(), transport=httpx.ASGITransport(app=upstream))
    async with upstream.router.lifespan_context(upstream), gateway.router.lifespan_context(gateway):
        await assert_no_redirect(gateway)
