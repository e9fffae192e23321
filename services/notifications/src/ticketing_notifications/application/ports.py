"""The notifications service's ports: the store it keeps, the channels (the feed it consumes is
`ticketing_feed.EventFeed`, batches of `EventIn`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Protocol

from ticketing_feed import EventIn
from ticketing_model import Scope, Side, TicketFacts

from ticketing_notifications.domain.rules import CUSTOMER, DEPARTMENT


def event_key(event: EventIn) -> str:
    """An event's identity: its ticket stream and version, unique in the store and the same
    every time the event is delivered (the feed's events carry no separate event id)."""
    return f"{event.brand_id}/{event.ticket_id}/{event.stream_version}"


@dataclass(frozen=True, slots=True)
class Item:
    """One in-app notification: to a customer, or to a department (read flags per reader)."""

    notification_id: str
    event_id: str
    brand_id: str
    audience: str  # rules.CUSTOMER | rules.DEPARTMENT
    recipient: str  # the customer id, or the department code
    ticket_id: str
    tracking_code: str
    kind: str
    text: str
    created_at: datetime
    seq: int = 0  # the store's insertion order (newest first = highest seq first)
    read: bool = False  # for the reader who asked


@dataclass(frozen=True, slots=True)
class Viewer:
    """Whose notifications: the brand, the reader (for read flags), and the items they cover.

    Customer items are covered when their customer is in `recipients`; department items when
    their ticket's department *now* is (its facts, not the department of the event's time), so
    after a transfer they follow the ticket: `scope.admits(facts)` decides, as everywhere.
    `recipients` None covers the whole brand's items of the audience (admins, agents with no
    `departments` claim)."""

    brand_id: str
    reader_id: str
    audience: str
    recipients: frozenset[str] | None

    @classmethod
    def of(cls, scope: Scope, reader_id: str) -> Viewer:
        """The viewer of a caller with this scope: the customer side reads customer items, the
        agent side department items."""
        if scope.side is Side.CUSTOMER:
            return cls(scope.brand_id, reader_id, CUSTOMER, scope.customer_ids)
        return cls(scope.brand_id, reader_id, DEPARTMENT, scope.departments)

    @property
    def scope(self) -> Scope:
        """The tickets whose notifications of `audience` this viewer sees."""
        if self.audience == CUSTOMER:
            return Scope(self.brand_id, Side.CUSTOMER, customer_ids=self.recipients)
        return Scope(self.brand_id, Side.AGENT, departments=self.recipients)


@dataclass(frozen=True, slots=True)
class Preferences:
    """A customer's channels. No stored preferences means in-app only."""

    email: bool = False
    sms: bool = False
    in_app: bool = True
    email_address: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Job:
    """One email or SMS to send, kept in the durable outbox until sent or dead-lettered."""

    event_id: str
    channel: str  # "email" | "sms"
    recipient: str  # the customer id
    address: str  # the email address or the phone number at decision time
    brand_id: str
    ticket_id: str
    tracking_code: str
    kind: str
    occurred_at: datetime
    attempts: int = 0
    next_at: datetime | None = None
    last_error: str | None = None
    title: str = ""  # the ticket's title when decided ("" in jobs queued before titles were)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.event_id, self.channel, self.recipient)


class Claim(Enum):
    """What claiming a job's ledger row found."""

    CLAIMED = "claimed"  # ours now: send it
    SENT = "sent"  # sent before: drop the job
    UNCONFIRMED = "unconfirmed"  # claimed before and never confirmed: never resend blindly


@dataclass(frozen=True, slots=True)
class DeadLetter:
    job: Job
    reason: str
    failed_at: datetime


@dataclass(frozen=True, slots=True)
class Unconfirmed:
    """A ledger claim never confirmed (a crash between claim and send): shown to admins."""

    event_id: str
    channel: str
    recipient: str
    address: str
    brand_id: str
    claimed_at: datetime


@dataclass(frozen=True, slots=True)
class Consumed:
    """What one consumer step writes at once: ticket facts, in-app items, outbox jobs and the
    position reached. Items and jobs already present (by their keys) are left as they are."""

    facts: Sequence[TicketFacts]
    items: Sequence[Item]
    jobs: Sequence[Job]
    position: int
    new_item_ids: list[str] = field(default_factory=list)  # filled by the store: what it added


class NotificationStore(Protocol):
    """Ticket facts, in-app items and read flags, preferences, the outbox, the sent ledger,
    dead letters, and the consumer's checkpoint."""

    async def checkpoint(self) -> int:
        """The feed position consumed so far (0 when new)."""
        ...

    async def facts(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], TicketFacts]:
        """The stored facts of these (brand_id, ticket_id) tickets; unknown ones left out."""
        ...

    async def record(self, consumed: Consumed) -> list[str]:
        """Save facts, items (once per notification id), jobs (once per key) and the checkpoint,
        atomically; returns the ids of the items it actually added."""
        ...

    async def preferences(self, brand_id: str, customer_id: str) -> Preferences | None: ...

    async def save_preferences(
        self, brand_id: str, customer_id: str, preferences: Preferences
    ) -> None: ...

    async def items(
        self,
        viewer: Viewer,
        *,
        limit: int,
        before: int | None = None,
        after: int | None = None,
        unread_only: bool = False,
    ) -> list[Item]:
        """The viewer's items with `read` for its reader: newest first below seq `before`, or
        oldest first above seq `after` (for streams); with `unread_only`, only those its reader
        has not read."""
        ...

    async def unread_count(self, viewer: Viewer) -> int:
        """How many of the viewer's items its reader has not read (the bell's badge)."""
        ...

    async def find(self, viewer: Viewer, notification_id: str) -> Item | None:
        """One item, if the viewer may see it."""
        ...

    async def mark_read(self, viewer: Viewer, notification_ids: Sequence[str] | None) -> None:
        """Mark these (None: all) of the viewer's items read for its reader."""
        ...

    async def due_jobs(self, now: datetime, *, limit: int) -> list[Job]:
        """Outbox jobs whose next attempt is due, oldest first."""
        ...

    async def next_due(self) -> datetime | None:
        """When the earliest job is due (None: the outbox is empty)."""
        ...

    async def claim(self, job: Job, *, owner: str, now: datetime) -> Claim:
        """Claim the ledger row (event, channel, recipient) before sending. A row that failed
        before is claimed again; a sent one or one claimed and never confirmed is not."""
        ...

    async def confirm(self, job: Job) -> None:
        """The send succeeded: the ledger row is sent, the job leaves the outbox."""
        ...

    async def retry_later(self, job: Job, *, error: str, next_at: datetime) -> None:
        """The send failed: release the claim, count the attempt, schedule the next one."""
        ...

    async def dead_letter(self, job: Job, *, reason: str, now: datetime) -> None:
        """Give up: release the claim, move the job to the dead letters with `reason`."""
        ...

    async def drop(self, job: Job) -> None:
        """Take the job out of the outbox without sending (already sent, or unconfirmed)."""
        ...

    async def dead_letters(self, brand_id: str, *, limit: int) -> list[DeadLetter]: ...

    async def unconfirmed(self, brand_id: str, *, except_owner: str) -> list[Unconfirmed]:
        """Claims never confirmed, other than those of `except_owner` (sends under way now)."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """What a channel sends: the address, a subject (email), plain text, and HTML (email)."""

    address: str
    subject: str
    text: str
    html: str | None = None


class Channel(Protocol):
    """An external channel (email, SMS). Raises on failure; returning means it was accepted."""

    async def send(self, message: OutgoingMessage) -> None: ...
