"""The panel in the embedded process as `make run` serves it (every service in memory, the
consumers running), and people who sign in through /panel/sso, each with a browser-like client
of their own (cookie jar, no redirects followed)."""

from __future__ import annotations

import html
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_notifications.settings import NotificationsSettings
from ticketing_query.settings import QuerySettings
from ticketing_tickets.settings import DEV_JWT_SECRET, TicketsSettings
from ticketing_web.auth import mint_token

from ticketing.embedded import create_embedded_app

BASE = "http://ticketing.test"
PDF = (
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
OPENING = {
    "title": "خطا در ارسال پیامک انبوه",
    "department": "technical",
    "request_type": "technical",
    "priority": "high",
    "body": "سلام، از دیروز پیامک‌های انبوه ارسال نمی‌شوند. لطفاً بررسی کنید.",
}


def token(role: str, sub: str, brand: str = "acme", ttl: int = 600, **claims: Any) -> str:
    return mint_token(
        secret=DEV_JWT_SECRET,
        sub=sub,
        role=role,  # type: ignore[arg-type]
        brand=brand,
        ttl_seconds=ttl,
        now=int(time.time()),
        **claims,
    )


def hidden_fields(page: str, action: str) -> dict[str, str]:
    """The hidden inputs of the form posting to `action` on `page`."""
    found = re.search(
        rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page, flags=re.S
    )
    assert found, f"no form posting to {action}"
    return {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', found.group(1)
        )
    }


@dataclass
class Person:
    """One signed-in browser."""

    client: httpx.AsyncClient
    bearer: dict[str, str]
    sub: str

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def submit(
        self,
        page_path: str,
        action: str,
        data: dict[str, Any] | None = None,
        *,
        files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
        headers: dict[str, str] | None = None,
        hidden: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Opens `page_path`, fills the form posting to `action` and sends it."""
        if hidden is None:
            page = await self.client.get(page_path)
            assert page.status_code == 200, page.text
            hidden = hidden_fields(page.text, action)
        return await self.client.post(
            action, data={**hidden, **(data or {})}, files=files, headers=headers
        )


@dataclass
class Site:
    app: FastAPI
    transport: httpx.ASGITransport
    api: httpx.AsyncClient
    people: list[Person] = field(default_factory=list)

    def browser(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, base_url=BASE)

    async def sign_in(self, role: str, sub: str, brand: str = "acme", **claims: Any) -> Person:
        jwt = token(role, sub, brand, **claims)
        client = self.browser()
        answer = await client.get("/panel/sso", params={"jwt": jwt, "return_to": "/panel/"})
        assert answer.status_code == 303, answer.text
        person = Person(client, {"Authorization": f"Bearer {jwt}"}, sub)
        self.people.append(person)
        return person

    async def open_ticket(self, who: Person, **fields: Any) -> dict[str, Any]:
        """A ticket opened through the API (X-Min-Position used by the caller's reads)."""
        answer = await self.api.post("/v1/tickets", json={**OPENING, **fields}, headers=who.bearer)
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        await self.settle(who, body["position"])
        return body

    async def settle(self, who: Person, position: int) -> None:
        """Waits until the read side has the write at `position`."""
        answer = await self.api.get(
            "/v1/counters", headers={**who.bearer, "X-Min-Position": str(position)}
        )
        assert answer.status_code == 200, answer.text

    async def upload(self, who: Person, filename: str = "فیش واریزی.pdf") -> str:
        files = {"file": (filename, PDF, "application/pdf")}
        answer = await self.api.post("/v1/attachments", files=files, headers=who.bearer)
        assert answer.status_code == 201, answer.text
        attachment_id: str = answer.json()["attachment_id"]
        return attachment_id


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    app = create_embedded_app(
        TicketsSettings(data_dir=tmp_path, event_store_url="memory://"),
        QuerySettings(data_dir=tmp_path, read_model_url="memory://", min_position_wait_seconds=2),
        AttachmentsSettings(
            data_dir=tmp_path,
            attachments_catalog_url="memory://",
            attachments_blob_dir="memory://",
            min_position_wait_seconds=2,
        ),
        NotificationsSettings(
            data_dir=tmp_path, notifications_store_url="memory://", min_position_wait_seconds=2
        ),
    )
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=BASE) as api,
    ):
        built = Site(app, transport, api)
        try:
            yield built
        finally:
            for person in built.people:
                await person.client.aclose()
