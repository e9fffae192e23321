"""An in-process tickets app over the in-memory store, and tokens for every kind of caller."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from ticketing_tickets.bootstrap import build_tickets_service
from ticketing_tickets.entrypoints.http import create_app
from ticketing_tickets.settings import DEV_JWT_SECRET, TicketsSettings
from ticketing_web.auth import mint_token

Auth = Callable[..., dict[str, str]]


def token_for(role: str, sub: str, brand: str = "acme", **claims: Any) -> str:
    return mint_token(
        secret=DEV_JWT_SECRET,
        sub=sub,
        role=role,
        brand=brand,  # type: ignore[arg-type]
        ttl_seconds=600,
        now=int(time.time()),
        **claims,
    )


@pytest.fixture
def auth() -> Auth:
    def headers(
        role: str = "customer", sub: str = "cust-1", brand: str = "acme", **claims: Any
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(role, sub, brand, **claims)}"}

    return headers


@pytest.fixture(params=["memory", "sqlite"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> TicketsSettings:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'events.db'}"
    return TicketsSettings(event_store_url=url, data_dir=tmp_path, max_body_bytes=64 * 1024)


@pytest.fixture
async def client(settings: TicketsSettings) -> AsyncIterator[httpx.AsyncClient]:
    service = build_tickets_service(settings)
    app = create_app(service)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tickets.test") as c:
        yield c
    await service.close()


NEW_TICKET = {
    "title": "خطا در ارسال پیامک انبوه",
    "department": "technical",
    "priority": "high",
    "body": "سلام، از دیروز پیامک‌های انبوه ارسال نمی‌شوند. لطفاً بررسی کنید.",
}


@pytest.fixture
def open_ticket(client: httpx.AsyncClient, auth: Auth) -> Callable[..., Any]:
    async def opener(headers: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
        response = await client.post(
            "/v1/tickets", json={**NEW_TICKET, **fields}, headers=headers or auth()
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return opener


# The attachments service alone, fed events by the test, for tests/api/test_attachments*.py;
# the embedded composition (tickets + queries) for tests/api/test_queries*.py.
from .attachment_fixtures import attachments_desk  # noqa: E402, F401
from .notification_fixtures import notifications  # noqa: E402, F401
from .query_fixtures import desk, embedded  # noqa: E402, F401
