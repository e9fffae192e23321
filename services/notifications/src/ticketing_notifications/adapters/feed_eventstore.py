"""EventStoreFeed: the standalone service's feed, read straight from the event store.

The embedded process passes the query service's `StoreFeed` instead (the same shape); this one
exists so the service can run on its own over the store file. A record that is not a good
ticket event is logged and skipped, never raised; `reached` still moves past it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from ticketing_contracts.stored import StoredEvent
from ticketing_contracts.topics import TICKET_STREAM_CATEGORY, parse_ticket_stream_id
from ticketing_contracts.upcasting import upcast
from ticketing_eventstore.ports import EventStore

_log = structlog.get_logger("ticketing.notifications.feed")


@dataclass(frozen=True, slots=True)
class FeedEvent:
    position: int
    brand_id: str
    ticket_id: str
    stream_version: int
    event_type: str
    occurred_at: datetime
    actor_id: str
    actor_role: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Batch:
    events: Sequence[FeedEvent]
    reached: int


class EventStoreFeed:
    """`EventFeed` over an event store's ticket streams."""

    def __init__(self, store: EventStore) -> None:
        self._store = store

    async def batches(self, *, after: int, max_events: int = 1000) -> AsyncIterator[Batch]:
        subscription = self._store.subscribe_batches(
            after=after, stream_prefix=f"{TICKET_STREAM_CATEGORY}-", limit=max_events
        )
        try:
            async for batch in subscription:
                events = [event for record in batch.events if (event := feed_event(record))]
                yield Batch(events, batch.reached)
        finally:
            close = getattr(subscription, "aclose", None)
            if close is not None:
                await close()


def feed_event(record: StoredEvent) -> FeedEvent | None:
    """The record as a ticket event; None (logged) if it cannot be read as one."""
    parsed = parse_ticket_stream_id(record.stream_id)
    try:
        if parsed is None or record.metadata.get("brand_id") != parsed[0]:
            raise ValueError("not a ticket stream of the envelope's brand")
        meta = record.metadata
        _, data = upcast(record.event_type, int(meta.get("schema_version", 1)), dict(record.data))
        return FeedEvent(
            position=record.position,
            brand_id=parsed[0],
            ticket_id=parsed[1],
            stream_version=record.stream_version,
            event_type=record.event_type,
            occurred_at=datetime.fromisoformat(meta["occurred_at"]),
            actor_id=str(meta["actor"]["id"]),
            actor_role=str(meta["actor"]["role"]),
            data=data,
        )
    except Exception as error:  # any malformed record: skip it, keep consuming
        _log.warning("event_skipped", position=record.position, reason=str(error))
        return None
