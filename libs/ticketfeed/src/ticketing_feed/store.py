"""StoreFeed: the ticket event feed read straight from the event store (the embedded mode's,
a rebuild's, and a standalone service's over the store file).

The Kafka feed adapter (`kafka`) reads the same envelopes from the event topic.

Built on the store's batch subscription: each batch is whatever had committed when it was read
(up to `max_events`; nothing waits to fill a batch), then live batches as commits land. Records
are read as public envelopes (`envelope_from_stored`, the one stored-event mapping, which the
relay and `GET /v1/events` use too) and become `EventIn`s through `envelopes.event_from_envelope`,
the checks the Kafka feed shares; their data is trusted (our own store's, written only by the
tickets service: see `ticketing_contracts.decoding`). A record that cannot be read
as a ticket event (a stream id that is not a ticket's, a brand that differs from its stream's,
missing fields, an unknown schema version) is logged and skipped, never raised: one bad event
must not stop a consumer. `reached` still moves past it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from ticketing_contracts.stored import StoredEvent, envelope_from_stored
from ticketing_contracts.topics import TICKET_STREAM_CATEGORY
from ticketing_eventstore.ports import EventReader

from .envelopes import UnreadableEvent, event_from_envelope
from .events import EventIn
from .ports import FeedBatch

_log = structlog.get_logger("ticketing.feed")


class StoreFeed:
    """`EventFeed` over an event store's ticket streams (`ticket-…`; other streams skipped)."""

    def __init__(self, store: EventReader, *, stream_prefix: str = f"{TICKET_STREAM_CATEGORY}-"):
        self._store = store
        self._prefix = stream_prefix

    async def batches(self, *, after: int, max_events: int = 1000) -> AsyncIterator[FeedBatch]:
        """History after `after` in batches of up to `max_events`, then live batches, forever."""
        subscription = self._store.subscribe_batches(
            after=after, stream_prefix=self._prefix, limit=max_events
        )
        try:
            async for batch in subscription:
                events = [event for record in batch.events if (event := to_event_in(record))]
                yield FeedBatch(events, batch.reached)
        finally:  # end the store's subscription now, not when the garbage collector gets to it
            close = getattr(subscription, "aclose", None)
            if close is not None:
                await close()

    async def head(self) -> int:
        return await self._store.head_position()


def to_event_in(record: StoredEvent) -> EventIn | None:
    """A stored ticket event as an `EventIn`; None (logged) if it is not a good one."""
    try:
        return event_from_envelope(envelope_from_stored(record), trusted=True)
    except UnreadableEvent as error:
        _skipped(record, str(error))
    except Exception as error:  # metadata that is not a mapping, a schema_version not a number
        _skipped(record, f"{type(error).__name__}: {error}")
    return None


def _skipped(record: StoredEvent, reason: str) -> None:
    _log.warning(
        "event_skipped",
        position=record.position,
        stream_id=record.stream_id,
        event_type=record.event_type,
        reason=reason,
    )
