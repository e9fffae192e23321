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


def event_from_envelope(envelope: Mapping[str, Any], *, trusted: bool = False) -> EventIn:
    """A public envelope (a Kafka record's value, an item of `GET /v1/events`, a stored record's
    envelope) as an EventIn; UnreadableEvent if it is not a good one.

    `trusted` only for our own store's envelopes (`envelope_from_stored`): their positions and
    versions are the store's integers, and their data is built without checking each value
    again (see `ticketing_contracts.decoding`). Stream, brand, type, version, data fields,
    actor and time are checked either way."""
    try:
        stream_id, event_type, data = (
            envelope["stream_id"],
            envelope["event_type"],
            envelope["data"],
        )
        position, stream_version, schema_version = (
            envelope["position"],
            envelope["stream_version"],
            envelope["schema_version"],
        )
        brand_id, occurred_at, actor = (
            envelope["brand_id"],
            envelope["occurred_at"],
            envelope["actor"],
        )
    except KeyError as missing:
        raise UnreadableEvent(f"envelope lacks {missing}") from None
    if not trusted:
        _check_shape(envelope, stream_id, event_type, data)
    parsed = parse_ticket_stream_id(stream_id)
    if parsed is None:
        raise UnreadableEvent("not a ticket stream")
    stream_brand, ticket_id = parsed
    if brand_id != stream_brand:
        raise UnreadableEvent(f"envelope brand {brand_id!r} is not the stream's")
    try:
        event = decode_event(event_type, schema_version, data, trusted=trusted)
        when = datetime.fromisoformat(occurred_at)
        if when.tzinfo is None:
            raise UnreadableEvent("occurred_at has no time zone")
        return EventIn(
            position,
            stream_brand,
            ticket_id,
            stream_version,
            when,
            str(actor["id"]),
            str(actor["role"]),
            event,
        )
    except UnreadableEvent:
        raise
    except Exception as error:  # any malformed field: one reason, never a crash
        raise UnreadableEvent(f"{type(error).__name__}: {error}") from error


def _check_shape(envelope: Mapping[str, Any], stream_id: Any, event_type: Any, data: Any) -> None:
    """The types of what someone else's JSON holds, before it is read as an event."""
    for name in ("position", "stream_version", "schema_version"):
        value = envelope[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise UnreadableEvent(f"{name} must be a positive integer, got {value!r}")
    if not isinstance(stream_id, str) or not isinstance(event_type, str):
        raise UnreadableEvent("stream_id and event_type must be strings")
    if not isinstance(data, Mapping):
        raise UnreadableEvent("data must be an object")
