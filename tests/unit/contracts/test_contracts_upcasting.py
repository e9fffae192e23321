from __future__ import annotations

from typing import Any

import pytest
from contracts_examples import EXAMPLES
from ticketing_contracts import (
    CURRENT_VERSIONS,
    MissingUpcaster,
    UnknownEventType,
    UnknownSchemaVersion,
    Upcasters,
    model_for,
    upcast,
)


def escalation_upcasters() -> Upcasters:
    """A throwaway event at v3: v1 had `level` as text, v2 made it a number, v3 added `by`."""
    registry = Upcasters({"TicketEscalated": 3})

    @registry.register("TicketEscalated", 1)
    def level_as_number(data: dict[str, Any]) -> dict[str, Any]:
        data["level"] = int(data["level"])
        return data

    @registry.register("TicketEscalated", 2)
    def add_escalated_by(data: dict[str, Any]) -> dict[str, Any]:
        data["escalated_by"] = None
        return data

    return registry


def test_old_versions_are_lifted_step_by_step_to_the_current_one() -> None:
    registry = escalation_upcasters()
    assert registry.upcast("TicketEscalated", 1, {"level": "2"}) == (
        3,
        {"level": 2, "escalated_by": None},
    )
    assert registry.upcast("TicketEscalated", 2, {"level": 2}) == (
        3,
        {"level": 2, "escalated_by": None},
    )


def test_current_data_comes_back_untouched() -> None:
    data = {"level": 2, "escalated_by": "agent_17"}
    assert escalation_upcasters().upcast("TicketEscalated", 3, data) == (3, data)


def test_upcasting_never_changes_the_callers_data() -> None:
    original = {"level": "2"}
    escalation_upcasters().upcast("TicketEscalated", 1, original)
    assert original == {"level": "2"}


def test_a_missing_step_names_the_version_it_cannot_lift() -> None:
    registry = Upcasters({"TicketEscalated": 3})
    registry.add("TicketEscalated", 1, lambda data: {**data, "level": int(data["level"])})
    with pytest.raises(MissingUpcaster, match=r"TicketEscalated v2 -> v3"):
        registry.upcast("TicketEscalated", 1, {"level": "2"})


@pytest.mark.parametrize("version", [4, 0, -1])
def test_a_version_this_code_does_not_know_is_refused(version: int) -> None:
    with pytest.raises(UnknownSchemaVersion, match=f"schema version {version}"):
        escalation_upcasters().upcast("TicketEscalated", version, {})


def test_an_unknown_event_type_is_refused() -> None:
    with pytest.raises(UnknownEventType, match="TicketMerged"):
        escalation_upcasters().upcast("TicketMerged", 1, {})


def test_an_upcaster_is_registered_once_and_only_below_the_current_version() -> None:
    registry = escalation_upcasters()
    with pytest.raises(ValueError, match="already registered"):
        registry.add("TicketEscalated", 1, dict)
    with pytest.raises(ValueError, match=r"v1\.\.v2"):
        registry.add("TicketEscalated", 3, dict)
    with pytest.raises(UnknownEventType):
        registry.add("TicketMerged", 1, dict)


@pytest.mark.parametrize("event_type", sorted(CURRENT_VERSIONS))
def test_the_default_registry_leaves_todays_events_as_they_are(event_type: str) -> None:
    data = EXAMPLES[event_type]
    assert upcast(event_type, CURRENT_VERSIONS[event_type], data) == (
        CURRENT_VERSIONS[event_type],
        data,
    )
    with pytest.raises(UnknownSchemaVersion):
        upcast(event_type, CURRENT_VERSIONS[event_type] + 1, data)


@pytest.mark.parametrize(
    ("event_type", "name_field"),
    [
        ("TicketOpened", "opened_by_name"),
        ("MessagePosted", "author_name"),
        ("TicketClosed", "closed_by_name"),
    ],
)
def test_a_v1_event_written_before_names_upcasts_to_v2_with_a_null_name(
    event_type: str, name_field: str
) -> None:
    old = {k: v for k, v in EXAMPLES[event_type].items() if k != name_field}
    version, data = upcast(event_type, 1, old)
    assert version == 2
    assert data == {**old, name_field: None}
    assert name_field not in old  # the stored history is never changed
    assert model_for(event_type, 2).model_validate(data).model_dump()[name_field] is None
