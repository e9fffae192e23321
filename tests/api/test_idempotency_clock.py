"""Idempotency records are stamped by the service's clock (injected), not the wall clock, so
their age — replay within 24 h, a fresh run after — follows the time the service is given."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from ticketing_tickets.bootstrap import TicketsService, build_tickets_service
from ticketing_tickets.entrypoints.http import create_app
from ticketing_tickets.settings import TicketsSettings

from .conftest import NEW_TICKET, Auth

NOWRUZ = datetime(2025, 3, 20, 9, 30, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOWRUZ

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def ticking(settings: TicketsSettings) -> AsyncIterator[tuple[httpx.AsyncClient, Clock]]:
    clock = Clock()
    service: TicketsService = build_tickets_service(settings)
    service.clock = clock
    transport = httpx.ASGITransport(app=create_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://tickets.test") as client:
        yield client, clock
    await service.close()


@pytest.mark.parametrize(
    ("later", "replayed"),
    [(timedelta(hours=23), True), (timedelta(hours=25), False)],
    ids=["a day not yet passed", "a day passed"],
)
async def test_a_keyed_retry_replays_only_while_the_services_clock_says_the_record_is_young(
    ticking: tuple[httpx.AsyncClient, Clock], auth: Auth, later: timedelta, replayed: bool
) -> None:
    client, clock = ticking
    headers = {**auth(sub="maryam"), "Idempotency-Key": "پیش-فاکتور-۱".encode().hex()}
    first = await client.post("/v1/tickets", json=NEW_TICKET, headers=headers)
    assert first.status_code == 201, first.text
    clock.now = NOWRUZ + later
    again = await client.post("/v1/tickets", json=NEW_TICKET, headers=headers)
    assert again.status_code == 201, again.text
    assert ("idempotent-replayed" in again.headers) is replayed
    assert again.json()["ticket_id"] == first.json()["ticket_id"]  # the key's derived id
