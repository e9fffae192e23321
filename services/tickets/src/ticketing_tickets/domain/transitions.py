"""How each event moves a ticket's facts: the aggregate's fold, onto the same transitions of
`ticketing_model` as every consumer's `evolve`, and the facts before the opening."""

from __future__ import annotations

import ticketing_model as model
from ticketing_model import TicketFacts

from .events import (
    AgentViewed,
    CustomerRead,
    MessagePosted,
    PriorityChanged,
    TicketAssigned,
    TicketClosed,
    TicketEvent,
    TicketOpened,
    TicketReopened,
    TicketTransferred,
)
from .values import Priority, Side

NOT_OPENED = TicketFacts(
    brand_id="",
    ticket_id="",
    customer_id="",
    department="",
    tracking_code="",
    title="",
    priority=Priority.NORMAL.value,
    version=0,
)
"""What a ticket is before its opening: nobody's, nowhere, nothing unread."""


def applied(facts: TicketFacts, event: TicketEvent, *, ticket_id: str) -> TicketFacts:
    """`facts` after `event` (its version counts the events applied, pending ones included)."""
    v = facts.version + 1
    match event:
        case TicketOpened():
            return model.opened(
                brand_id="",
                ticket_id=ticket_id,
                version=v,
                customer_id=event.customer_id,
                department=event.department,
                tracking_code=event.tracking_code,
                title=event.title,
                priority=event.priority.value,
                by_customer=event.opened_by_side is Side.CUSTOMER,
            )
        case MessagePosted():
            return model.message_posted(
                facts,
                version=v,
                internal=event.internal,
                by_customer=event.author_side is Side.CUSTOMER,
                follow_up=event.follow_up,
            )
        case AgentViewed():
            return model.agent_viewed(facts, version=v)
        case CustomerRead():
            return model.customer_read(facts, version=v)
        case TicketClosed():
            return model.changed(facts, version=v, closed=True)
        case TicketReopened():
            return model.changed(facts, version=v, closed=False)
        case TicketTransferred():
            return model.changed(facts, version=v, department=event.to_department)
        case PriorityChanged():
            return model.changed(facts, version=v, priority=event.to_priority.value)
        case TicketAssigned():
            return model.changed(facts, version=v, assignee_id=event.assignee_id)
    return facts
