"""One reading of an envelope for every feed adapter: what is a good ticket event, and why not."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from ticketing_contracts import TicketTransferred
from ticketing_feed.envelopes import UnreadableEvent, event_from_envelope

TICKET = "3f2b9c0e8d4a4f1b9e6c7a5d2b1e0f47"


def envelope(**overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "event_id": "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
        "event_type": "TicketTransferred",
        "schema_version": 1,
        "stream_id": f"ticket-sms_panel-{TICKET}",
        "stream_version": 4,
        "position": 1042,
        "occurred_at": "2025-06-20T10:35:00Z",
        "brand_id": "sms_panel",
        "actor": {"id": "agent_17", "role": "agent"},
        "correlation_id": "req-7f3a9c",
        "causation_id": None,
        "data": {"from_department": "technical", "to_department": "finance"},
    }
    value.update(overrides)
    return value


def test_a_good_envelope_becomes_an_event() -> None:
    event = event_from_envelope(envelope())
    assert (event.position, event.brand_id, event.ticket_id) == (1042, "sms_panel", TICKET)
    assert (event.stream_version, event.event_type) == (4, "TicketTransferred")
    assert event.occurred_at == datetime(2025, 6, 20, 10, 35, tzinfo=UTC)
    assert (event.actor_id, event.actor_role) == ("agent_17", "agent")
    assert event.event == TicketTransferred(from_department="technical", to_department="finance")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"stream_id": "tracking-sms_panel-1"}, "not a ticket stream"),
        ({"brand_id": "other_brand"}, "is not the stream's"),
        ({"event_type": "TicketMerged"}, "unknown event type"),
        ({"schema_version": 3}, "schema version 3"),
        ({"schema_version": True}, "schema_version must be a positive integer"),
        ({"position": 0}, "position must be a positive integer"),
        ({"stream_version": "4"}, "stream_version must be a positive integer"),
        ({"data": {"from_department": "technical"}}, "data lacks ['to_department']"),
        ({"data": ["technical"]}, "data must be an object"),
        ({"occurred_at": "2025-06-20T10:35:00"}, "no time zone"),
        ({"occurred_at": "دیروز"}, "ValueError"),
        ({"actor": "agent_17"}, "TypeError"),
        ({"event_type": 7}, "must be strings"),
    ],
)
def test_a_bad_envelope_says_why(overrides: dict[str, Any], reason: str) -> None:
    with pytest.raises(UnreadableEvent) as raised:
        event_from_envelope(envelope(**overrides))
    assert reason in str(raised.value)


def test_a_missing_field_is_named() -> None:
    broken = envelope()
    del broken["actor"]
    with pytest.raises(UnreadableEvent, match="envelope lacks 'actor'"):
        event_from_envelope(broken)
