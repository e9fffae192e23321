"""The AsyncAPI 3.0 document of the ticket-event topics (`contracts/asyncapi.json`).

Built from this package's own definitions, not from faststream's generator: faststream 0.7.8
writes one message per subscriber with a payload taken from the handler's Python signature, and
its message object has no headers, no bindings and no schema format (its source marks them
TODO), so it could not state the CloudEvents headers, the ticket-id key, the position marker or
the dead-letter headers — the parts a consumer in another language needs most.

What the document says comes from the code that writes the records: the header names are those
`kafka_wire.encode_event` emits (a header without a description here fails the generation), the
`ce_type` of each message is `kafka_wire.ce_type`, and each event message's payload is a
reference to its checked-in JSON Schema in `schemas/` (the whole envelope with that version's
`data`; the file declares its own dialect, JSON Schema 2020-12). `python -m
ticketing_contracts.generate` writes it beside the schemas; a unit test fails on drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .dead_letters import (
    GROUP_HEADER,
    MAX_REASON,
    OFFSET_HEADER,
    PARTITION_HEADER,
    REASON_HEADER,
    TOPIC_HEADER,
)
from .envelope import UUID_PATTERN
from .events import ALL_EVENT_MODELS, EventData
from .kafka_wire import (
    CE_SOURCE,
    MARKER_KIND,
    MARKER_TYPE,
    RECORD_KIND_HEADER,
    ce_type,
    encode_event,
)
from .topics import (
    BRAND_ID_PATTERN,
    TICKET_EVENTS_DLQ,
    TICKET_EVENTS_TOPIC,
    TICKET_ID_PATTERN,
    TICKET_STREAM_CATEGORY,
)

ASYNCAPI_FILE = "asyncapi.json"
KAFKA_BINDING = "0.5.0"
EVENTS_CHANNEL = "ticketEvents"
DEAD_LETTER_CHANNEL = "ticketEventDeadLetters"
MARKER_MESSAGE = "PositionMarker"
DEAD_LETTER_MESSAGE = "DeadLetter"

_NUMBER = r"^[1-9][0-9]*$"
_STREAM = f"^{TICKET_STREAM_CATEGORY}-{BRAND_ID_PATTERN[1:-1]}-{TICKET_ID_PATTERN[1:-1]}$"

#: Every header `encode_event` writes, described; `ce_type` and `ce_schemaversion` are fixed
#: per message below.
EVENT_HEADERS: dict[str, dict[str, Any]] = {
    "ce_specversion": {"const": "1.0", "description": "CloudEvents version."},
    "ce_id": {"pattern": UUID_PATTERN, "description": "The event id."},
    "ce_source": {"const": CE_SOURCE, "description": "Every ticket event's source."},
    "ce_type": {"description": "ir.ticketing.tickets.<EventType>.v<schema_version>."},
    "ce_subject": {"pattern": _STREAM, "description": "The stream id: ticket-{brand}-{ticket}."},
    "ce_time": {"format": "date-time", "description": "occurred_at (ISO 8601, UTC)."},
    "content-type": {"const": "application/json", "description": "The value's media type."},
    "ce_brandid": {"pattern": BRAND_ID_PATTERN, "description": "The brand (tenant) id."},
    "ce_position": {"pattern": _NUMBER, "description": "The global position in the store."},
    "ce_streamversion": {"pattern": _NUMBER, "description": "The version in its stream."},
    "ce_schemaversion": {"pattern": _NUMBER, "description": "The version of `data`'s schema."},
}


def default_asyncapi_path() -> Path:
    """`contracts/asyncapi.json` of the source tree this package was loaded from."""
    return Path(__file__).resolve().parents[2] / ASYNCAPI_FILE


def message_name(model: type[EventData]) -> str:
    """The key of an event version's message in the document: its wire name."""
    return model.wire_name


def asyncapi_document() -> dict[str, Any]:
    """The whole document as a JSON-ready mapping."""
    messages = {message_name(m): _event_message(m) for m in ALL_EVENT_MODELS}
    messages[MARKER_MESSAGE] = _marker_message()
    messages[DEAD_LETTER_MESSAGE] = _dead_letter_message()
    event_names = [*(message_name(m) for m in ALL_EVENT_MODELS), MARKER_MESSAGE]
    return {
        "asyncapi": "3.0.0",
        "id": "urn:ticketing:tickets:events",
        "info": {
            "title": "Ticket events",
            "version": "1.0.0",
            "description": (
                "Every ticket event, in each ticket's order, for any consumer: the query and "
                "notifications services, other internal systems, analytics replays. Published "
                "at least once by the relay of the tickets service; consumers are idempotent "
                "(by stream version or event id). Old event versions stay on the topic and are "
                "upcast by readers. The major version follows the topic's (`.v1`)."
            ),
        },
        "defaultContentType": "application/json",
        "channels": {
            EVENTS_CHANNEL: {
                "address": TICKET_EVENTS_TOPIC,
                "title": "Ticket events",
                "description": (
                    "Event records keyed by ticket id (one ticket stays in one partition, in "
                    "order), and position markers sent to every partition now and then: a "
                    "marker P in a partition means every event ≤ P meant for it came before. "
                    "A consumer's applied position is the minimum over its partitions of the "
                    "last position seen there. Partitions: TICKETING_KAFKA_PARTITIONS "
                    "(default 6)."
                ),
                "messages": {name: _ref("components", "messages", name) for name in event_names},
            },
            DEAD_LETTER_CHANNEL: {
                "address": TICKET_EVENTS_DLQ,
                "title": "Parked ticket-event records",
                "description": (
                    "Records a consumer could not read, parked unchanged with the reason and "
                    "where they were read; the consumer skips them and goes on."
                ),
                "messages": {
                    DEAD_LETTER_MESSAGE: _ref("components", "messages", DEAD_LETTER_MESSAGE)
                },
            },
        },
        "operations": {
            "relayTicketEvents": {
                "action": "send",
                "channel": _ref("channels", EVENTS_CHANNEL),
                "summary": "The tickets service's relay publishes every stored ticket event.",
                "messages": [_ref("channels", EVENTS_CHANNEL, "messages", n) for n in event_names],
            },
            "consumeTicketEvents": {
                "action": "receive",
                "channel": _ref("channels", EVENTS_CHANNEL),
                "summary": "Consumer groups read the events and commit after handling them.",
                "description": (
                    "Groups: TICKETING_KAFKA_GROUP_ID (ticketing-query, "
                    "ticketing-notifications, ticketing-attachments by default)."
                ),
                "messages": [_ref("channels", EVENTS_CHANNEL, "messages", n) for n in event_names],
            },
            "parkDeadLetters": {
                "action": "send",
                "channel": _ref("channels", DEAD_LETTER_CHANNEL),
                "summary": "A consumer parks a record it cannot read.",
                "messages": [
                    _ref("channels", DEAD_LETTER_CHANNEL, "messages", DEAD_LETTER_MESSAGE)
                ],
            },
        },
        "components": {
            "schemas": {"CloudEventsHeaders": _cloudevents_headers()},
            "messages": messages,
        },
    }


def render_asyncapi() -> str:
    """The exact text of `asyncapi.json` (sorted keys, indent 2, UTF-8, trailing newline)."""
    return json.dumps(asyncapi_document(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _event_message(model: type[EventData]) -> dict[str, Any]:
    doc = " ".join((model.__doc__ or "").split())
    return {
        "name": model.wire_name,
        "title": f"{model.event_type} v{model.schema_version}",
        "summary": doc,
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "allOf": [
                _ref("components", "schemas", "CloudEventsHeaders"),
                {
                    "type": "object",
                    "properties": {
                        "ce_type": {
                            "type": "string",
                            "const": ce_type(model.event_type, model.schema_version),
                        },
                        "ce_schemaversion": {"type": "string", "const": str(model.schema_version)},
                    },
                },
            ],
        },
        "payload": {"$ref": f"schemas/{model.wire_name}.json"},
        "bindings": {"kafka": {"key": _ticket_key(), "bindingVersion": KAFKA_BINDING}},
    }


def _cloudevents_headers() -> dict[str, Any]:
    """The headers of every event record (CloudEvents Kafka binding, binary mode)."""
    written = _written_event_headers()
    unknown = [name for name in written if name not in EVENT_HEADERS]
    if unknown:
        raise ValueError(f"kafka_wire writes headers the AsyncAPI generator lacks: {unknown}")
    return {
        "type": "object",
        "description": (
            "CloudEvents Kafka binding, binary content mode: the event's attributes as ce_* "
            "headers (UTF-8 text), the envelope as the value. ce_brandid, ce_position, "
            "ce_streamversion and ce_schemaversion are extension attributes a router can use "
            "without parsing the value."
        ),
        "required": written,
        "properties": {name: {"type": "string", **EVENT_HEADERS[name]} for name in written},
    }


def _written_event_headers() -> list[str]:
    """The header names `encode_event` writes, in its order."""
    record = encode_event(
        {
            "event_id": "00000000-0000-4000-8000-000000000000",
            "event_type": "TicketReopened",
            "schema_version": 1,
            "stream_id": f"ticket-acme-{'0' * 32}",
            "stream_version": 1,
            "position": 1,
            "occurred_at": "2025-01-01T00:00:00+00:00",
            "brand_id": "acme",
            "actor": {"id": "agent-1", "role": "agent"},
            "correlation_id": "req-1",
            "causation_id": None,
            "data": {},
        }
    )
    return list(dict.fromkeys(name for name, _ in record.headers))


def _marker_message() -> dict[str, Any]:
    return {
        "name": MARKER_TYPE,
        "title": "Position marker",
        "summary": (
            "Every event with a position ≤ `position` that belongs to this partition was "
            "written to it before this marker. Not an event: no key, no ce_* headers."
        ),
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "required": [RECORD_KIND_HEADER],
            "properties": {
                RECORD_KIND_HEADER: {
                    "type": "string",
                    "const": MARKER_KIND,
                    "description": "Tells a marker from an event without parsing the value.",
                }
            },
        },
        "payload": {
            "type": "object",
            "required": ["type", "position"],
            "additionalProperties": False,
            "properties": {
                "type": {"type": "string", "const": MARKER_TYPE},
                "position": {"type": "integer", "minimum": 0},
            },
        },
        "bindings": {
            "kafka": {
                "key": {"type": "null", "description": "No key: sent to each partition."},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def _dead_letter_message() -> dict[str, Any]:
    return {
        "name": DEAD_LETTER_MESSAGE,
        "title": "Parked record",
        "summary": (
            "The original record unchanged (same key, value and headers) plus headers saying "
            "why it was parked and where it was read."
        ),
        "headers": {
            "type": "object",
            "required": [
                REASON_HEADER,
                TOPIC_HEADER,
                PARTITION_HEADER,
                OFFSET_HEADER,
                GROUP_HEADER,
            ],
            "additionalProperties": {"description": "The original record's headers, kept."},
            "properties": {
                REASON_HEADER: {
                    "type": "string",
                    "maxLength": MAX_REASON,
                    "description": "Why the consumer could not read it.",
                },
                TOPIC_HEADER: {"type": "string", "description": "The topic it was read from."},
                PARTITION_HEADER: {"type": "string", "pattern": r"^[0-9]+$"},
                OFFSET_HEADER: {"type": "string", "pattern": r"^[0-9]+$"},
                GROUP_HEADER: {"type": "string", "description": "The group that parked it."},
            },
        },
        "payload": {"description": "The original record's value, unchanged (any bytes)."},
        "bindings": {
            "kafka": {
                "key": {"description": "The original record's key, unchanged."},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def _ticket_key() -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": TICKET_ID_PATTERN,
        "description": "The ticket id (UTF-8): one ticket's events stay in one partition.",
    }


def _ref(*path: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in path)}
