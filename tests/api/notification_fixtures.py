"""The notifications service in-process over a feed the test pushes events into."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from ticketing_notifications.bootstrap import NotificationsService, build_notifications_service
from ticketing_notifications.entrypoints.http import create_app
from ticketing_notifications.settings import NotificationsSettings
from ticketing_web.auth import mint_token
from ticketing_web.settings import DEV_JWT_SECRET
from unit.notifications.events import PushFeed, Story

__all__ = ["Story", "bearer", "notifications", "token"]


def token(role: str, sub: str, brand: str = "acme", **claims: Any) -> str:
    return mint_token(
        secret=DEV_JWT_SECRET,
        sub=sub,
        role=role,  # type: ignore[arg-type]
        brand=brand,
        ttl_seconds=600,
        now=int(time.time()),
        **claims,
    )


def bearer(role: str, sub: str, brand: str = "acme", **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, sub, brand, **claims)}"}


@dataclass
class Notifications:
    service: NotificationsService
    feed: PushFeed
    client: httpx.AsyncClient


@pytest.fixture(params=["memory", "sqlite"])
async def notifications(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Notifications]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'n.db'}"
    settings = NotificationsSettings(data_dir=tmp_path, notifications_store_url=url)
    feed = PushFeed()
    service = build_notifications_service(settings, feed=feed)
    app = create_app(service)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notify.test") as client:
        yield Notifications(service, feed, client)
    await service.close()
