"""/docs and /redoc work without the internet: every script, style sheet and icon they name is
served by the app itself (no CDN host) and answers 200, on the embedded app, on each
service's own app and on the gateway."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

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

_REFERENCE = re.compile(r"""(?:src|href|url)\s*[=:]\s*["']([^"']+)["']""")


def _embedded(tmp: Path) -> FastAPI:
    return create_embedded_app(
        TicketsSettings(data_dir=tmp, event_store_url="memory://"),
        QuerySettings(data_dir=tmp, read_model_url="memory://"),
        AttachmentsSettings(
            data_dir=tmp, attachments_catalog_url="memory://", attachments_blob_dir="memory://"
        ),
        NotificationsSettings(data_dir=tmp, notifications_store_url="memory://"),
    )


def _tickets(tmp: Path) -> FastAPI:
    return tickets_app(
        build_tickets_service(TicketsSettings(data_dir=tmp, event_store_url="memory://"))
    )


def _query(tmp: Path) -> FastAPI:
    settings = QuerySettings(data_dir=tmp, event_store_url="memory://", read_model_url="memory://")
    return query_app(build_query_service(settings))


def _attachments(tmp: Path) -> FastAPI:
    settings = AttachmentsSettings(
        data_dir=tmp, attachments_catalog_url="memory://", attachments_blob_dir="memory://"
    )
    return attachments_app(build_attachments_service(settings, feed=InMemoryFeed()))


def _notifications(tmp: Path) -> FastAPI:
    settings = NotificationsSettings(data_dir=tmp, notifications_store_url="memory://")
    return notifications_app(build_notifications_service(settings, feed=InMemoryFeed()))


def _gateway(_: Path) -> FastAPI:
    # Upstreams nobody serves: the page and its files are the gateway's own.
    return create_gateway_app(GatewaySettings(gateway_tickets_url="http://127.0.0.1:9"))


APPS: dict[str, Callable[[Path], FastAPI]] = {
    "embedded": _embedded,
    "tickets": _tickets,
    "query": _query,
    "attachments": _attachments,
    "notifications": _notifications,
    "gateway": _gateway,
}
# The gateway serves Swagger UI only (its document is merged from the services').
PAGES = [(n, p) for n in APPS for p in ("/docs", "/redoc") if (n, p) != ("gateway", "/redoc")]


@pytest.mark.parametrize(("name", "page"), PAGES)
async def test_the_docs_page_names_no_outside_host_and_its_assets_answer(
    name: str, page: str, tmp_path: Path
) -> None:
    app = APPS[name](tmp_path)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ticketing.test") as client:
        response = await client.get(page)
        assert response.status_code == 200
        html = response.text
        assert "http://" not in html
        assert "https://" not in html
        references = _REFERENCE.findall(html)
        assert any(r.endswith(".js") for r in references), references
        assert "/openapi.json" in references
        for reference in references:
            if name == "gateway" and reference == "/openapi.json":
                continue  # merged from upstreams (tests/api/test_gateway_openapi.py)
            parts = urlsplit(reference)
            assert not parts.scheme
            assert not parts.netloc, reference
            asset = await client.get(reference)
            assert asset.status_code == 200, reference
            assert asset.content, reference
