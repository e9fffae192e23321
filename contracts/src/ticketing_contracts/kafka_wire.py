"""How ticket events travel on Kafka: the record of an event and of a position marker.

An event record (topic `tickets.events.v1`):
- key: the ticket id (UTF-8), so one ticket's events stay in one partition, in order;
- value: the public envelope as UTF-8 JSON, exactly what `GET /v1/events` serves (it validates
  against `schemas/envelope.json`, `data` against the event's own schema);
- headers: the CloudEvents Kafka binding in binary content mode (`ce_specversion`, `ce_id` =
  event id, `ce_source`, `ce_type`, `ce_subject` = stream id, `ce_time`, `content-type`), plus
  extension attributes a router can use without parsing the value (`ce_brandid`,
  `ce_position`, `ce_streamversion`, `ce_schemaversion`).

A position marker record (same topic, sent by the relay to every partition now and then):
- no key; header `ticketing-record: position-marker`; no `ce_*` headers (it is not an event);
- value: `{"type": "PositionMarker", "position": P}` — every event with a position ≤ P that
  belongs to this partition was written to it before the marker.

A consumer's applied position is the minimum over its partitions of the last position seen
there (event or marker), so `X-Min-Position` keeps its meaning over many partitions.

Pure standard library (plus this package): both the relay and the consumers import it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .topics import parse_ticket_stream_id

#: CloudEvents `source` of every ticket event.
CE_SOURCE = "urn:ticketing:tickets"
#: CloudEvents `type` prefix: `ir.ticketing.tickets.<EventType>.v<schema_version>`.
CE_TYPE_PREFIX = "ir.ticketing.tickets."
RECORD_KIND_HEADER = "ticketing-record"
MARKER_KIND = "position-marker"
MARKER_TYPE = "PositionMarker"

Headers = list[tuple[str, bytes]]


class WireError(ValueError):
    """A Kafka record that is neither a well-formed event nor a position marker."""


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A ticket event ready to send (or as received): key, JSON value, headers."""

    key: bytes
    value: bytes
    headers: Headers
    position: int


@dataclass(frozen=True, slots=True)
class Marker:
    """A position marker as received."""

    position: int


def ce_type(event_type: str, schema_version: int) -> str:
    return f"{CE_TYPE_PREFIX}{event_type}.v{schema_version}"


def encode_event(envelope: Mapping[str, Any]) -> EventRecord:
    """The Kafka record of a public envelope (envelope_from_stored's mapping); WireError if its
    stream is not a ticket's of the envelope's brand (the relay's one check of both)."""
    parsed = parse_ticket_stream_id(str(envelope["stream_id"]))
    if parsed is None:
        raise WireError(f"not a ticket stream: {envelope['stream_id']!r}")
    stream_brand, ticket_id = parsed
    if envelope["brand_id"] != stream_brand:
        raise WireError(f"envelope brand {envelope['brand_id']!r} is not the stream's")
    position = int(envelope["position"])
    headers: Headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(envelope["event_id"]).encode()),
        ("ce_source", CE_SOURCE.encode()),
        (
            "ce_type",
            ce_type(str(envelope["event_type"]), int(envelope["schema_version"])).encode(),
        ),
        ("ce_subject", str(envelope["stream_id"]).encode()),
        ("ce_time", str(envelope["occurred_at"]).encode()),
        ("content-type", b"application/json"),
        ("ce_brandid", str(envelope["brand_id"]).encode()),
        ("ce_position", str(position).encode()),
        ("ce_streamversion", str(int(envelope["stream_version"])).encode()),
        ("ce_schemaversion", str(int(envelope["schema_version"])).encode()),
    ]
    value = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
    return EventRecord(ticket_id.encode(), value, headers, position)


def encode_marker(position: int) -> tuple[bytes, Headers]:
    """The value and headers of a position marker (sent without a key, to a chosen partition)."""
    if position < 0:
        raise WireError(f"a marker position cannot be negative: {position}")
    value = json.dumps({"type": MARKER_TYPE, "position": position}).encode()
    return value, [(RECORD_KIND_HEADER, MARKER_KIND.encode())]


def header(headers: Sequence[tuple[str, bytes]] | None, name: str) -> bytes | None:
    """The last value of header `name` (None when absent)."""
    found: bytes | None = None
    for key, value in headers or ():
        if key == name:
            found = value
    return found


def is_marker(headers: Sequence[tuple[str, bytes]] | None) -> bool:
    return header(headers, RECORD_KIND_HEADER) == MARKER_KIND.encode()


def decode_marker(value: bytes | None) -> Marker:
    """The marker in a record's value; WireError if it is not one."""
    try:
        body = json.loads(value or b"")
        position = body["position"]
        if body.get("type") != MARKER_TYPE or not isinstance(position, int) or position < 0:
            raise WireError(f"not a position marker: {body!r}")
        return Marker(position)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise WireError(f"unreadable position marker: {error}") from error


def decode_envelope(value: bytes | None) -> dict[str, Any]:
    """The envelope mapping in an event record's value; WireError if it is not JSON of one.

    Only the shape is checked here (an object with a positive integer position); a consumer
    checks the rest, stream and brand included, once, as it reads the event (ticketing_feed).
    """
    try:
        body = json.loads(value or b"")
    except ValueError as error:
        raise WireError(f"value is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise WireError("value is not a JSON object")
    position = body.get("position")
    if not isinstance(position, int) or isinstance(position, bool) or position < 1:
        raise WireError(f"envelope position must be a positive integer, got {position!r}")
    return body
