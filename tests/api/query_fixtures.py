"""The embedded composition in-process (tickets + queries, projector running), on both adapter
pairs, and `Desk`: a client that remembers the last position it wrote and reads with it
(X-Min-Position), as a real client after its own writes would."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from ticketing_query.bootstrap import QueryService, build_query_service
from ticketing_query.settings import QuerySettings
from ticketing_tickets.bootstrap import TicketsService, build_tickets_service
from ticketing_tickets.settings import DEV_JWT_SECRET, TicketsSettings
from ticketing_web.auth import mint_token

from ticketing.embedded import compose

Who = dict[str, str]

OPENING = {
    "title": "خطا در ارسال پیامک انبوه",
    "department": "technical",
    "priority": "high",
    "body": "سلام، از دیروز پیامک‌های انبوه ارسال نمی‌شوند. لطفاً بررسی کنید.",
}


def customer(sub: str = "cust-1", brand: str = "acme") -> Who:
    return _bearer("customer", sub, brand)


def representative(customers: list[str], sub: str = "rep-1", brand: str = "acme") -> Who:
    return _bearer("representative", sub, brand, customers=customers)


def agent(departments: list[str] | None = None, sub: str = "agent-1", brand: str = "acme") -> Who:
    return _bearer("agent", sub, brand, departments=departments)


def admin(sub: str = "admin-1", brand: str = "acme") -> Who:
    return _bearer("admin", sub, brand)


def _bearer(role: Any, sub: str, brand: str, **claims: Any) -> Who:
    token = mint_token(
        secret=DEV_JWT_SECRET,
        sub=sub,
        role=role,
        brand=brand,
        ttl_seconds=600,
        now=int(time.time()),
        **claims,
    )
    return {"Authorization": f"Bearer {token}"}


class Desk:
    """Writes through the command API; reads through the query API at the last position written."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.position = 0

    async def open(self, who: Who, **fields: Any) -> dict[str, Any]:
        return await self._write("/v1/tickets", who, {**OPENING, **fields}, 201)

    async def reply(self, who: Who, ticket_id: str, body: str, **flags: Any) -> dict[str, Any]:
        payload = {"body": body, **flags}
        return await self._write(f"/v1/tickets/{ticket_id}/messages", who, payload, 201)

    async def read(self, who: Who, ticket_id: str) -> dict[str, Any]:
        return await self._write(f"/v1/tickets/{ticket_id}/read", who, None, 200)

    async def close(self, who: Who, ticket_id: str) -> dict[str, Any]:
        return await self._write(f"/v1/tickets/{ticket_id}/close", who, {"reason": "حل شد"}, 200)

    async def change(self, who: Who, ticket_id: str, **fields: Any) -> dict[str, Any]:
        response = await self.client.patch(f"/v1/tickets/{ticket_id}", json=fields, headers=who)
        return self._written(response, 200)

    async def get(self, path: str, who: Who, **params: Any) -> httpx.Response:
        headers = {**who, "X-Min-Position": str(self.position)}
        return await self.client.get(path, params=params, headers=headers)

    async def json(self, path: str, who: Who, **params: Any) -> Any:
        response = await self.get(path, who, **params)
        assert response.status_code == 200, response.text
        return response.json()

    async def ticket(self, who: Who, ticket_id: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.json(f"/v1/tickets/{ticket_id}", who)
        return found

    async def listed(self, who: Who, **params: Any) -> list[dict[str, Any]]:
        """Every ticket of every page, in order."""
        items: list[dict[str, Any]] = []
        page = await self.json("/v1/tickets", who, **params)
        items += page["items"]
        while page["next_cursor"] is not None:
            page = await self.json("/v1/tickets", who, **params, cursor=page["next_cursor"])
            items += page["items"]
        return items

    async def ids(self, who: Who, **params: Any) -> list[str]:
        return [t["ticket_id"] for t in await self.listed(who, **params)]

    async def _write(self, path: str, who: Who, payload: Any, status: int) -> dict[str, Any]:
        response = await self.client.post(path, json=payload, headers=who)
        return self._written(response, status)

    def _written(self, response: httpx.Response, status: int) -> dict[str, Any]:
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        self.position = max(self.position, body["position"])
        return body


@dataclass
class Embedded:
    app: FastAPI
    client: httpx.AsyncClient
    desk: Desk
    tickets: TicketsService
    query: QueryService


@pytest.fixture(params=["memory", "sqlite"])
async def embedded(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Embedded]:
    """The embedded app with its lifespan running: memory store + memory read model, or both on
    SQLite files."""
    on_disk = request.param == "sqlite"
    settings = TicketsSettings(
        event_store_url=f"sqlite:///{tmp_path / 'events.db'}" if on_disk else "memory://",
        data_dir=tmp_path,
    )
    query_settings = QuerySettings(
        read_model_url=f"sqlite:///{tmp_path / 'query.db'}" if on_disk else "memory://",
        data_dir=tmp_path,
        min_position_wait_seconds=0.5,
    )
    tickets = build_tickets_service(settings)
    query = build_query_service(query_settings, store=tickets.store)
    app = compose(tickets, query)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://ticketing.test") as client,
    ):
        yield Embedded(app, client, Desk(client), tickets, query)


@pytest.fixture
def desk(embedded: Embedded) -> Desk:
    return embedded.desk
