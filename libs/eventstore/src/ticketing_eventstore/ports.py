"""The event store ports: what every adapter (memory, SQLite, KurrentDB) promises.

`EventWriter` appends, `EventReader` reads (`StreamReader`: one stream only), `EventStore` is
both plus `close`, for adapters and whoever owns one.

Versions are 1-based: the first event of a stream has stream_version 1, and a stream that does
not exist has version 0. Positions are global, strictly increasing in commit order, and start at 1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

#: expected_version value for "append only if the stream does not exist yet".
NO_STREAM = 0
#: expected_version value for "append whatever the stream's version is".
ANY_VERSION = None


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append. `data` and `metadata` must be JSON-serialisable mappings."""

    event_id: str
    event_type: str
    data: Mapping[str, Any]
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as the store holds it, with its place in its stream and in the global order."""

    position: int
    stream_id: str
    stream_version: int
    event_id: str
    event_type: str
    data: Mapping[str, Any]
    metadata: Mapping[str, Any]
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class AppendResult:
    """The stream's version after the append and the global position of its last event."""

    version: int
    position: int


@dataclass(frozen=True, slots=True)
class EventBatch:
    """Events of a batch subscription, and the position the store has been looked at up to.

    `reached` may be past the last event (events of other streams were skipped, or there were
    none): a consumer resuming after `reached` misses nothing it asked for.
    """

    events: list[RecordedEvent]
    reached: int


class EventStoreError(Exception):
    """Base of the errors an adapter raises on purpose."""


class WrongExpectedVersion(EventStoreError):
    """The stream was not at the version the caller expected; nothing was written."""

    def __init__(self, stream_id: str, expected: int | None, actual: int) -> None:
        super().__init__(f"stream {stream_id!r} is at version {actual}, expected {expected}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class DuplicateEventId(EventStoreError):
    """An event with this event_id is already stored (or repeated in the same append); nothing
    of that append was written."""

    def __init__(self, stream_id: str, event_id: str) -> None:
        super().__init__(f"event {event_id!r} appended to {stream_id!r} is already stored")
        self.stream_id = stream_id
        self.event_id = event_id


class EventStoreClosed(EventStoreError):
    """The store was closed; it accepts no more appends or reads."""


class EventWriter(Protocol):
    """Appends to streams: what a command handler needs to record a decision."""

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        *,
        expected_version: int | None,
    ) -> AppendResult:
        """Append atomically. `expected_version`: an int (0 = no stream) or None (any).

        Raises WrongExpectedVersion, writing nothing, when the stream is elsewhere. Once this
        returns, the events are durable to the adapter's documented policy.
        """
        ...


class StreamReader(Protocol):
    """Reads one stream: what a command handler needs to load an aggregate."""

    async def read_stream(self, stream_id: str, *, from_version: int = 1) -> list[RecordedEvent]:
        """The stream's events from `from_version` on, oldest first; [] for no stream."""
        ...


class EventReader(StreamReader, Protocol):
    """Reads the history: one stream, everything in global order, catch-up subscriptions and
    the head. What the feeds, the relay and `GET /v1/events` need; none of them writes."""

    async def read_all(
        self, *, after: int = 0, limit: int = 1000, stream_prefix: str | None = None
    ) -> list[RecordedEvent]:
        """Up to `limit` events with position > `after` in global order, optionally only
        those whose stream id starts with `stream_prefix`."""
        ...

    async def head_position(self) -> int:
        """The position of the last event committed (0 when empty)."""
        ...

    def subscribe(
        self, *, after: int = 0, stream_prefix: str | None = None
    ) -> AsyncIterator[RecordedEvent]:
        """Catch-up subscription: every event after `after`, then live events as they commit,
        in global order, forever (until the consumer stops iterating or the store closes)."""
        ...

    def subscribe_batches(
        self, *, after: int = 0, stream_prefix: str | None = None, limit: int = 1000
    ) -> AsyncIterator[EventBatch]:
        """Like `subscribe`, a batch at a time: each batch holds what is available at once (up
        to `limit` events; the wait is only for the first), in global order, with the position
        reached. A batch may be empty when only other streams' events were passed over; none is
        yielded while nothing new has committed."""
        ...


class EventStore(EventReader, EventWriter, Protocol):
    """Append-only streams of events with a global order and catch-up subscriptions: the
    reader and the writer in one, as every adapter implements them, and the adapter's
    lifetime. Users take the narrowest port they need; whoever opened a store closes it."""

    async def close(self) -> None:
        """Release connections and threads; pending appends finish first."""
        ...
