"""The event store: the port every adapter honours, and the in-memory and SQLite adapters."""

from .memory import InMemoryEventStore
from .ports import (
    ANY_VERSION,
    NO_STREAM,
    AppendResult,
    DuplicateEventId,
    EventBatch,
    EventStore,
    EventStoreClosed,
    EventStoreError,
    NewEvent,
    RecordedEvent,
    WrongExpectedVersion,
)
from .sqlite import SqliteEventStore

__all__ = [
    "ANY_VERSION",
    "NO_STREAM",
    "AppendResult",
    "DuplicateEventId",
    "EventBatch",
    "EventStore",
    "EventStoreClosed",
    "EventStoreError",
    "InMemoryEventStore",
    "NewEvent",
    "RecordedEvent",
    "SqliteEventStore",
    "WrongExpectedVersion",
]
