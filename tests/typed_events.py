"""Ticket events for tests as the feed hands them over: `EventIn`s whose `event` is the
contract's typed model, built from the data a test writes down (validated, as for Kafka)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ticketing_contracts import CURRENT_VERSIONS, TicketEvent, decode_event, model_for
from ticketing_feed import EventIn


def typed(event_type: str, data: Mapping[str, Any]) -> TicketEvent:
    """`data` as the current model of `event_type`. Data written without the person's name
    (the v2 field of TicketOpened, MessagePosted and TicketClosed) is read as v1 and upcast,
    as the feed reads history from before names were recorded."""
    current = CURRENT_VERSIONS[event_type]
    required = {
        n for n, f in model_for(event_type, current).model_fields.items() if f.is_required()
    }
    version = current if required <= data.keys() or current == 1 else current - 1
    return decode_event(event_type, version, data)


def event_in(
    position: int,
    brand_id: str,
    ticket_id: str,
    stream_version: int,
    event_type: str,
    occurred_at: datetime,
    actor_id: str,
    actor_role: str,
    data: Mapping[str, Any],
) -> EventIn:
    """An `EventIn` from the fields of an envelope (data as a test writes it down)."""
    return EventIn(
        position=position,
        brand_id=brand_id,
        ticket_id=ticket_id,
        stream_version=stream_version,
        occurred_at=occurred_at,
        actor_id=actor_id,
        actor_role=actor_role,
        event=typed(event_type, data),
    )
