from __future__ import annotations

from typing import Any

import pytest
from contracts_examples import EXAMPLES
from pydantic import ValidationError
from ticketing_contracts import (
    ALL_EVENT_MODELS,
    CURRENT_VERSIONS,
    EVENT_MODELS,
    EventData,
    MessagePosted,
    TicketClosed,
    TicketClosedV1,
    TicketOpened,
    TicketOpenedV1,
    UnknownEventType,
    UnknownSchemaVersion,
    model_for,
    personal_data_fields,
)

MODELS = sorted(EVENT_MODELS.items())


def test_every_event_type_has_a_realistic_example() -> None:
    assert set(EXAMPLES) == set(EVENT_MODELS)


@pytest.mark.parametrize(("event_type", "model"), MODELS)
def test_every_event_model_round_trips_its_example_through_json(
    event_type: str, model: type[EventData]
) -> None:
    example = EXAMPLES[event_type]
    parsed = model.model_validate(example)
    assert parsed.model_dump(mode="json") == example
    assert model.model_validate_json(parsed.model_dump_json()) == parsed


@pytest.mark.parametrize(("event_type", "model"), MODELS)
def test_unknown_fields_are_rejected(event_type: str, model: type[EventData]) -> None:
    with pytest.raises(ValidationError, match="extra"):
        model.model_validate({**EXAMPLES[event_type], "customer_phone": "09121234567"})


@pytest.mark.parametrize(("event_type", "model"), [(t, m) for t, m in MODELS if m.model_fields])
def test_event_data_is_frozen(event_type: str, model: type[EventData]) -> None:
    parsed = model.model_validate(EXAMPLES[event_type])
    name = next(iter(model.model_fields))
    with pytest.raises(ValidationError):
        setattr(parsed, name, None)


@pytest.mark.parametrize(
    ("event_type", "missing"),
    [(t, f) for t, m in MODELS for f in m.model_fields],
)
def test_every_field_is_required(event_type: str, missing: str) -> None:
    data = {k: v for k, v in EXAMPLES[event_type].items() if k != missing}
    with pytest.raises(ValidationError, match=missing):
        EVENT_MODELS[event_type].model_validate(data)


def test_wire_names_come_from_event_type_and_version_not_python_paths() -> None:
    assert TicketOpened.wire_name == "tickets.TicketOpened.v2"
    assert TicketOpenedV1.wire_name == "tickets.TicketOpened.v1"
    assert {m.wire_name for m in EVENT_MODELS.values()} == {
        f"tickets.{t}.v{CURRENT_VERSIONS[t]}" for t in EVENT_MODELS
    }
    assert all(m.event_type == t for t, m in MODELS)


def test_the_three_events_a_person_names_are_at_version_two_and_the_rest_at_one() -> None:
    assert {t: v for t, v in CURRENT_VERSIONS.items() if v != 1} == {
        "TicketOpened": 2,
        "MessagePosted": 2,
        "TicketClosed": 2,
    }
    assert {m.wire_name for m in ALL_EVENT_MODELS if m.schema_version == 1} == {
        f"tickets.{t}.v1" for t in EVENT_MODELS
    }


def test_model_for_finds_a_version_and_names_what_it_cannot_find() -> None:
    assert model_for("TicketClosed", 1) is TicketClosedV1
    assert model_for("TicketClosed", 2) is TicketClosed
    with pytest.raises(UnknownEventType, match="TicketEscalated"):
        model_for("TicketEscalated", 1)
    with pytest.raises(UnknownSchemaVersion, match="version 3"):
        model_for("TicketClosed", 3)


def test_titles_bodies_reasons_and_names_are_marked_as_personal_data() -> None:
    marked = {t: personal_data_fields(m) for t, m in MODELS if personal_data_fields(m)}
    assert marked == {
        "TicketOpened": {"title", "body", "opened_by_name"},
        "MessagePosted": {"body", "author_name"},
        "TicketClosed": {"reason", "closed_by_name"},
    }
    assert personal_data_fields(TicketOpenedV1) == {"title", "body"}
    schema = TicketOpened.model_json_schema()
    assert schema["properties"]["title"]["x-personal-data"] is True
    assert "x-personal-data" not in schema["properties"]["department"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "ا" * 201),
        ("body", ""),
        ("body", "ب" * 20_001),
        ("attachment_ids", [f"att{i}" for i in range(11)]),
        ("ticket_id", "3F2B9C0E8D4A4F1B9E6C7A5D2B1E0F47"),
        ("ticket_id", "3f2b9c0e-8d4a-4f1b-9e6c-7a5d2b1e0f47"),
        ("tracking_code", "12345"),
        ("tracking_code", "۴۰۷۱۹۳۲۵"),
        ("priority", "critical"),
        ("opened_by_side", "representative"),
    ],
)
def test_ticket_opened_rejects_values_outside_the_contract(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        TicketOpened.model_validate({**EXAMPLES["TicketOpened"], field: value})


def test_limits_are_inclusive() -> None:
    opened = TicketOpened.model_validate(
        {
            **EXAMPLES["TicketOpened"],
            "title": "ا" * 200,
            "body": "ب" * 20_000,
            "attachment_ids": [f"att{i}" for i in range(10)],
        }
    )
    assert len(opened.title) == 200
    closed = TicketClosed.model_validate({"reason": "پ" * 1000, "closed_by_name": "م" * 100})
    assert closed.reason is not None
    with pytest.raises(ValidationError):
        TicketClosed.model_validate({"reason": "پ" * 1001, "closed_by_name": None})
    with pytest.raises(ValidationError, match="closed_by_name"):
        TicketClosed.model_validate({"reason": None, "closed_by_name": "م" * 101})


@pytest.mark.parametrize("value", ["true", 1, "yes"])
def test_flags_must_be_real_booleans(value: Any) -> None:
    with pytest.raises(ValidationError, match="internal"):
        MessagePosted.model_validate({**EXAMPLES["MessagePosted"], "internal": value})


def test_a_close_without_reason_and_an_unassignment_carry_nulls() -> None:
    closed = TicketClosed.model_validate({"reason": None, "closed_by_name": None})
    assert (closed.reason, closed.closed_by_name) == (None, None)
    unassigned = EVENT_MODELS["TicketAssigned"].model_validate(
        {"assignee_id": None, "previous_assignee_id": "agent_17"}
    )
    assert unassigned.model_dump() == {"assignee_id": None, "previous_assignee_id": "agent_17"}
