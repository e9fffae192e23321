"""Realistic examples of every event and of an envelope, as they look on the wire."""

from __future__ import annotations

from typing import Any

from ticketing_contracts import make_tracking_code

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
    },
    "MessagePosted": {
        "message_id": "0c9e8d7f6a5b4c3d2e1f0a9b8c7d6e5f",
        "body": "مشکل از سمت اپراتور بود و برطرف شد؛ لطفاً دوباره امتحان کنید.",
        "attachment_ids": [],
        "internal": False,
        "follow_up": True,
        "author_side": "agent",
    },
    "AgentViewed": {},
    "CustomerRead": {},
    "TicketClosed": {"reason": "مشکل برطرف شد"},
    "TicketReopened": {},
    "TicketTransferred": {"from_department": "technical", "to_department": "finance"},
    "PriorityChanged": {"from_priority": "normal", "to_priority": "urgent"},
    "TicketAssigned": {"assignee_id": "agent_17", "previous_assignee_id": None},
}


def envelope_dict(event_type: str = "TicketOpened", **overrides: Any) -> dict[str, Any]:
    """A realistic envelope as it arrives from Kafka (JSON values)."""
    envelope: dict[str, Any] = {
        "event_id": "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
        "event_type": event_type,
        "schema_version": 1,
        "stream_id": f"ticket-{BRAND}-{TICKET_ID}",
        "stream_version": 1,
        "position": 1042,
        "occurred_at": "2025-06-20T10:35:00Z",
        "brand_id": BRAND,
        "actor": {"id": "cust_5521", "role": "customer"},
        "correlation_id": "req-7f3a9c",
        "causation_id": None,
        "data": EXAMPLES[event_type],
    }
    envelope.update(overrides)
    return envelope
