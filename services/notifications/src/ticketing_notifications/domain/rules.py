"""The recipient rules of API.md (Notifications), as a pure function of an event and a ticket.

An agent's visible reply and an agent-opened ticket tell the customer in-app and, per their
preferences, by email and SMS; an agent closing, reopening or transferring a ticket, or taking it
under review (AgentViewed moving the support side from not seen to reviewing, STATES.md), tells
the customer in-app only. A customer-side opening or reply tells the ticket's department.
Everything else (other reads, internal notes, priority and assignment changes) tells nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ticketing_contracts.events import (
    AgentViewed,
    MessagePosted,
    TicketClosed,
    TicketOpened,
    TicketReopened,
    TicketTransferred,
)
from ticketing_model import AgentState, FactEvent, Side, TicketFacts, evolve

CUSTOMER = "customer"  # audience: one customer (recipient = customer id)
DEPARTMENT = "department"  # audience: every agent serving (brand, department)
AGENT_ROLES = frozenset({"agent", "admin"})


class ActedEvent(FactEvent, Protocol):
    """What `decide` reads of an event (`ticketing_feed.EventIn` fits): what `evolve` reads,
    and the role of who did it."""

    @property
    def actor_role(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification to make: to a customer or to a department, with or without email/SMS."""

    audience: str
    recipient: str
    kind: str
    external: bool  # email and SMS may follow, per the customer's preferences


@dataclass(frozen=True, slots=True)
class Decision:
    """The ticket as it stands after the event, and who to tell about it."""

    facts: TicketFacts | None
    notices: tuple[Notice, ...] = ()


def decide(facts: TicketFacts | None, event: ActedEvent) -> Decision:
    """Fold one event into the ticket's facts (`ticketing_model.evolve`, the fold every service
    shares) and name its notices, from the facts before and after; a seen event names none."""
    after = evolve(facts, event)
    if after is None or after is facts:
        return Decision(after)  # not a ticket's history, or delivered again: already decided
    if facts is None:
        opening = event.event
        if isinstance(opening, TicketOpened) and opening.opened_by_side == Side.CUSTOMER.value:
            return Decision(after, (_to_department(after, "ticket_opened"),))
        return Decision(after, (_to_customer(after, "ticket_opened_for_you", external=True),))
    by_agent = event.actor_role in AGENT_ROLES
    match event.event:
        case MessagePosted(internal=False, author_side=Side.CUSTOMER):
            return Decision(after, (_to_department(after, "customer_replied"),))
        case MessagePosted(internal=False):
            return Decision(after, (_to_customer(after, "agent_replied", external=True),))
        case AgentViewed() if facts.agent_state is AgentState.NOT_SEEN:
            return Decision(after, (_to_customer(after, "ticket_under_review"),))
        case TicketClosed() if by_agent:
            return Decision(after, (_to_customer(after, "ticket_closed"),))
        case TicketReopened() if by_agent:
            return Decision(after, (_to_customer(after, "ticket_reopened"),))
        case TicketTransferred() if by_agent:
            return Decision(after, (_to_customer(after, "ticket_transferred"),))
    return Decision(after)


def _to_customer(facts: TicketFacts, kind: str, *, external: bool = False) -> Notice:
    return Notice(CUSTOMER, facts.customer_id, kind, external)


def _to_department(facts: TicketFacts, kind: str) -> Notice:
    return Notice(DEPARTMENT, facts.department, kind, external=False)
