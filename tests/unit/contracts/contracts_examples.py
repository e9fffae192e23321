"""Realistic examples of every event and of an envelope, as they look on the wire."""

from __future__ import annotations

from typing import Any

from ticketing_contracts import CURRENT_VERSIONS, make_tracking_code

TICKET_ID = "3f2b9c0e8d4a4f1b9e6c7a5d2b1e0f47"
BRAND = "sms_panel"

EXAMPLES: dict[str, dict[str, Any]] = {
    "TicketOpened": {
        "ticket_id": TICKET_ID,
        "tracking_code": make_tracking_code("4071932"),
        "customer_id": "cust_5521",
        "title": "خطا در ارسال پیامک انبوه",
        "department": "technical",
        "request_type": "technical",
        "priority": "high",
        "message_id": "9b1d4c2ae0f34d7c8f6a1b2c3d4e5f60",
        "body": "سلام، از صبح امروز ارسال پیامک انبوه با خطای ۵۰۳ متوقف شده است.",
        "attachment_ids": ["a1c3e5f7091b2d4f6a8c0e2f4b6d8f01"],
        "opened_by_side": "customer",
        "opened_by_name": "مریم رضایی",
    },
    "MessagePosted": {
        "message_id": "0c9e8d7f6a5b4c3d2e1f0a9b8c7d6e5f",
        "body": "مشکل از سمت اپراتور بود و برطرف شد؛ لطفاً دوباره امتحان کنید.",
        "attachment_ids": [],
        "internal": False,
        "follow_up": True,
        "author_side": "agent",
        "author_name": "علی کریمی",
    },
    "AgentViewed": {},
    "CustomerRead": {},
    "TicketClosed": {"reason": "مشکل برطرف شد", "closed_by_name": "مریم رضایی"},
    "TicketReopened": {},
    "TicketTransferred": {"from_department": "technical", "to_department": "finance"},
    "PriorityChanged": {"from_priority": "normal", "to_priority": "urgent"},
    "TicketAssigned": {"assignee_id": "agent_17", "previous_assignee_id": None},
}

#: The name field each event's v2 added; v1 data is the same example without it.
NAME_FIELDS_ADDED_IN_V2 = {
    "TicketOpened": "opened_by_name",
    "MessagePosted": "author_name",
    "TicketClosed": "closed_by_name",
}


def example_data(event_type: str, schema_version: int | None = None) -> dict[str, Any]:
    """The example's data at `schema_version` (default: the current one)."""
    data = dict(EXAMPLES[event_type])
    if schema_version == 1 and event_type in NAME_FIELDS_ADDED_IN_V2:
        del data[NAME_FIELDS_ADDED_IN_V2[event_type]]
    return data


def envelope_dict(
    event_type: str = "TicketOpened", schema_version: int | None = None, **overrides: Any
) -> dict[str, Any]:
    """A realistic envelope as it arrives from Kafka (JSON values), at `schema_version`
    (default: the event type's current one)."""
    version = schema_version or CURRENT_VERSIONS[event_type]
    envelope: dict[str, Any] = {
        "event_id": "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
        "event_type": event_type,
        "schema_version": version,
        "stream_id": f"ticket-{BRAND}-{TICKET_ID}",
        "stream_version": 1,
        "position": 1042,
        "occurred_at": "2025-06-20T10:35:00Z",
        "brand_id": BRAND,
        "actor": {"id": "cust_5521", "role": "customer"},
        "correlation_id": "req-7f3a9c",
        "causation_id": None,
        "data": example_data(event_type, version),
    }
    envelope.update(overrides)
    return envelope
