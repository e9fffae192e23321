"""Domain events to the store's records and back, with the envelope fields as metadata.

The wire shape of `data` is the public contract (ticketing_contracts); old schema versions are
upcast on read, so the aggregate only ever sees current events.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any

from ticketing_contracts.events import CURRENT_VERSIONS
from ticketing_contracts.stored import envelope_metadata as stored_metadata
from ticketing_contracts.upcasting import upcast
from ticketing_eventstore.ports import NewEvent, RecordedEvent

from ticketing_tickets.domain import EVENT_TYPES, Priority, Side, TicketEvent

from .commands import Caller
from .ports import IdGenerator

#: The schema version of records that are not ticket events (tracking-code reservations).
SCHEMA_VERSION = 1
_BY_NAME: dict[str, type[TicketEvent]] = {cls.__name__: cls for cls in EVENT_TYPES}
_ENUM_FIELDS: dict[str, type[Priority] | type[Side]] = {
    "priority": Priority,
    "from_priority": Priority,
    "to_priority": Priority,
    "opened_by_side": Side,
    "author_side": Side,
}


def event_data(event: TicketEvent) -> dict[str, Any]:
    """The event's `data` as JSON-ready values (enums as their values, tuples as lists)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def to_new_events(
    events: Sequence[TicketEvent], *, caller: Caller, occurred_at: datetime, new_id: IdGenerator
) -> list[NewEvent]:
    return [
        NewEvent(
            event_id=as_event_id(new_id()),
            event_type=type(event).__name__,
            data=event_data(event),
            # Each event is written at its type's current schema version (the contracts' models).
            metadata=envelope_metadata(
                caller, occurred_at, schema_version=CURRENT_VERSIONS[type(event).__name__]
            ),
        )
        for event in events
    ]


def envelope_metadata(
    caller: Caller, occurred_at: datetime, *, schema_version: int = SCHEMA_VERSION
) -> dict[str, Any]:
    """The envelope fields the store keeps beside each event (DESIGN.md, Event envelope)."""
    return stored_metadata(
        schema_version=schema_version,
        occurred_at=occurred_at,
        brand_id=caller.brand_id,
        actor_id=caller.actor.id,
        actor_role=caller.actor.role.value,
        correlation_id=caller.correlation_id,
        causation_id=caller.causation_id,
    )


def from_recorded(record: RecordedEvent) -> TicketEvent:
    """Rebuild the domain event of a stored record, upcasting old schema versions first."""
    version = int(record.metadata.get("schema_version", 1))
    _, data = upcast(record.event_type, version, dict(record.data))
    cls = _BY_NAME[record.event_type]
    return cls(**_typed(data))


def _typed(data: Mapping[str, Any]) -> dict[str, Any]:
    """JSON values back to the dataclass field types (enums, tuples)."""
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, list):
            value = tuple(value)
        elif name in _ENUM_FIELDS:
            value = _ENUM_FIELDS[name](value)
        kwargs[name] = value
    return kwargs


def as_event_id(hex_id: str) -> str:
    """Event ids are UUID strings in the envelope (KurrentDB requires UUIDs)."""
    h = hex_id.replace("-", "")
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
