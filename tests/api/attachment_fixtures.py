"""An attachments app of its own (build_app + attach), fed ticket events by the test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from ticketing_attachments.bootstrap import AttachmentsService, build_attachments_service
from ticketing_attachments.entrypoints.http import ATTACHMENTS_PREFIX, attach
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_feed.memory import InMemoryFeed
from ticketing_web import build_app
from ticketing_web.settings import verifier_from
from unit.attachments.samples import event_data

from tests.typed_events import event_in

from .conftest import token_for

MAX_UPLOAD = 256 * 1024


@dataclass
class Desk:
    client: httpx.AsyncClient
    service: AttachmentsService
    feed: InMemoryFeed
    position: int = 0

    async def upload(
        self, who: dict[str, str], data: bytes, filename: str, content_type: str | None
    ) -> httpx.Response:
        file: tuple[Any, ...] = (
            (filename, data) if content_type is None else (filename, data, content_type)
        )
        return await self.client.post("/v1/attachments", files={"file": file}, headers=who)

    async def stored(
        self, who: dict[str, str], data: bytes, filename: str, content_type: str
    ) -> str:
        response = await self.upload(who, data, filename, content_type)
        assert response.status_code == 201, response.text
        attachment_id: str = response.json()["attachment_id"]
        return attachment_id

    async def happen(self, ticket_id: str, version: int, event_type: str, **data: Any) -> None:
        """A ticket event, as the tickets service would append it; waits until consumed."""
        self.position += 1
        if event_type == "TicketOpened":
            data.setdefault("ticket_id", ticket_id)
        event = event_in(
            self.position,
            "acme",
            ticket_id,
            version,
            event_type,
            datetime.now(UTC),
            "cust-1",
            "customer",
            event_data(event_type, **data),
        )
        self.feed.extend([event])
        async with asyncio.timeout(5):
            while self.service.subscription.applied < self.position:  # noqa: ASYNC110 - a counter
                await asyncio.sleep(0.005)


def who(role: str, sub: str, brand: str = "acme", **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(role, sub, brand, **claims)}"}


@pytest.fixture(params=["memory", "disk"])
async def attachments_desk(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Desk]:
    on_disk = request.param == "disk"
    settings = AttachmentsSettings(
        data_dir=tmp_path,
        attachments_catalog_url="" if on_disk else "memory://",
        attachments_blob_dir="" if on_disk else "memory://",
        attachments_max_bytes=MAX_UPLOAD,
        max_body_bytes=64 * 1024,  # the app-wide limit, smaller than the upload cap
    )
    feed = InMemoryFeed()
    service = build_attachments_service(settings, feed=feed)
    app = build_app(
        title="attachments under test",
        service="attachments",
        version="1",
        token_verifier=verifier_from(settings),
        max_body_bytes=settings.max_body_bytes,
        readiness=service.ready,
        body_limit_exempt=(ATTACHMENTS_PREFIX,),
    )
    attach(app, service)
    service.start()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://attachments.test") as c:
        yield Desk(c, service, feed)
    await service.close()


def ids_of(response: httpx.Response) -> str:
    return str(response.json()["attachment_id"])
