"""The recipient rules of API.md (Notifications), as a pure function of an event and a ticket.

An agent's visible reply and an agent-opened ticket tell the customer in-app and, per their
preferences, by email and SMS; an agent closing, reopening or transferring a ticket, or taking it
under review (AgentViewed moving the support side from not seen to reviewing, STATES.md), tells
the customer in-app only. A customer-side opening or reply tells the ticket's department.
Everything else (other reads, internal notes, priority and assignment changes) tells nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

CUSTOMER = "customer"  # audience: one customer (recipient = customer id)
DEPARTMENT = "department"  # audience: every agent serving (brand, department)
AGENT_ROLES = frozenset({"agent", "admin"})
CUSTOMER_SIDE = "customer"

# The support side's half of the status (STATES.md), as far as the review notice needs it.
NOT_SEEN = "not_seen"
REVIEWING = "reviewing"
ANSWERED = "answered"
ANSWERED_FOLLOWING_UP = "answered_following_up"
UNKNOWN_STATE = ""
"""Facts kept before the state was: the next AgentViewed announces nothing (it cannot tell)."""


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the consumer keeps per ticket: enough to address and describe a notification."""

    brand_id: str
    ticket_id: str
    customer_id: str
    department: str
    tracking_code: str
    title: str
    version: int
    agent_state: str = UNKNOWN_STATE


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
    """Fold one event into the ticket's facts and name its notices; a seen event names none."""
    if facts is not None and stream_version <= facts.version:
        return Decision(facts)  # delivered again: already decided
    if facts is None:
        if event_type != "TicketOpened":
            return Decision(None)  # history that does not start with an opening is not ours
        by_customer = data.get("opened_by_side") == CUSTOMER_SIDE
        facts = TicketFacts(
            brand_id=brand_id,
            ticket_id=ticket_id,
            customer_id=str(data["customer_id"]),
            department=str(data["department"]),
            tracking_code=str(data["tracking_code"]),
            title=str(data["title"]),
            version=stream_version,
            agent_state=NOT_SEEN if by_customer else ANSWERED_FOLLOWING_UP,
        )
        if by_customer:
            return Decision(facts, (_to_department(facts, "ticket_opened"),))
        return Decision(facts, (_to_customer(facts, "ticket_opened_for_you", external=True),))
    previous_state = facts.agent_state
    facts = replace(facts, version=stream_version)
    by_agent = actor_role in AGENT_ROLES
    match event_type:
        case "MessagePosted" if not data.get("internal"):
            if data.get("author_side") == CUSTOMER_SIDE:
                facts = replace(facts, agent_state=NOT_SEEN)
                return Decision(facts, (_to_department(facts, "customer_replied"),))
            state = ANSWERED_FOLLOWING_UP if data.get("follow_up") else ANSWERED
            facts = replace(facts, agent_state=state)
            return Decision(facts, (_to_customer(facts, "agent_replied", external=True),))
        case "AgentViewed":
            if previous_state == NOT_SEEN:
                facts = replace(facts, agent_state=REVIEWING)
                return Decision(facts, (_to_customer(facts, "ticket_under_review"),))
            if previous_state == UNKNOWN_STATE:
                return Decision(replace(facts, agent_state=REVIEWING))
        case "TicketClosed" if by_agent:
            return Decision(facts, (_to_customer(facts, "ticket_closed"),))
        case "TicketReopened" if by_agent:
            return Decision(facts, (_to_customer(facts, "ticket_reopened"),))
        case "TicketTransferred":
            facts = replace(facts, department=str(data["to_department"]))
            notices = (_to_customer(facts, "ticket_transferred"),) if by_agent else ()
            return Decision(facts, notices)
    return Decision(facts)


def _to_customer(facts: TicketFacts, kind: str, *, external: bool = False) -> Notice:
    return Notice(CUSTOMER, facts.customer_id, kind, external)


def _to_department(facts: TicketFacts, kind: str) -> Notice:
    return Notice(DEPARTMENT, facts.department, kind, external=False)
