"""Ticket events as the feed hands them over, and a feed tests can push batches into."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from ticketing_feed import EventIn, FeedBatch

from tests.typed_events import event_in

T0 = datetime(2025, 6, 20, 10, 35, tzinfo=UTC)
TICKET = "a" * 32


class Story:
    """Builds one ticket's events in order: positions and versions count up."""

    def __init__(self, ticket_id: str = TICKET, brand: str = "acme", start: int = 0) -> None:
        self.ticket_id = ticket_id
        self.brand = brand
        self.position = start
        self.version = 0

    def event(self, event_type: str, role: str, actor: str, **data: Any) -> EventIn:
        self.position += 1
        self.version += 1
        return event_in(
            position=self.position,
            brand_id=self.brand,
            ticket_id=self.ticket_id,
            stream_version=self.version,
            event_type=event_type,
            occurred_at=T0 + timedelta(minutes=self.version),
            actor_id=actor,
            actor_role=role,
            data=data,
        )

    def opened(self, *, by: str = "customer", customer: str = "cust-1") -> EventIn:
        side = "customer" if by in ("customer", "representative") else "agent"
        actor = customer if by == "customer" else f"{by}-1"
        return self.event(
            "TicketOpened",
            by,
            actor,
            ticket_id=self.ticket_id,
            tracking_code="87831491",
            customer_id=customer,
            title="درخواست پیش فاکتور",
            department="finance",
            request_type="general",
            priority="normal",
            message_id="m" + str(self.version + 1),
            body="لطفاً پیش فاکتور ارتقای پنل را بفرستید.",
            attachment_ids=[],
            opened_by_side=side,
        )

    def message(self, *, by: str, internal: bool = False) -> EventIn:
        side = "customer" if by in ("customer", "representative") else "agent"
        return self.event(
            "MessagePosted",
            by,
            f"{by}-1",
            message_id=f"m{self.version + 1}",
            body="پیش فاکتور پیوست شد؛ لطفاً بررسی بفرمایید.",
            attachment_ids=[],
            internal=internal,
            follow_up=False,
            author_side=side,
        )


class PushFeed:
    """A feed whose batches are whatever the test pushes, in order."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[FeedBatch] = asyncio.Queue()

    def push(self, *events: EventIn) -> None:
        reached = max((e.position for e in events), default=0)
        self._queue.put_nowait(FeedBatch(list(events), reached))

    async def batches(self, *, after: int, max_events: int = 1000) -> AsyncIterator[FeedBatch]:
        while True:
            yield await self._queue.get()

    async def head(self) -> int:
        return 0
