"""One reading of a public envelope into an `EventIn`, for every feed adapter: the only place
a consumer's event is checked and parsed.

The store feed passes the envelope of a stored record (`ticketing_contracts.stored`, the one
stored-event mapping), the Kafka feed a record value's. Both get the same checks, once: a ticket
stream whose brand is the envelope's, a known event type and schema version (upcast to the
current one), data that fits the current model (`ticketing_contracts.decode_event`: validated
for Kafka records, trusted for our own store's, see there), an actor, a timezone-aware
`occurred_at`. What fails raises `UnreadableEvent` with the reason; each adapter decides what
to do with it (log and skip, or park it in the dead-letter topic). Consumers downstream check
none of this again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ticketing_contracts.decoding import decode_event
from ticketing_contracts.topics import parse_ticket_stream_id

from .events import EventIn


class UnreadableEvent(ValueError):
    """A record that is not a good ticket event; the message says why."""


def read_event(
    *,
    position: int,
    stream_id: str,
    stream_version: int,
    event_type: str,
    schema_version: int,
    brand_id: object,
    occurred_at: object,
    actor: object,
    data: Mapping[str, Any],
    trusted: bool = False,
) -> EventIn:
    """The event these envelope fields describe; UnreadableEvent if they are not a good one.

    `trusted`: the data comes from our own event store (see `decode_event`)."""
    parsed = parse_ticket_stream_id(stream_id)
    if parsed is None:
        raise UnreadableEvent("not a ticket stream")
    stream_brand, ticket_id = parsed
    if brand_id != stream_brand:
        raise UnreadableEvent(f"envelope brand {brand_id!r} is not the stream's")
    try:
        event = decode_event(event_type, schema_version, data, trusted=trusted)
        when = datetime.fromisoformat(occurred_at)  # type: ignore[arg-type]  # TypeError: caught
        if when.tzinfo is None:
            raise UnreadableEvent("occurred_at has no time zone")
        return EventIn(
            position=position,
            brand_id=stream_brand,
            ticket_id=ticket_id,
            stream_version=stream_version,
            occurred_at=when,
            actor_id=str(actor["id"]),  # type: ignore[index]  # TypeError: caught
            actor_role=str(actor["role"]),  # type: ignore[index]
            event=event,
        )
    except UnreadableEvent:
        raise
    except Exception as error:  # any malformed field: one reason, never a crash
        raise UnreadableEvent(f"{type(error).__name__}: {error}") from error


def event_from_envelope(envelope: Mapping[str, Any], *, trusted: bool = False) -> EventIn:
    """A public envelope (a Kafka record's value, an item of `GET /v1/events`, a stored record's
    envelope) as an EventIn; `trusted` only for our own store's records (see `decode_event`)."""
    try:
        position = _positive_int(envelope, "position")
        stream_version = _positive_int(envelope, "stream_version")
        schema_version = _positive_int(envelope, "schema_version")
        stream_id, event_type, data = (
            envelope["stream_id"],
            envelope["event_type"],
            envelope["data"],
        )
        brand_id, occurred_at, actor = (
            envelope["brand_id"],
            envelope["occurred_at"],
            envelope["actor"],
        )
    except KeyError as missing:
        raise UnreadableEvent(f"envelope lacks {missing}") from None
    if not isinstance(stream_id, str) or not isinstance(event_type, str):
        raise UnreadableEvent("stream_id and event_type must be strings")
    if not isinstance(data, Mapping):
        raise UnreadableEvent("data must be an object")
    return read_event(
        position=position,
        stream_id=stream_id,
        stream_version=stream_version,
        event_type=event_type,
        schema_version=schema_version,
        brand_id=brand_id,
        occurred_at=occurred_at,
        actor=actor,
        data=data,
        trusted=trusted,
    )


def _positive_int(envelope: Mapping[str, Any], name: str) -> int:
    value = envelope[name]
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise UnreadableEvent(f"{name} must be a positive integer, got {value!r}")
    return value
