"""The projector folds a batch onto the views it wrote last instead of loading them again (it is
the read model's one writer), loads nothing for an opening, checks a kept view against the
stream version of the batch's first event, and trusts only the read model again after an apply
that failed."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from ticketing_contracts.catalog import BrandCatalogs
from ticketing_eventstore.memory import InMemoryEventStore
from ticketing_feed import EventIn, FeedBatch
from ticketing_feed.store import to_event_in
from ticketing_query.adapters.readmodel_memory import InMemoryReadModel
from ticketing_query.application.ports import ProjectionBatch
from ticketing_query.application.projector import Projector, RecentViews
from ticketing_query.domain.view import TicketView
from ticketing_tickets.adapters.attachments_unavailable import NoAttachments
from ticketing_tickets.application.commands import Caller, OpenTicket, PostMessage, ReadTicket
from ticketing_tickets.application.handlers import TicketHandlers
from ticketing_tickets.bootstrap import random_digits
from ticketing_tickets.domain import Actor, Role

NOW = datetime(2025, 6, 21, 9, 15, tzinfo=UTC)
CUSTOMER = Caller("acme", Actor("cust-7", Role.CUSTOMER), correlation_id="req-7")
AGENT = Caller("acme", Actor("agent-3", Role.AGENT), correlation_id="req-8")
TICKET = OpenTicket(
    title="فاکتور اسفند صادر نشده است",
    department="finance",
    priority="normal",
    body="سلام، فاکتور رسمی اسفند هنوز در پنل نیامده است.",
)


class CountingReadModel(InMemoryReadModel):
    """The in-memory read model, noting which keys were loaded; `fail_next` fails one apply."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[list[tuple[str, str]]] = []
        self.fail_next = False

    async def load(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], TicketView]:
        self.loaded.append(list(keys))
        return await super().load(keys)

    async def apply(self, batch: ProjectionBatch) -> None:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("the read model went away mid-batch")
        await super().apply(batch)


async def history() -> tuple[str, list[EventIn]]:
    """One ticket: opened, an agent's reply, the customer reading it (one event each)."""
    store = InMemoryEventStore()
    handlers = TicketHandlers(
        store=store,
        catalogs=BrandCatalogs(),
        attachments=NoAttachments(),
        clock=lambda: NOW,
        new_id=lambda: uuid.uuid4().hex,
        random_digits=random_digits,
    )
    opened = await handlers.open_ticket(CUSTOMER, TICKET)
    await handlers.post_message(AGENT, PostMessage(opened.ticket_id, "فاکتور امروز صادر شد."))
    await handlers.read_ticket(CUSTOMER, ReadTicket(opened.ticket_id))
    events = [e for r in await store.read_all() if (e := to_event_in(r)) is not None]
    assert [e.event_type for e in events] == ["TicketOpened", "MessagePosted", "CustomerRead"]
    return opened.ticket_id, events


def one(event: EventIn) -> FeedBatch:
    return FeedBatch([event], event.position)


async def test_a_ticket_it_just_wrote_is_folded_without_loading_it_again() -> None:
    ticket_id, (opened, reply, read) = await history()
    read_model = CountingReadModel()
    projector = Projector(read_model=read_model)
    for event in (opened, reply, read):
        await projector.apply(one(event))
    assert read_model.loaded == []  # an opening has nothing stored to fold onto
    view = await read_model.get("acme", ticket_id)
    assert view is not None
    assert (view.version, view.customer_unread) == (3, 0)


async def test_a_redelivered_opening_leaves_the_newer_stored_view_and_its_messages_alone() -> None:
    ticket_id, (opened, reply, read) = await history()
    read_model = CountingReadModel()
    await Projector(read_model=read_model).apply(FeedBatch([opened, reply, read], read.position))
    restarted = Projector(read_model=read_model)  # nothing kept
    await restarted.apply(FeedBatch([opened, reply], reply.position))  # Kafka delivers again
    assert read_model.loaded == []
    view = await read_model.get("acme", ticket_id)
    assert view is not None
    assert (view.version, view.customer_unread) == (3, 0)
    assert len(await read_model.messages("acme", ticket_id)) == 2
    await restarted.apply(one(read))  # what it kept is version 2: one below, no load
    assert read_model.loaded == []


async def test_a_kept_view_more_than_one_version_behind_the_batch_is_loaded_again() -> None:
    ticket_id, (opened, reply, read) = await history()
    read_model = CountingReadModel()
    projector = Projector(read_model=read_model)
    await projector.apply(one(opened))
    await Projector(read_model=read_model).apply(one(reply))  # another
    assert read_model.loaded == [[("acme", ticket_id)]]  # that one kept nothing
    await projector.apply(one(read))  # it kept version 1; the read is version 3
    assert read_model.loaded == [[("acme", ticket_id)], [("acme", ticket_id)]]
    view = await read_model.get("acme", ticket_id)
    assert view is not None
    assert (view.version, view.customer_unread) == (3, 0)
    assert len(await read_model.messages("acme", ticket_id)) == 2


async def test_after_a_failed_apply_the_next_batch_loads_what_is_stored() -> None:
    ticket_id, (opened, reply, read) = await history()
    read_model = CountingReadModel()
    projector = Projector(read_model=read_model)
    await projector.apply(one(opened))
    read_model.fail_next = True
    with pytest.raises(ConnectionError):
        await projector.apply(one(reply))
    await projector.apply(FeedBatch([reply, read], read.position))  # redelivered, then on
    assert read_model.loaded == [[("acme", ticket_id)]]  # after the failure only
    assert len(await read_model.messages("acme", ticket_id)) == 2
    view = await read_model.get("acme", ticket_id)
    assert view is not None
    assert view.version == 3


async def test_the_views_kept_are_bounded_and_the_oldest_written_goes_first() -> None:
    ticket_id, (opened, *_) = await history()
    read_model = InMemoryReadModel()
    await Projector(read_model=read_model).apply(one(opened))
    stored = await read_model.get("acme", ticket_id)
    assert stored is not None
    t1, t2, t3 = (dataclasses.replace(stored, ticket_id=f"t{n}") for n in (1, 2, 3))
    recent = RecentViews(size=2)
    recent.put([t1, t2])
    recent.put([t1])  # written again: now the newest
    recent.put([t3])
    known, unknown = recent.take([("acme", "t1"), ("acme", "t2"), ("acme", "t3")])
    assert known == {("acme", "t1"): t1, ("acme", "t3"): t3}
    assert unknown == [("acme", "t2")]
