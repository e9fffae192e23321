"""One handler per command: load the ticket, decide, append with the expected version.

Commands on one ticket are serialised within the process. A write from another process that
lands first is met by reloading and deciding again (bounded), so a concurrent write alone never
fails a command; with If-Match the caller asked for exactly one version, so a mismatch is final.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence

from ticketing_contracts.topics import ticket_stream_id
from ticketing_contracts.tracking_code import make_tracking_code
from ticketing_eventstore.ports import NO_STREAM, NewEvent
from ticketing_eventstore.ports import WrongExpectedVersion as StoreConflict

from ticketing_tickets.domain import FieldError, Ticket, TicketNotFound, ValidationFailed
from ticketing_tickets.domain.events import TicketOpened
from ticketing_tickets.domain.rules import ATTACHMENTS_MAX

from .codec import as_event_id, envelope_metadata, from_recorded, to_new_events
from .commands import (
    Caller,
    ChangeTicket,
    CloseTicket,
    Opened,
    OpenTicket,
    Posted,
    PostMessage,
    ReadTicket,
    ReopenTicket,
    Written,
)
from .locks import KeyedLocks
from .ports import AttachmentLookup, Catalogs, Clock, IdGenerator, RandomDigits, TicketStreams
from .recent_tickets import Loaded, RecentTickets

MAX_ATTEMPTS = 50
TRACKING_CODE_ATTEMPTS = 12
TRACKING_CODE_RANDOM_DIGITS = 7  # + a check digit: 8-digit codes, ~9 million per brand


class PreconditionFailed(Exception):
    """If-Match named a version the ticket is no longer (or not yet) at."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the ticket is at version {current}")
        self.current = current


class TooMuchContention(Exception):
    """Other processes kept winning the race for this ticket; the caller may retry."""


def tracking_stream_id(brand_id: str, code: str) -> str:
    """The reservation stream that makes a tracking code unique within its brand."""
    return f"tracking-{brand_id}-{code}"


class TicketHandlers:
    """The command side of the tickets service, wired to its ports by bootstrap."""

    def __init__(
        self,
        *,
        store: TicketStreams,
        catalogs: Catalogs,
        attachments: AttachmentLookup,
        clock: Clock,
        new_id: IdGenerator,
        random_digits: RandomDigits,
    ) -> None:
        self._store = store
        self._catalogs = catalogs
        self._attachments = attachments
        self._clock = clock
        self._new_id = new_id
        self._random_digits = random_digits
        self._locks = KeyedLocks()
        self._recent = RecentTickets()

    # -- open --------------------------------------------------------------------------------

    async def open_ticket(self, caller: Caller, cmd: OpenTicket) -> Opened:
        """Open a ticket: reserve a tracking code unique in the brand, then start the stream."""
        await self._check_attachments(caller, cmd.attachment_ids)
        ticket_id = cmd.ticket_id or self._new_id()
        stream = ticket_stream_id(caller.brand_id, ticket_id)
        async with self._locks.hold(stream):
            if cmd.ticket_id is not None and await self._store.read_stream(stream):
                # A retry of a keyed request whose first try got as far as the append.
                return await self._replayed_open(caller, ticket_id)
            for attempt in range(TRACKING_CODE_ATTEMPTS):
                # Codes grow by two digits after repeated collisions, so a full brand still works.
                length = TRACKING_CODE_RANDOM_DIGITS + 2 * (attempt // 4)
                code = make_tracking_code(self._random_digits(length))
                ticket = self._decide_open(caller, cmd, ticket_id, code)
                if await self._reserve(caller, code, ticket_id):
                    break
            else:
                raise TooMuchContention("no free tracking code found")
            try:
                result = await self._store.append(
                    stream, self._new_events(caller, ticket), expected_version=NO_STREAM
                )
            except StoreConflict:
                return await self._replayed_open(caller, ticket_id)
            self._remember(stream, ticket, result.version, result.position)
        return Opened(ticket_id, code, result.version, result.position)

    def _decide_open(self, caller: Caller, cmd: OpenTicket, ticket_id: str, code: str) -> Ticket:
        return Ticket.open(
            actor=caller.actor,
            catalog=self._catalogs.catalog_for(caller.brand_id),
            ticket_id=ticket_id,
            tracking_code=code,
            message_id=self._new_id(),
            customer_id=cmd.customer_id,
            title=cmd.title,
            department=cmd.department,
            request_type=cmd.request_type,
            priority=cmd.priority,
            body=cmd.body,
            attachment_ids=cmd.attachment_ids,
        )

    async def _reserve(self, caller: Caller, code: str, ticket_id: str) -> bool:
        reservation = NewEvent(
            event_id=as_event_id(self._new_id()),
            event_type="TrackingCodeReserved",
            data={"tracking_code": code, "ticket_id": ticket_id},
            metadata=envelope_metadata(caller, self._clock()),
        )
        try:
            await self._store.append(
                tracking_stream_id(caller.brand_id, code), [reservation], expected_version=NO_STREAM
            )
        except StoreConflict:
            return False
        return True

    async def _replayed_open(self, caller: Caller, ticket_id: str) -> Opened:
        """The stream already exists: only a retry of the same request reuses a ticket id."""
        first = (await self._store.read_stream(ticket_stream_id(caller.brand_id, ticket_id)))[0]
        opened = from_recorded(first)
        if not isinstance(opened, TicketOpened) or first.metadata["actor"]["id"] != caller.actor.id:
            raise TooMuchContention("ticket id already taken")
        return Opened(ticket_id, opened.tracking_code, first.stream_version, first.position)

    # -- commands on an existing ticket --------------------------------------------------------

    async def post_message(self, caller: Caller, cmd: PostMessage) -> Posted:
        await self._check_attachments(caller, cmd.attachment_ids)
        message_id = cmd.message_id or self._new_id()

        def decide(ticket: Ticket) -> None:
            if message_id not in ticket.message_ids:  # a retried request posts nothing twice
                ticket.post_message(
                    actor=caller.actor,
                    message_id=message_id,
                    body=cmd.body,
                    attachment_ids=cmd.attachment_ids,
                    follow_up=cmd.follow_up,
                    internal=cmd.internal,
                )

        written = await self._update(caller, cmd.ticket_id, cmd.if_match, decide)
        return Posted(message_id, written.version, written.position)

    async def read_ticket(self, caller: Caller, cmd: ReadTicket) -> Written:
        return await self._update(
            caller, cmd.ticket_id, cmd.if_match, lambda t: t.read(actor=caller.actor)
        )

    async def close_ticket(self, caller: Caller, cmd: CloseTicket) -> Written:
        return await self._update(
            caller,
            cmd.ticket_id,
            cmd.if_match,
            lambda t: t.close(actor=caller.actor, reason=cmd.reason),
        )

    async def reopen_ticket(self, caller: Caller, cmd: ReopenTicket) -> Written:
        return await self._update(
            caller, cmd.ticket_id, cmd.if_match, lambda t: t.reopen(actor=caller.actor)
        )

    async def change_ticket(self, caller: Caller, cmd: ChangeTicket) -> Written:
        catalog = self._catalogs.catalog_for(caller.brand_id)
        return await self._update(
            caller,
            cmd.ticket_id,
            cmd.if_match,
            lambda t: t.change(
                actor=caller.actor,
                catalog=catalog,
                department=cmd.department,
                priority=cmd.priority,
                assignee_id=cmd.assignee_id,
            ),
        )

    # -- the shared load/decide/append loop --------------------------------------------------

    async def _update(
        self,
        caller: Caller,
        ticket_id: str,
        if_match: int | None,
        decide: Callable[[Ticket], None],
    ) -> Written:
        stream = ticket_stream_id(caller.brand_id, ticket_id)
        async with self._locks.hold(stream):
            for attempt in range(MAX_ATTEMPTS):
                # The first try may decide on the ticket as this process last wrote it; If-Match
                # compares with what the store holds, so it always reads.
                cached = self._recent.take(stream) if attempt == 0 and if_match is None else None
                loaded = cached or await self._load(caller.brand_id, ticket_id)
                ticket = loaded.ticket
                if not ticket.exists or not ticket.visible_to(caller.actor):
                    if cached is not None:
                        continue  # another process may have moved it: ask the store
                    raise TicketNotFound(ticket_id)
                if if_match is not None and if_match != ticket.version:
                    raise PreconditionFailed(ticket.version)
                decide(ticket)
                if not ticket.pending:
                    if cached is not None:
                        # Nothing to write: answer with the store's version, not our memory's.
                        self._recent.put(stream, cached)
                        continue
                    self._recent.put(stream, loaded)
                    return Written(ticket.version, loaded.position)
                try:
                    result = await self._store.append(
                        stream, self._new_events(caller, ticket), expected_version=ticket.version
                    )
                except StoreConflict as conflict:
                    if if_match is not None:
                        raise PreconditionFailed(conflict.actual) from conflict
                    # Another process wrote first: back off a little, reload, decide again.
                    await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # noqa: S311
                    continue
                self._remember(stream, ticket, result.version, result.position)
                return Written(result.version, result.position)
        raise TooMuchContention(f"gave up on ticket {ticket_id} after {MAX_ATTEMPTS} attempts")

    def _remember(self, stream: str, ticket: Ticket, version: int, position: int) -> None:
        """Keep the ticket as just written, for the next command on it."""
        ticket.version = version
        ticket.pending.clear()
        self._recent.put(stream, Loaded(ticket, position))

    async def _load(self, brand_id: str, ticket_id: str) -> Loaded:
        records = await self._store.read_stream(ticket_stream_id(brand_id, ticket_id))
        ticket = Ticket.rehydrate(ticket_id, (from_recorded(r) for r in records))
        return Loaded(ticket, records[-1].position if records else 0)

    def _new_events(self, caller: Caller, ticket: Ticket) -> list[NewEvent]:
        return to_new_events(
            ticket.pending, caller=caller, occurred_at=self._clock(), new_id=self._new_id
        )

    async def _check_attachments(self, caller: Caller, attachment_ids: Sequence[str]) -> None:
        if not attachment_ids:
            return
        if len(attachment_ids) > ATTACHMENTS_MAX:
            # The aggregate refuses so many; asking about each would only cost lookups.
            raise ValidationFailed(
                [FieldError("attachment_ids", f"at most {ATTACHMENTS_MAX} attachments")]
            )
        errors = await self._attachments.check(
            brand_id=caller.brand_id, actor=caller.actor, attachment_ids=attachment_ids
        )
        if errors:
            raise ValidationFailed(errors)
