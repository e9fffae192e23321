from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from contracts_examples import BRAND, EXAMPLES, TICKET_ID, envelope_dict
from pydantic import ValidationError
from ticketing_contracts import (
    EventEnvelope,
    TicketOpened,
    UnknownEventType,
    UnknownSchemaVersion,
    parse_data,
)

TEHRAN = timezone(timedelta(hours=3, minutes=30))


def test_an_envelope_round_trips_through_json(opened_envelope: dict[str, Any]) -> None:
    envelope = EventEnvelope.model_validate(opened_envelope)
    assert envelope.model_dump(mode="json") == opened_envelope
    assert EventEnvelope.model_validate_json(envelope.model_dump_json()) == envelope


def test_parse_data_gives_the_current_model_of_the_event(
    opened_envelope: dict[str, Any],
) -> None:
    data = parse_data(EventEnvelope.model_validate(opened_envelope))
    assert isinstance(data, TicketOpened)
    assert data.title == "خطا در ارسال پیامک انبوه"


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_every_event_example_fits_in_an_envelope(event_type: str) -> None:
    envelope = EventEnvelope.model_validate(envelope_dict(event_type))
    assert parse_data(envelope).model_dump(mode="json") == EXAMPLES[event_type]


def test_naive_datetimes_are_refused(opened_envelope: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="occurred_at"):
        EventEnvelope.model_validate({**opened_envelope, "occurred_at": "2025-06-20T10:35:00"})
    with pytest.raises(ValidationError, match="occurred_at"):
        EventEnvelope.model_validate(
            {**opened_envelope, "occurred_at": datetime(2025, 6, 20, 10, 35)}
        )


def test_aware_datetimes_are_normalised_to_utc_and_serialised_with_z(
    opened_envelope: dict[str, Any],
) -> None:
    local = datetime(2025, 6, 20, 14, 5, tzinfo=TEHRAN)
    envelope = EventEnvelope.model_validate({**opened_envelope, "occurred_at": local})
    assert envelope.occurred_at == local
    assert envelope.occurred_at.utcoffset() == timedelta(0)
    assert envelope.occurred_at.tzinfo is UTC
    assert envelope.model_dump(mode="json")["occurred_at"] == "2025-06-20T10:35:00Z"
    from_text = EventEnvelope.model_validate(
        {**opened_envelope, "occurred_at": "2025-06-20T14:05:00+03:30"}
    )
    assert from_text.occurred_at == envelope.occurred_at


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event_id", "not-a-uuid"),
        ("event_id", "0F8E7D6C-5B4A-4392-8170-6F5E4D3C2B1A"),
        ("event_id", "0f8e7d6c5b4a439281706f5e4d3c2b1a"),
        ("schema_version", 0),
        ("schema_version", "1"),
        ("stream_version", 0),
        ("position", 0),
        ("brand_id", "acme-corp"),
        ("actor", {"id": "u1", "role": "owner"}),
        ("actor", {"id": "u1", "role": "customer", "name": "مریم"}),
        ("correlation_id", ""),
        ("event_type", "ticket_opened"),
    ],
)
def test_the_envelope_rejects_values_outside_the_contract(
    opened_envelope: dict[str, Any], field: str, value: Any
) -> None:
    with pytest.raises(ValidationError, match=field):
        EventEnvelope.model_validate({**opened_envelope, field: value})


def test_unknown_envelope_fields_are_rejected(opened_envelope: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="extra"):
        EventEnvelope.model_validate({**opened_envelope, "tenant": BRAND})


def test_position_and_causation_may_be_unknown(opened_envelope: dict[str, Any]) -> None:
    del opened_envelope["position"], opened_envelope["causation_id"]
    envelope = EventEnvelope.model_validate(opened_envelope)
    assert envelope.position is None
    assert envelope.causation_id is None
    dumped = envelope.model_dump(mode="json")
    assert dumped["position"] is None
    assert dumped["causation_id"] is None


def test_a_ticket_stream_of_another_brand_is_refused(opened_envelope: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="belongs to brand 'sms_panel'"):
        EventEnvelope.model_validate({**opened_envelope, "brand_id": "other_brand"})
    with pytest.raises(ValidationError, match="malformed ticket stream id"):
        EventEnvelope.model_validate({**opened_envelope, "stream_id": f"ticket-{BRAND}-42"})


def test_the_envelope_is_frozen(opened_envelope: dict[str, Any]) -> None:
    envelope = EventEnvelope.model_validate(opened_envelope)
    with pytest.raises(ValidationError):
        envelope.brand_id = "other_brand"


def test_an_unknown_event_type_is_a_valid_envelope_but_has_no_model(
    opened_envelope: dict[str, Any],
) -> None:
    envelope = EventEnvelope.model_validate(
        {**opened_envelope, "event_type": "TicketEscalated", "data": {"level": 2}}
    )
    with pytest.raises(UnknownEventType):
        parse_data(envelope)


def test_parse_data_refuses_a_version_newer_than_it_knows(
    opened_envelope: dict[str, Any],
) -> None:
    envelope = EventEnvelope.model_validate({**opened_envelope, "schema_version": 3})
    with pytest.raises(UnknownSchemaVersion, match="upgrade"):
        parse_data(envelope)


def test_parse_data_refuses_data_that_does_not_fit(opened_envelope: dict[str, Any]) -> None:
    data = {**opened_envelope["data"], "priority": "critical"}
    envelope = EventEnvelope.model_validate({**opened_envelope, "data": data})
    with pytest.raises(ValidationError, match="priority"):
        parse_data(envelope)


def test_the_stream_id_names_the_ticket(opened_envelope: dict[str, Any]) -> None:
    envelope = EventEnvelope.model_validate(opened_envelope)
    assert envelope.stream_id.endswith(TICKET_ID)
