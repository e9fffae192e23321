"""The event store: the port every adapter honours, and `open_event_store`, which chooses an
adapter by URL.

Only the port and its values are exported here; the adapters live in their own modules
(`ticketing_eventstore.memory.InMemoryEventStore`, `.sqlite.SqliteEventStore`,
`.kurrentdb.KurrentDBEventStore`), so that importing the port loads no SQLite or gRPC client.
"""

from __future__ import annotations

from .ports import (
    ANY_VERSION,
    NO_STREAM,
    AppendResult,
    DuplicateEventId,
    EventBatch,
    EventReader,
    EventStore,
    EventStoreClosed,
    EventStoreError,
    EventWriter,
    NewEvent,
    RecordedEvent,
    StreamReader,
    WrongExpectedVersion,
)
from .urls import open_event_store

__all__ = [
    "ANY_VERSION",
    "NO_STREAM",
    "AppendResult",
    "DuplicateEventId",
    "EventBatch",
    "EventReader",
    "EventStore",
    "EventStoreClosed",
    "EventStoreError",
    "EventWriter",
    "NewEvent",
    "RecordedEvent",
    "StreamReader",
    "WrongExpectedVersion",
    "open_event_store",
]
