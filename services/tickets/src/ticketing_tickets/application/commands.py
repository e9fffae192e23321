"""Commands: what a caller asks the tickets service to do, already authenticated."""

from __future__ import annotations

from dataclasses import dataclass, field

from ticketing_tickets.domain import UNSET, Actor
from ticketing_tickets.domain.ticket import Unset


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks, for which brand, and the ids that tie the resulting events to the request."""

    brand_id: str
    actor: Actor
    correlation_id: str
    causation_id: str | None = None


@dataclass(frozen=True, slots=True)
class OpenTicket:
    title: str
    department: str
    priority: str
    body: str
    request_type: str = "general"
    attachment_ids: tuple[str, ...] = ()
    customer_id: str | None = None
    # Set when the request carries an Idempotency-Key, so a retry after a crash reuses the ids.
    ticket_id: str | None = None


@dataclass(frozen=True, slots=True)
class PostMessage:
    ticket_id: str
    body: str
    attachment_ids: tuple[str, ...] = ()
    follow_up: bool | None = None
    internal: bool | None = None
    message_id: str | None = None
    if_match: int | None = None


@dataclass(frozen=True, slots=True)
class ReadTicket:
    ticket_id: str
    if_match: int | None = None


@dataclass(frozen=True, slots=True)
class CloseTicket:
    ticket_id: str
    reason: str | None = None
    if_match: int | None = None


@dataclass(frozen=True, slots=True)
class ReopenTicket:
    ticket_id: str
    if_match: int | None = None


@dataclass(frozen=True, slots=True)
class ChangeTicket:
    ticket_id: str
    department: str | Unset = UNSET
    priority: str | Unset = UNSET
    assignee_id: str | Unset | None = field(default=UNSET)
    if_match: int | None = None


@dataclass(frozen=True, slots=True)
class Written:
    """The ticket stream's version after the command and its last event's global position."""

    version: int
    position: int


@dataclass(frozen=True, slots=True)
class Opened:
    ticket_id: str
    tracking_code: str
    version: int
    position: int


@dataclass(frozen=True, slots=True)
class Posted:
    message_id: str
    version: int
    position: int
