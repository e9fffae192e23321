"""The recipient rules of API.md (Notifications), as a pure function of an event and a ticket.

An agent's visible reply and an agent-opened ticket tell the customer in-app and, per their
preferences, by email and SMS; an agent closing, reopening or transferring a ticket, or taking it
under review (AgentViewed moving the support side from not seen to reviewing, STATES.md), tells
the customer in-app only. A customer-side opening or reply tells the ticket's department.
Everything else (other reads, internal notes, priority and assignment changes) tells nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ticketing_model import AgentState, Side, TicketFacts, evolve

CUSTOMER = "customer"  # audience: one customer (recipient = customer id)
DEPARTMENT = "department"  # audience: every agent serving (brand, department)
AGENT_ROLES = frozenset({"agent", "admin"})


@dataclass(frozen=True, slots=True)
class _Event:
    """One event as `evolve` reads it."""

    brand_id: str
    ticket_id: str
    stream_version: int
    event_type: str
    data: Mapping[str, Any]


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


def decide(
    facts: TicketFacts | None,
    *,
    event_type: str,
    stream_version: int,
    actor_role: str,
    data: dict[str, Any],
    brand_id: str,
    ticket_id: str,
) -> Decision:
    """Fold one event into the ticket's facts (`ticketing_model.evolve`, the fold every service
    shares) and name its notices, from the facts before and after; a seen event names none."""
    event = _Event(brand_id, ticket_id, stream_version, event_type, data)
    after = evolve(facts, event)
    if after is None or after is facts:
        return Decision(after)  # not a ticket's history, or delivered again: already decided
    if facts is None:
        if data.get("opened_by_side") == Side.CUSTOMER:
            return Decision(after, (_to_department(after, "ticket_opened"),))
        return Decision(after, (_to_customer(after, "ticket_opened_for_you", external=True),))
    by_agent = actor_role in AGENT_ROLES
    match event_type:
        case "MessagePosted" if not data.get("internal"):
            if data.get("author_side") == Side.CUSTOMER:
                return Decision(after, (_to_department(after, "customer_replied"),))
            return Decision(after, (_to_customer(after, "agent_replied", external=True),))
        case "AgentViewed" if facts.agent_state is AgentState.NOT_SEEN:
            return Decision(after, (_to_customer(after, "ticket_under_review"),))
        case "TicketClosed" if by_agent:
            return Decision(after, (_to_customer(after, "ticket_closed"),))
        case "TicketReopened" if by_agent:
            return Decision(after, (_to_customer(after, "ticket_reopened"),))
        case "TicketTransferred" if by_agent:
            return Decision(after, (_to_customer(after, "ticket_transferred"),))
    return Decision(after)


def _to_customer(facts: TicketFacts, kind: str, *, external: bool = False) -> Notice:
    return Notice(CUSTOMER, facts.customer_id, kind, external)


def _to_department(facts: TicketFacts, kind: str) -> Notice:
    return Notice(DEPARTMENT, facts.department, kind, external=False)
