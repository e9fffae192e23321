"""The Kafka record format of events and position markers (ticketing_contracts.kafka_wire)."""

from __future__ import annotations

import json

import pytest
from ticketing_contracts.kafka_wire import (
    WireError,
    decode_envelope,
    decode_marker,
    encode_event,
    encode_marker,
    header,
    is_marker,
)

TICKET = "0123456789abcdef0123456789abcdef"


def envelope(position: int = 7) -> dict[str, object]:
    return {
        "event_id": "e1",
        "event_type": "TicketOpened",
        "schema_version": 1,
        "stream_id": f"ticket-acme-{TICKET}",
        "stream_version": 1,
        "position": position,
        "occurred_at": "2026-11-23T10:00:00+00:00",
        "brand_id": "acme",
        "actor": {"id": "c1", "role": "customer"},
        "correlation_id": "k",
        "causation_id": None,
        "data": {"title": "چاپگر کار نمی‌کند"},
    }


def test_an_event_is_keyed_by_ticket_and_carries_cloudevents_headers() -> None:
    record = encode_event(envelope())
    assert record.key == TICKET.encode()
    assert record.position == 7
    assert header(record.headers, "ce_id") == b"e1"
    assert header(record.headers, "ce_type") == b"ir.ticketing.tickets.TicketOpened.v1"
    assert header(record.headers, "ce_subject") == f"ticket-acme-{TICKET}".encode()
    assert header(record.headers, "ce_position") == b"7"
    assert header(record.headers, "content-type") == b"application/json"
    assert not is_marker(record.headers)
    assert decode_envelope(record.value) == envelope()
    assert "چاپگر" in record.value.decode()  # UTF-8, not \u escapes


def test_a_marker_round_trips_and_is_told_apart_by_its_header() -> None:
    value, headers = encode_marker(42)
    assert is_marker(headers)
    assert decode_marker(value).position == 42
    assert header(headers, "ce_id") is None


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"not json",
        b"[]",
        json.dumps({**envelope(), "position": 0}).encode(),
        json.dumps({**envelope(), "position": True}).encode(),
    ],
)
def test_a_malformed_event_value_is_a_wire_error(value: bytes) -> None:
    with pytest.raises(WireError):
        decode_envelope(value)


@pytest.mark.parametrize(
    "value",
    [b"", b"{}", b'{"type": "PositionMarker", "position": -1}', b'{"type": "X", "position": 1}'],
)
def test_a_malformed_marker_is_a_wire_error(value: bytes) -> None:
    with pytest.raises(WireError):
        decode_marker(value)


def test_an_event_outside_a_ticket_stream_cannot_be_encoded() -> None:
    with pytest.raises(WireError):
        encode_event({**envelope(), "stream_id": "tracking-acme-1234"})


def test_an_event_whose_brand_is_not_its_streams_cannot_be_encoded() -> None:
    with pytest.raises(WireError, match="is not the stream's"):
        encode_event({**envelope(), "brand_id": "another_brand"})
