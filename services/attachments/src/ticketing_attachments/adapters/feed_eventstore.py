"""StoreEvents: the standalone service's own feed of ticket events from an event store.

The embedded process passes the query service's feed instead (same shape); this one exists so
the attachments service can run alone without importing another service. It reads only what
references need; a record that is not a good ticket event is logged and skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from ticketing_contracts.topics import TICKET_STREAM_CATEGORY, parse_ticket_stream_id
from ticketing_contracts.upcasting import upcast
from ticketing_eventstore.ports import EventStore, RecordedEvent

_log = structlog.get_logger("ticketing.attachments.feed")


@dataclass(frozen=True, slots=True)
class FeedEvent:
    position: int
    brand_id: str
    ticket_id: str
    stream_version: int
    event_type: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FeedBatch:
    events: Sequence[FeedEvent]
    reached: int


class StoreEvents:
    """`EventFeed` over an event store's ticket streams."""

    def __init__(self, store: EventStore) -> None:
        self._store = store

    async def batches(self, *, after: int, max_events: int = 1000) -> AsyncIterator[FeedBatch]:
        subscription = self._store.subscribe_batches(
            after=after, stream_prefix=f"{TICKET_STREAM_CATEGORY}-", limit=max_events
        )
        try:
            async for batch in subscription:
                events = [e for r in batch.events if (e := _event(r)) is not None]
                yield FeedBatch(events, batch.reached)
        finally:
            close = getattr(subscription, "aclose", None)
            if close is not None:
                await close()

    async def head(self) -> int:
        return await self._store.head_position()


def _event(record: RecordedEvent) -> FeedEvent | None:
    parsed = parse_ticket_stream_id(record.stream_id)
    try:
        if parsed is None or record.metadata.get("brand_id") != parsed[0]:
            raise ValueError("not a ticket stream of the envelope's brand")
        version = int(record.metadata.get("schema_version", 1))
        _, data = upcast(record.event_type, version, dict(record.data))
    except Exception as error:  # one bad record must not stop the consumer
        _log.warning("event_skipped", position=record.position, reason=str(error))
        return None
    brand_id, ticket_id = parsed
    return FeedEvent(
        record.position, brand_id, ticket_id, record.stream_version, record.event_type, data
    )
