"""Ticket events as the tickets service stores them, for the relay's tests: a ticket opened by a
customer, then replies alternating between the agent and the customer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from ticketing_contracts import make_tracking_code
from ticketing_contracts.stored import envelope_metadata
from ticketing_contracts.topics import ticket_stream_id
from ticketing_eventstore import NewEvent

BRAND = "sms_panel"
OPENED_AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def new_ticket_id() -> str:
    return uuid.uuid4().hex


def stream_of(ticket_id: str, brand: str = BRAND) -> str:
    return ticket_stream_id(brand, ticket_id)


def opened(ticket_id: str, *, brand: str = BRAND) -> NewEvent:
    data = {
        "ticket_id": ticket_id,
        "tracking_code": make_tracking_code(str(uuid.uuid4().int % 10_000_000).zfill(7)),
        "customer_id": "cust_5521",
        "title": "خطا در ارسال پیامک انبوه",
        "department": "technical",
        "request_type": "technical",
        "priority": "high",
        "message_id": uuid.uuid4().hex,
        "body": "سلام، از صبح امروز ارسال پیامک انبوه با خطای ۵۰۳ متوقف شده است.",
        "attachment_ids": [],
        "opened_by_side": "customer",
    }
    return _event("TicketOpened", data, brand=brand, actor=("cust_5521", "customer"), minute=0)


def reply(number: int, *, brand: str = BRAND) -> NewEvent:
    agent = number % 2 == 1
    data = {
        "message_id": uuid.uuid4().hex,
        "body": (
            "مشکل از سمت اپراتور بود و برطرف شد؛ لطفاً دوباره امتحان کنید."
            if agent
            else f"ممنون، دوباره امتحان کردم (بار {number})."
        ),
        "attachment_ids": [],
        "internal": False,
        "follow_up": False,
        "author_side": "agent" if agent else "customer",
    }
    actor = ("agent_17", "agent") if agent else ("cust_5521", "customer")
    return _event("MessagePosted", data, brand=brand, actor=actor, minute=number)


def ticket_story(ticket_id: str, replies: int, *, brand: str = BRAND) -> list[NewEvent]:
    """TicketOpened, then `replies` MessagePosted."""
    return [opened(ticket_id, brand=brand), *(reply(n, brand=brand) for n in range(1, replies + 1))]


def _event(
    event_type: str,
    data: dict[str, Any],
    *,
    brand: str,
    actor: tuple[str, str],
    minute: int,
) -> NewEvent:
    metadata = envelope_metadata(
        schema_version=1,
        occurred_at=OPENED_AT + timedelta(minutes=minute),
        brand_id=brand,
        actor_id=actor[0],
        actor_role=actor[1],
        correlation_id=f"req-{uuid.uuid4().hex[:12]}",
        causation_id=None,
    )
    return NewEvent(str(uuid.uuid4()), event_type, data, metadata)
