"""How an envelope is kept in an event store, and rebuilt from it.

A store keeps `data` and a `metadata` mapping beside its own fields (stream, version, position,
event id, type). The envelope fields that are not the store's own travel in `metadata`, under
the names below. `envelope_from_stored` is the one mapping back to the public envelope (upcast
to current versions): the relay publishes it, `GET /v1/events` serves it, and the store feed
reads its consumers' events from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from .upcasting import upcast


class StoredEvent(Protocol):
    """The fields an event store hands back for one event (ticketing_eventstore fits)."""

    @property
    def position(self) -> int: ...
    @property
    def stream_id(self) -> str: ...
    @property
    def stream_version(self) -> int: ...
    @property
    def event_id(self) -> str: ...
    @property
    def event_type(self) -> str: ...
    @property
    def data(self) -> Mapping[str, Any]: ...
    @property
    def metadata(self) -> Mapping[str, Any]: ...
    @property
    def recorded_at(self) -> datetime: ...


def envelope_metadata(
    *,
    schema_version: int,
    occurred_at: datetime,
    brand_id: str,
    actor_id: str,
    actor_role: str,
    correlation_id: str,
    causation_id: str | None,
) -> dict[str, Any]:
    """The metadata to store beside an event's data."""
    return {
        "schema_version": schema_version,
        "occurred_at": occurred_at.isoformat(),
        "brand_id": brand_id,
        "actor": {"id": actor_id, "role": actor_role},
        "correlation_id": correlation_id,
        "causation_id": causation_id,
    }


def envelope_from_stored(record: StoredEvent) -> dict[str, Any]:
    """The public envelope (JSON-ready) of a stored event, upcast to its current schema."""
    meta = record.metadata
    version, data = upcast(record.event_type, int(meta.get("schema_version", 1)), dict(record.data))
    occurred_at = meta.get("occurred_at")
    return {
        "event_id": record.event_id,
        "event_type": record.event_type,
        "schema_version": version,
        "stream_id": record.stream_id,
        "stream_version": record.stream_version,
        "position": record.position,
        # Only records written before envelopes had it lack it: their store time stands in.
        "occurred_at": record.recorded_at.isoformat() if occurred_at is None else occurred_at,
        "brand_id": meta.get("brand_id"),
        "actor": meta.get("actor"),
        "correlation_id": meta.get("correlation_id"),
        "causation_id": meta.get("causation_id"),
        "data": data,
    }
