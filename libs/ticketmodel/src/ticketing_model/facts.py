"""A ticket's facts and THE one fold of them (`evolve`): every service that keeps what a ticket
is (the aggregate's state, the query view, attachments' and notifications' records) folds its
events through here, so a rule of STATES.md is written once.

`evolve` takes an event as its consumers see it (`ticketing_feed.EventIn` fits): the ticket,
its stream version and the event as the contract's typed model, which it `match`es by class. An
event at or below the facts' version (a redelivery, a replay) changes nothing; history that does
not start with TicketOpened is no ticket's.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any, Protocol

from ticketing_contracts.events import (
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

from .roles import Side
from .status import LABELS, AgentState, status_code


class FactEvent(Protocol):
    """What `evolve` reads of an event (read-only, so frozen event records fit)."""

    @property
    def brand_id(self) -> str: ...

    @property
    def ticket_id(self) -> str: ...

    @property
    def stream_version(self) -> int: ...

    @property
    def event(self) -> TicketEvent: ...


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What a ticket is, as far as any service decides on it: whose, where, its status halves,
    each side's unread messages, closed or not, and the stream version folded in so far."""

    brand_id: str
    ticket_id: str
    customer_id: str
    department: str
    tracking_code: str
    title: str
    priority: str
    version: int
    agent_state: AgentState = AgentState.NOT_SEEN
    customer_read: bool = False
    closed: bool = False
    agent_unread: int = 0
    customer_unread: int = 0
    assignee_id: str | None = None

    @property
    def code(self) -> int:
        """The status code 1..8 (STATES.md)."""
        return status_code(self.agent_state, self.customer_read)

    @property
    def label(self) -> str:
        return LABELS[self.code]

    def unread_for(self, side: Side | str) -> tuple[bool, int]:
        """(is the ticket unread, how many messages are unread) from one side (API.md)."""
        if side == Side.CUSTOMER:
            return not self.customer_read, self.customer_unread
        return self.agent_state is AgentState.NOT_SEEN, self.agent_unread


FACT_FIELDS = tuple(f.name for f in fields(TicketFacts))
_ALL = attrgetter(*FACT_FIELDS)
_INDEX = {name: index for index, name in enumerate(FACT_FIELDS)}


def _with(facts: TicketFacts, **changes: Any) -> TicketFacts:
    """A copy of `facts` with `changes`: dataclasses.replace without its checks, since a rebuild
    folds every event of the history through here (all fields read at once, the few changes
    put in place, one call of the generated `__init__`: a third cheaper than setting every
    field one by one)."""
    values = list(_ALL(facts))
    for name, value in changes.items():
        values[_INDEX[name]] = value
    return TicketFacts(*values)


# -- the transitions of STATES.md, one function each: `evolve` applies them to the contract's
# events, the tickets aggregate to its own domain events (which carry the same facts).


def opened(
    *,
    brand_id: str,
    ticket_id: str,
    version: int,
    customer_id: str,
    department: str,
    tracking_code: str,
    title: str,
    priority: str,
    by_customer: bool,
) -> TicketFacts:
    """The facts an opening starts (STATES.md, the first two rows): the side that did not
    write the first message has it unread."""
    return TicketFacts(
        brand_id=brand_id,
        ticket_id=ticket_id,
        customer_id=customer_id,
        department=department,
        tracking_code=tracking_code,
        title=title,
        priority=priority,
        version=version,
        agent_state=AgentState.NOT_SEEN if by_customer else AgentState.ANSWERED_FOLLOWING_UP,
        customer_read=False,
        agent_unread=1 if by_customer else 0,
        customer_unread=0 if by_customer else 1,
    )


def message_posted(
    facts: TicketFacts, *, version: int, internal: bool, by_customer: bool, follow_up: bool
) -> TicketFacts:
    """A message: an internal note changes nothing the customer sees; a customer-side message
    is unread by the support side (not seen again); a support reply answers (following up or
    not) and is unread by the customer."""
    if internal:
        return _with(facts, version=version)
    if by_customer:
        return _with(
            facts,
            agent_state=AgentState.NOT_SEEN,
            customer_read=True,
            agent_unread=facts.agent_unread + 1,
            customer_unread=0,
            version=version,
        )
    return _with(
        facts,
        agent_state=AgentState.ANSWERED_FOLLOWING_UP if follow_up else AgentState.ANSWERED,
        customer_read=False,
        customer_unread=facts.customer_unread + 1,
        agent_unread=0,
        version=version,
    )


def agent_viewed(facts: TicketFacts, *, version: int) -> TicketFacts:
    """The support side looked: a ticket not seen is now under review; nothing is unread."""
    state = facts.agent_state
    if state is AgentState.NOT_SEEN:
        state = AgentState.REVIEWING
    return _with(facts, agent_state=state, agent_unread=0, version=version)


def customer_read(facts: TicketFacts, *, version: int) -> TicketFacts:
    """The customer side read the ticket: nothing is unread for it."""
    return _with(facts, customer_read=True, customer_unread=0, version=version)


def changed(facts: TicketFacts, *, version: int, **fields: Any) -> TicketFacts:
    """A fact set as the event says (closed, department, priority, assignee_id): no rule of
    its own (`evolve` sets these in place, a call fewer per event of a rebuild)."""
    return _with(facts, version=version, **fields)


def evolve(facts: TicketFacts | None, event: FactEvent) -> TicketFacts | None:
    """The facts after `event` (STATES.md, Transitions): the one fold of a ticket's facts."""
    data = event.event
    if facts is None:
        if not isinstance(data, TicketOpened):
            return None
        return opened(
            brand_id=event.brand_id,
            ticket_id=event.ticket_id,
            version=event.stream_version,
            customer_id=data.customer_id,
            department=data.department,
            tracking_code=data.tracking_code,
            title=data.title,
            priority=data.priority,
            by_customer=data.opened_by_side == Side.CUSTOMER.value,
        )
    v = event.stream_version
    if v <= facts.version:
        return facts
    match data:
        case MessagePosted():
            return message_posted(
                facts,
                version=v,
                internal=data.internal,
                by_customer=data.author_side == Side.CUSTOMER.value,
                follow_up=data.follow_up,
            )
        case AgentViewed():
            return agent_viewed(facts, version=v)
        case CustomerRead():
            return customer_read(facts, version=v)
        case TicketClosed():
            return _with(facts, closed=True, version=v)
        case TicketReopened():
            return _with(facts, closed=False, version=v)
        case TicketTransferred(to_department=department):
            return _with(facts, department=department, version=v)
        case PriorityChanged(to_priority=priority):
            return _with(facts, priority=priority, version=v)
        case TicketAssigned(assignee_id=assignee):
            return _with(facts, assignee_id=assignee, version=v)
    return _with(facts, version=v)  # an event these facts do not depend on (a second opening)
