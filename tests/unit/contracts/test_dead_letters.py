"""How a consumer parks a record on the dead-letter topic (ticketing_contracts.dead_letters)."""

from __future__ import annotations

import pytest
from ticketing_contracts.dead_letters import (
    MAX_REASON,
    REASON_HEADER,
    Origin,
    dead_letter_headers,
    origin,
)


def park(
    original: list[tuple[str, bytes]], reason: str = "value is not JSON"
) -> list[tuple[str, bytes]]:
    return dead_letter_headers(
        original,
        reason=reason,
        topic="tickets.events.v1",
        partition=2,
        offset=1042,
        group="ticketing-notifications",
    )


def test_the_original_headers_are_kept_and_the_origin_added() -> None:
    headers = park([("ce_type", b"ir.ticketing.tickets.TicketClosed.v1"), ("x-raw", b"\xff")])
    assert headers[:2] == [("ce_type", b"ir.ticketing.tickets.TicketClosed.v1"), ("x-raw", b"\xff")]
    assert origin(headers) == Origin(
        "value is not JSON", "tickets.events.v1", 2, 1042, "ticketing-notifications"
    )


def test_parking_a_parked_record_again_replaces_its_origin() -> None:
    again = dead_letter_headers(
        park([]),
        reason="still bad",
        topic="tickets.events.v1.dlq",
        partition=0,
        offset=7,
        group="ops",
    )
    assert [name for name, _ in again].count(REASON_HEADER) == 1
    assert origin(again).reason == "still bad"
    assert origin(again).offset == 7


def test_a_long_reason_is_cut() -> None:
    reason = origin(park([], reason="خطا " * 1000)).reason
    assert len(reason) == MAX_REASON
    assert reason.endswith("…")


def test_a_record_without_the_headers_is_not_a_dead_letter() -> None:
    with pytest.raises(ValueError, match="not a dead-letter record"):
        origin([("ce_type", b"x")])
