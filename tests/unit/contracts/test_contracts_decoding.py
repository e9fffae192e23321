"""Decoding an event's data into its typed model, once: validated for what others wrote,
trusted (not checked value by value) for our own store's records with the model's exact keys."""

from __future__ import annotations

from typing import Any

import pytest
from contracts_examples import EXAMPLES, NAME_FIELDS_ADDED_IN_V2, example_data
from pydantic import ValidationError
from ticketing_contracts import (
    CURRENT_VERSIONS,
    EVENT_MODELS,
    InvalidEventData,
    MessagePosted,
    TicketOpened,
    UnknownEventType,
    UnknownSchemaVersion,
    decode_event,
)


@pytest.mark.parametrize("trusted", [False, True])
@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_every_example_decodes_to_the_model_validation_gives(
    event_type: str, trusted: bool
) -> None:
    data = example_data(event_type)
    validated = EVENT_MODELS[event_type].model_validate(data)

    event = decode_event(event_type, CURRENT_VERSIONS[event_type], data, trusted=trusted)

    assert type(event) is type(validated)
    assert event == validated
    assert event.model_dump(mode="json") == validated.model_dump(mode="json") == data
    assert event.model_fields_set == validated.model_fields_set
    assert repr(event) == repr(validated)


@pytest.mark.parametrize("trusted", [False, True])
@pytest.mark.parametrize("event_type", sorted(NAME_FIELDS_ADDED_IN_V2))
def test_a_v1_record_is_upcast_to_the_current_model_with_a_null_name(
    event_type: str, trusted: bool
) -> None:
    event = decode_event(event_type, 1, example_data(event_type, 1), trusted=trusted)

    assert type(event) is EVENT_MODELS[event_type]
    assert getattr(event, NAME_FIELDS_ADDED_IN_V2[event_type]) is None


def test_a_trusted_event_is_frozen_and_keeps_no_hold_on_the_callers_mapping() -> None:
    data = example_data("MessagePosted")
    event = decode_event("MessagePosted", 2, data, trusted=True)
    data["body"] = "متن دیگری"

    assert isinstance(event, MessagePosted)
    assert event.body == EXAMPLES["MessagePosted"]["body"]
    with pytest.raises(ValidationError):
        event.body = "تغییر"  # type: ignore[misc]


@pytest.mark.parametrize("trusted", [False, True])
def test_missing_fields_are_named(trusted: bool) -> None:
    data = example_data("TicketTransferred")
    del data["to_department"]

    with pytest.raises(InvalidEventData, match=r"data lacks \['to_department'\]"):
        decode_event("TicketTransferred", 1, data, trusted=trusted)


@pytest.mark.parametrize("trusted", [False, True])
@pytest.mark.parametrize(
    "change",
    [
        {"extra": "فیلد ناشناخته"},  # a key the model does not have: validated, refused
        {"priority": "بسیار فوری"},  # the exact keys, a wrong value: only validation sees it
    ],
)
def test_data_that_does_not_fit_is_refused_unless_trusted_with_the_exact_keys(
    change: dict[str, Any], trusted: bool
) -> None:
    data = {**example_data("TicketOpened"), **change}
    exact_keys = data.keys() == EXAMPLES["TicketOpened"].keys()

    if trusted and exact_keys:
        event = decode_event("TicketOpened", 2, data, trusted=True)
        assert isinstance(event, TicketOpened)
        assert event.priority == "بسیار فوری"  # our own store's record: taken as written
    else:
        with pytest.raises(ValidationError):
            decode_event("TicketOpened", 2, data, trusted=trusted)


def test_unknown_types_and_versions_are_refused_as_before() -> None:
    with pytest.raises(UnknownEventType):
        decode_event("TicketMerged", 1, {}, trusted=True)
    with pytest.raises(UnknownSchemaVersion):
        decode_event("MessagePosted", 3, example_data("MessagePosted"), trusted=True)
