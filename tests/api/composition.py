"""The embedded composition as `make run` builds it (`create_embedded_app`: tickets, queries,
attachments and notifications in one app, the consumers running), with a handle on each
service so a test can hold one consumer back while the others go on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from ticketing_attachments.bootstrap import AttachmentsService
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_notifications.bootstrap import NotificationsService
from ticketing_notifications.settings import NotificationsSettings
from ticketing_query.bootstrap import QueryService
from ticketing_query.settings import QuerySettings
from ticketing_tickets.settings import TicketsSettings
from unit.attachments.samples import pdf

from ticketing.embedded import create_embedded_app

from .query_fixtures import Desk, Who

RECEIPT = pdf()


@dataclass
class Composed:
    app: FastAPI
    client: httpx.AsyncClient
    desk: Desk  # writes through the command API, remembering the last position
    query: QueryService
    attachments: AttachmentsService
    notifications: NotificationsService

    async def upload(self, who: Who) -> str:
        files = {"file": ("فیش واریزی.pdf", RECEIPT, "application/pdf")}
        response = await self.client.post("/v1/attachments", files=files, headers=who)
        assert response.status_code == 201, response.text
        attachment_id: str = response.json()["attachment_id"]
        return attachment_id


@asynccontextmanager
async def composed(
    tmp_path: Path, *, on_disk: bool, wait_seconds: float = 1.0
) -> AsyncIterator[Composed]:
    """Everything in memory, or everything on SQLite files (and blobs in a directory);
    X-Min-Position waits at most `wait_seconds` everywhere."""

    def url(name: str) -> str:
        return f"sqlite:///{tmp_path / name}" if on_disk else "memory://"

    app = create_embedded_app(
        TicketsSettings(data_dir=tmp_path, event_store_url=url("events.db")),
        QuerySettings(
            data_dir=tmp_path,
            read_model_url=url("query.db"),
            min_position_wait_seconds=wait_seconds,
        ),
        AttachmentsSettings(
            data_dir=tmp_path,
            attachments_catalog_url=url("attachments.db"),
            attachments_blob_dir="" if on_disk else "memory://",
            min_position_wait_seconds=wait_seconds,
        ),
        NotificationsSettings(
            data_dir=tmp_path,
            notifications_store_url=url("notifications.db"),
            min_position_wait_seconds=wait_seconds,
        ),
    )
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://ticketing.test") as client,
    ):
        state = app.state
        yield Composed(
            app, client, Desk(client), state.query, state.attachments, state.notifications
        )
