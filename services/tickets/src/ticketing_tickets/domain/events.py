"""The ticket's domain events: facts, past tense, frozen.

Their fields are the `data` of the public contracts (`ticketing_contracts.events`); a unit test
checks every one against its schema, so the two cannot drift. Who did it, when, and for which
brand travel in the envelope, not here; the name of the person who opened, wrote or closed
is data (the token's `name`, None without one), since readers show it beside what they did.
"""

from __future__ import annotations

from dataclasses import dataclass

from .values import Priority, Side


@dataclass(frozen=True, slots=True)
class TicketOpened:
    ticket_id: str
    tracking_code: str
    customer_id: str
    title: str
    department: str
    request_type: str
    priority: Priority
    message_id: str
    body: str
    attachment_ids: tuple[str, ...]
    opened_by_side: Side
    opened_by_name: str | None = None


@dataclass(frozen=True, slots=True)
class MessagePosted:
    message_id: str
    body: str
    attachment_ids: tuple[str, ...]
    internal: bool
    follow_up: bool
    author_side: Side
    author_name: str | None = None


@dataclass(frozen=True, slots=True)
class AgentViewed:
    pass


@dataclass(frozen=True, slots=True)
class CustomerRead:
    pass


@dataclass(frozen=True, slots=True)
class TicketClosed:
    reason: str | None
    closed_by_name: str | None = None


@dataclass(frozen=True, slots=True)
class TicketReopened:
    pass


@dataclass(frozen=True, slots=True)
class TicketTransferred:
    from_department: str
    to_department: str


@dataclass(frozen=True, slots=True)
class PriorityChanged:
    from_priority: Priority
    to_priority: Priority


@dataclass(frozen=True, slots=True)
class TicketAssigned:
    assignee_id: str | None
    previous_assignee_id: str | None


TicketEvent = (
    TicketOpened
    | MessagePosted
    | AgentViewed
    | CustomerRead
    | TicketClosed
    | TicketReopened
    | TicketTransferred
    | PriorityChanged
    | TicketAssigned
)

EVENT_TYPES: tuple[type[TicketEvent], ...] = (
    TicketOpened,
    MessagePosted,
    AgentViewed,
    CustomerRead,
    TicketClosed,
    TicketReopened,
    TicketTransferred,
    PriorityChanged,
    TicketAssigned,
)
