"""The event store: the port every adapter honours, its adapters (in memory, SQLite, KurrentDB),
and `open_event_store`, which chooses one by URL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from .urls import open_event_store

if TYPE_CHECKING:
    from .kurrentdb import KurrentDBEventStore


def __getattr__(name: str) -> Any:
    # On first use only: the gRPC client costs a quarter of a second to import, which the
    # embedded mode would pay for nothing.
    if name == "KurrentDBEventStore":
        from .kurrentdb import KurrentDBEventStore

        return KurrentDBEventStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    "KurrentDBEventStore",
    "NewEvent",
    "RecordedEvent",
    "SqliteEventStore",
    "WrongExpectedVersion",
    "open_event_store",
]
