"""The Ticket aggregate: decide, record, apply.

A command method checks its rules and records events; `_apply` is the only place state changes;
`rehydrate` folds the history. Time, ids and tracking codes are passed in.

What the aggregate decides on is the ticket's facts (`ticketing_model.TicketFacts`), folded by
`transitions.applied` onto the same transitions as every consumer's `evolve`; only the message
ids it keeps are its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ticketing_model import TicketFacts

from .errors import FieldError, Forbidden, ValidationFailed
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
from .rules import (
    BODY_MAX,
    REASON_MAX,
    TITLE_MAX,
    check_attachments,
    check_choice,
    clean_text,
    parse_priority,
)
from .transitions import NOT_OPENED, applied
from .values import Actor, AgentState, BrandCatalog, Priority, Role, Side


class Unset:
    """Marks a PATCH field that was not sent (distinct from an explicit null)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset()


@dataclass
class Ticket:
    """One support ticket, as far as deciding commands needs to know it."""

    ticket_id: str
    #: Blank until the opening is applied. The aggregate works in one brand's stream and never
    #: reads the brand, so its facts leave `brand_id` empty.
    facts: TicketFacts = NOT_OPENED
    message_ids: set[str] = field(default_factory=set)
    version: int = 0
    pending: list[TicketEvent] = field(default_factory=list)

    @property
    def customer_id(self) -> str:
        return self.facts.customer_id

    @property
    def department(self) -> str:
        return self.facts.department

    @property
    def priority(self) -> Priority:
        return Priority(self.facts.priority)

    @property
    def assignee_id(self) -> str | None:
        return self.facts.assignee_id

    @property
    def closed(self) -> bool:
        return self.facts.closed

    @property
    def agent_state(self) -> AgentState:
        return self.facts.agent_state

    @property
    def customer_read(self) -> bool:
        return self.facts.customer_read

    @property
    def agent_unread(self) -> int:
        return self.facts.agent_unread

    @property
    def customer_unread(self) -> int:
        return self.facts.customer_unread

    # -- loading -----------------------------------------------------------------------------

    @classmethod
    def rehydrate(cls, ticket_id: str, history: Iterable[TicketEvent]) -> Ticket:
        ticket = cls(ticket_id=ticket_id)
        for event in history:
            ticket._apply(event)
            ticket.version += 1
        return ticket

    @property
    def exists(self) -> bool:
        return self.version > 0 or bool(self.pending)

    def visible_to(self, actor: Actor) -> bool:
        """Whether the actor may see this ticket at all (the brand is checked by the caller)."""
        if actor.side is Side.CUSTOMER:
            return actor.acts_for(self.customer_id)
        return actor.serves(self.department)

    # -- commands ----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        actor: Actor,
        catalog: BrandCatalog,
        ticket_id: str,
        tracking_code: str,
        message_id: str,
        customer_id: str | None,
        title: str,
        department: str,
        request_type: str,
        priority: str,
        body: str,
        attachment_ids: Sequence[str] = (),
    ) -> Ticket:
        errors: list[FieldError] = []
        owner = _owner_of_new_ticket(errors, actor, customer_id)
        clean_title = clean_text(errors, "title", title, max_len=TITLE_MAX, multiline=False)
        clean_body = clean_text(errors, "body", body, max_len=BODY_MAX, multiline=True)
        check_choice(errors, "department", department, catalog.departments)
        check_choice(errors, "request_type", request_type, catalog.request_types)
        level = parse_priority(errors, priority)
        attachments = check_attachments(errors, attachment_ids)
        if errors:
            raise ValidationFailed(errors)
        if actor.side is Side.AGENT and not actor.serves(department):
            raise Forbidden("agents open tickets only in the departments they serve")
        ticket = cls(ticket_id=ticket_id)
        ticket._record(
            TicketOpened(
                ticket_id=ticket_id,
                tracking_code=tracking_code,
                customer_id=owner,
                title=clean_title,
                department=department,
                request_type=request_type,
                priority=level,
                message_id=message_id,
                body=clean_body,
                attachment_ids=attachments,
                opened_by_side=actor.side,
                opened_by_name=actor.name,
            )
        )
        return ticket

    def post_message(
        self,
        *,
        actor: Actor,
        message_id: str,
        body: str,
        attachment_ids: Sequence[str] = (),
        follow_up: bool | None = None,
        internal: bool | None = None,
    ) -> None:
        errors: list[FieldError] = []
        if actor.side is Side.CUSTOMER:
            # Only the support side writes internal notes or marks a reply as followed up.
            for name, value in (("follow_up", follow_up), ("internal", internal)):
                if value is not None:
                    errors.append(FieldError(name, "only agents and admins may set this field"))
        clean_body = clean_text(errors, "body", body, max_len=BODY_MAX, multiline=True)
        attachments = check_attachments(errors, attachment_ids)
        if errors:
            raise ValidationFailed(errors)
        is_internal = bool(internal)
        if self.closed and not is_internal:
            self._record(TicketReopened())
        self._record(
            MessagePosted(
                message_id=message_id,
                body=clean_body,
                attachment_ids=attachments,
                internal=is_internal,
                follow_up=bool(follow_up) and not is_internal,
                author_side=actor.side,
                author_name=actor.name,
            )
        )

    def read(self, *, actor: Actor) -> None:
        """The caller has read the ticket: CustomerRead or AgentViewed, if it changes anything."""
        if actor.side is Side.CUSTOMER:
            if not self.customer_read or self.customer_unread:
                self._record(CustomerRead())
        elif self.agent_state is AgentState.NOT_SEEN or self.agent_unread:
            self._record(AgentViewed())

    def close(self, *, actor: Actor, reason: str | None = None) -> None:
        clean_reason: str | None = None
        if reason is not None:
            errors: list[FieldError] = []
            clean_reason = clean_text(errors, "reason", reason, max_len=REASON_MAX, multiline=True)
            if errors:
                raise ValidationFailed(errors)
        if not self.closed:
            self._record(TicketClosed(reason=clean_reason, closed_by_name=actor.name))

    def reopen(self, *, actor: Actor) -> None:
        if self.closed:
            self._record(TicketReopened())

    def change(
        self,
        *,
        actor: Actor,
        catalog: BrandCatalog,
        department: str | Unset = UNSET,
        priority: str | Unset = UNSET,
        assignee_id: str | Unset | None = UNSET,
    ) -> None:
        """Transfer, reprioritise and/or (un)assign: the support side's PATCH."""
        if actor.side is not Side.AGENT:
            raise Forbidden("only agents and admins may change a ticket")
        errors: list[FieldError] = []
        if isinstance(department, str):
            check_choice(errors, "department", department, catalog.departments)
        new_priority = parse_priority(errors, priority) if isinstance(priority, str) else None
        if isinstance(assignee_id, str) and not assignee_id.strip():
            errors.append(FieldError("assignee_id", "must be a user id or null"))
        if errors:
            raise ValidationFailed(errors)
        if isinstance(department, str) and department != self.department:
            self._record(
                TicketTransferred(from_department=self.department, to_department=department)
            )
        if new_priority is not None and new_priority is not self.priority:
            self._record(PriorityChanged(from_priority=self.priority, to_priority=new_priority))
        if not isinstance(assignee_id, Unset) and assignee_id != self.assignee_id:
            self._record(
                TicketAssigned(assignee_id=assignee_id, previous_assignee_id=self.assignee_id)
            )

    # -- state -------------------------------------------------------------------------------

    def _record(self, event: TicketEvent) -> None:
        self._apply(event)
        self.pending.append(event)

    def _apply(self, event: TicketEvent) -> None:
        if isinstance(event, TicketOpened | MessagePosted):
            self.message_ids.add(event.message_id)
        self.facts = applied(self.facts, event, ticket_id=self.ticket_id)


def _owner_of_new_ticket(errors: list[FieldError], actor: Actor, customer_id: str | None) -> str:
    """The customer a new ticket belongs to, by who opens it (API.md, POST /v1/tickets)."""
    if actor.role is Role.CUSTOMER:
        if customer_id is not None and customer_id != actor.id:
            raise Forbidden("a customer opens tickets only for itself")
        return actor.id
    if customer_id is None or not customer_id.strip():
        errors.append(FieldError("customer_id", f"required when a {actor.role} opens a ticket"))
        return ""
    if actor.role is Role.REPRESENTATIVE and not actor.acts_for(customer_id):
        raise Forbidden("a representative opens tickets only for the customers it represents")
    return customer_id
