"""Ticket histories as the consumers receive them (`EventIn`), told step by step, and the
hypothesis strategies that generate them and the identities that look at them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from ticketing_feed import EventIn

from tests.typed_events import event_in

BRANDS = ("acme", "globex")
CUSTOMERS = ("cust-1", "cust-2", "cust-3")
DEPARTMENTS = ("technical", "finance", "refunds")
ROLES = ("customer", "representative", "agent", "admin")
ACTIONS = (
    "customer_reply",
    "agent_reply",
    "follow_up",
    "internal_note",
    "agent_viewed",
    "customer_read",
    "closed",
    "reopened",
    "transferred",
    "priority",
    "assigned",
)
_START = datetime(2026, 3, 21, 8, 30, tzinfo=UTC)  # ۱ فروردین ۱۴۰۵
_positions = itertools.count(1)


@dataclass
class Told:
    """One ticket's history, event by event, as the tickets service writes it."""

    brand_id: str
    ticket_id: str
    customer_id: str
    department: str
    events: list[EventIn] = field(default_factory=list)

    def add(self, event_type: str, data: dict[str, Any], *, role: str = "customer") -> EventIn:
        version = len(self.events) + 1
        event = event_in(
            position=next(_positions),
            brand_id=self.brand_id,
            ticket_id=self.ticket_id,
            stream_version=version,
            event_type=event_type,
            occurred_at=_START + timedelta(minutes=version),
            actor_id=self.customer_id if role == "customer" else "agent-1",
            actor_role=role,
            data=data,
        )
        self.events.append(event)
        return event

    def opened(self, *, by_agent: bool = False) -> None:
        self.add(
            "TicketOpened",
            {
                "ticket_id": self.ticket_id,
                "tracking_code": "48213057",
                "customer_id": self.customer_id,
                "title": "درخواست پیش فاکتور",
                "department": self.department,
                "request_type": "billing",
                "priority": "normal",
                "message_id": f"m-{self.ticket_id}-0",
                "body": "لطفاً پیش فاکتور ارتقای پنل را بفرستید.",
                "attachment_ids": [],
                "opened_by_side": "agent" if by_agent else "customer",
                "opened_by_name": "مریم رضایی",
            },
            role="agent" if by_agent else "customer",
        )

    def step(self, action: str, arg: int) -> None:
        """One action of ACTIONS; `arg` picks a department, a priority or an assignee."""
        message = {"message_id": f"m-{self.ticket_id}-{len(self.events)}", "attachment_ids": []}
        match action:
            case "customer_reply":
                data = {"body": "هنوز مشکل پابرجاست", "internal": False, "follow_up": False}
                self.add("MessagePosted", {**message, **data, "author_side": "customer"})
            case "agent_reply" | "follow_up" | "internal_note":
                note = action == "internal_note"
                data = {
                    "body": "بررسی شد، لطفاً دوباره امتحان کنید",
                    "internal": note,
                    "follow_up": action == "follow_up",
                    "author_side": "agent",
                }
                self.add("MessagePosted", {**message, **data}, role="agent")
            case "agent_viewed":
                self.add("AgentViewed", {}, role="agent")
            case "customer_read":
                self.add("CustomerRead", {})
            case "closed":
                self.add("TicketClosed", {"reason": "حل شد", "closed_by_name": None}, role="agent")
            case "reopened":
                self.add("TicketReopened", {}, role="agent")
            case "transferred":
                to = DEPARTMENTS[arg % len(DEPARTMENTS)]
                moved = {"from_department": self.department, "to_department": to}
                self.department = to
                self.add("TicketTransferred", moved, role="agent")
            case "priority":
                to_priority = ("low", "high", "urgent")[arg % 3]
                self.add(
                    "PriorityChanged",
                    {"from_priority": "normal", "to_priority": to_priority},
                    role="agent",
                )
            case "assigned":
                who = None if arg % 3 == 0 else f"agent-{arg % 3}"
                self.add(
                    "TicketAssigned",
                    {"assignee_id": who, "previous_assignee_id": None},
                    role="agent",
                )


steps = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 2)), min_size=0, max_size=40)


@st.composite
def histories(draw: st.DrawFn) -> Told:
    """One ticket of a generated brand, customer and department, opened by either side, then
    up to forty generated steps."""
    told = Told(
        brand_id=draw(st.sampled_from(BRANDS)),
        ticket_id=draw(st.sampled_from(["0f" * 16, "a1" * 16, "7c" * 16])),
        customer_id=draw(st.sampled_from(CUSTOMERS)),
        department=draw(st.sampled_from(DEPARTMENTS)),
    )
    told.opened(by_agent=draw(st.booleans()))
    for action, arg in draw(steps):
        told.step(action, arg)
    return told


@dataclass(frozen=True)
class Claims:
    """A verified token's claims, as the services receive them."""

    role: str
    sub: str
    brand: str
    departments: frozenset[str] | None
    customers: frozenset[str]


@st.composite
def identities(draw: st.DrawFn) -> Claims:
    role = draw(st.sampled_from(ROLES))
    sub = draw(st.sampled_from(CUSTOMERS)) if role == "customer" else f"{role}-1"
    departments = draw(st.none() | st.frozensets(st.sampled_from(DEPARTMENTS)))
    customers = draw(st.frozensets(st.sampled_from(CUSTOMERS)))
    return Claims(
        role=role,
        sub=sub,
        brand=draw(st.sampled_from(BRANDS)),
        departments=departments if role == "agent" else None,
        customers=customers if role == "representative" else frozenset(),
    )
