"""The embedded feed over the event store, the projector over it, and the rebuild.

Events are written by the tickets service's own handlers, so the feed reads exactly what
production stores (tracking-code reservations included, which it must pass over).
"""

from __future__ import annotations

import asyncio
import io
import uuid
from contextlib import aclosing
from datetime import UTC, datetime

import pytest
from ticketing_contracts import MessagePosted, TicketOpened
from ticketing_contracts.catalog import BrandCatalogs
from ticketing_contracts.stored import envelope_metadata
from ticketing_eventstore import NewEvent
from ticketing_eventstore.memory import InMemoryEventStore
from ticketing_feed import FeedBatch
from ticketing_feed.memory import InMemoryFeed
from ticketing_feed.store import StoreFeed, to_event_in
from ticketing_feed.subscription import Subscription
from ticketing_model import Scope
from ticketing_query.adapters.readmodel_memory import InMemoryReadModel
from ticketing_query.application.ports import ProjectionBatch
from ticketing_query.application.projector import Projector
from ticketing_query.application.rebuild import progress_line, rebuild
from ticketing_tickets.adapters.attachments_unavailable import NoAttachments
from ticketing_tickets.application.commands import Caller, OpenTicket, PostMessage, ReadTicket
from ticketing_tickets.application.handlers import TicketHandlers
from ticketing_tickets.bootstrap import random_digits
from ticketing_tickets.domain import Actor, Role

NOW = datetime(2025, 6, 20, 10, 35, tzinfo=UTC)
CUSTOMER = Caller("acme", Actor("cust-1", Role.CUSTOMER), correlation_id="req-1")
AGENT = Caller("acme", Actor("agent-1", Role.AGENT), correlation_id="req-2")
TICKET = OpenTicket(
    title="خطا در ارسال پیامک انبوه",
    department="technical",
    priority="high",
    body="سلام، از دیروز پیامک‌های انبوه ارسال نمی‌شوند.",
)


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def handlers(store: InMemoryEventStore) -> TicketHandlers:
    return TicketHandlers(
        store=store,
        catalogs=BrandCatalogs(),
        attachments=NoAttachments(),
        clock=lambda: NOW,
        new_id=lambda: uuid.uuid4().hex,
        random_digits=random_digits,
    )


async def first_batch(feed: StoreFeed, after: int = 0, max_events: int = 1000) -> FeedBatch:
    async with aclosing(feed.batches(after=after, max_events=max_events)) as batches:  # type: ignore[type-var]
        async with asyncio.timeout(2):
            return await anext(batches)


async def test_the_feed_turns_ticket_events_into_projector_events_and_passes_over_reservations(
    store: InMemoryEventStore, handlers: TicketHandlers
) -> None:
    opened = await handlers.open_ticket(CUSTOMER, TICKET)
    await handlers.post_message(AGENT, PostMessage(opened.ticket_id, "در حال بررسی هستیم"))
    batch = await first_batch(StoreFeed(store))
    assert [e.event_type for e in batch.events] == ["TicketOpened", "MessagePosted"]
    first = batch.events[0]
    assert (first.brand_id, first.ticket_id, first.stream_version) == ("acme", opened.ticket_id, 1)
    assert (first.actor_id, first.actor_role, first.occurred_at) == ("cust-1", "customer", NOW)
    assert isinstance(first.event, TicketOpened)
    assert first.event.title == TICKET.title
    assert batch.reached == await store.head_position()
    assert batch.events[0].position == opened.position  # the reservation came first, skipped


async def test_the_feed_skips_events_it_cannot_read_without_stopping(
    store: InMemoryEventStore, handlers: TicketHandlers
) -> None:
    opened = await handlers.open_ticket(CUSTOMER, TICKET)
    stream = f"ticket-acme-{opened.ticket_id}"
    meta = envelope_metadata(
        schema_version=1,
        occurred_at=NOW,
        brand_id="acme",
        actor_id="cust-1",
        actor_role="customer",
        correlation_id="req-3",
        causation_id=None,
    )
    bad = [
        NewEvent(str(uuid.uuid4()), "CustomerRead", {}, {**meta, "brand_id": "globex"}),
        NewEvent(str(uuid.uuid4()), "MessagePosted", {"body": "بدون شناسه"}, meta),
        NewEvent(str(uuid.uuid4()), "CustomerRead", {}, {**meta, "schema_version": 9}),
        NewEvent(str(uuid.uuid4()), "CustomerRead", {}, {**meta, "occurred_at": "دیروز"}),
    ]
    await store.append(stream, bad, expected_version=1)
    stray = NewEvent(str(uuid.uuid4()), "AgentViewed", {}, meta)
    await store.append("ticket-acme-not_a_ticket_id", [stray], expected_version=0)
    viewed = NewEvent(
        str(uuid.uuid4()), "AgentViewed", {}, {**meta, "actor": {"id": "agent-1", "role": "agent"}}
    )
    await store.append(stream, [viewed], expected_version=1 + len(bad))
    batch = await first_batch(StoreFeed(store))
    assert [e.event_type for e in batch.events] == ["TicketOpened", "AgentViewed"]
    assert batch.reached == await store.head_position()


async def test_the_feed_splits_history_into_batches_and_yields_live_events_at_once(
    store: InMemoryEventStore, handlers: TicketHandlers
) -> None:
    opened = await handlers.open_ticket(CUSTOMER, TICKET)
    for n in range(4):
        await handlers.post_message(CUSTOMER, PostMessage(opened.ticket_id, f"پیام {n}"))
    feed = StoreFeed(store)
    async with aclosing(feed.batches(after=0, max_events=2)) as batches:  # type: ignore[type-var]
        sizes = [len((await anext(batches)).events) for _ in range(3)]
        live = asyncio.create_task(anext(batches))
        await asyncio.sleep(0.01)
        await handlers.post_message(AGENT, PostMessage(opened.ticket_id, "پاسخ"))
        async with asyncio.timeout(1):
            batch = await live
    assert sizes == [2, 2, 1]
    assert [e.event.body for e in batch.events if isinstance(e.event, MessagePosted)] == ["پاسخ"]
    assert len(batch.events) == 1
    assert await feed.head() == batch.reached


async def test_the_projector_catches_up_follows_live_events_and_wakes_waiting_readers(
    store: InMemoryEventStore, handlers: TicketHandlers
) -> None:
    read_model = InMemoryReadModel()
    projector = Projector(read_model=read_model)
    running = Subscription(name="projector", feed=StoreFeed(store), handler=projector, batch_size=3)
    opened = await handlers.open_ticket(CUSTOMER, TICKET)
    running.start()
    try:
        assert await running.wait_for(opened.position, timeout=2)
        written = await handlers.post_message(AGENT, PostMessage(opened.ticket_id, "بررسی شد"))
        assert await running.wait_for(written.position, timeout=2)
        assert not await running.wait_for(written.position + 100, timeout=0.05)
    finally:
        await running.stop()
    view = await read_model.get("acme", opened.ticket_id)
    assert view is not None
    assert (view.code, view.customer_unread, view.agent_unread) == (4, 1, 0)
    assert await read_model.checkpoint() == await store.head_position()


async def test_a_restarted_projector_resumes_after_the_checkpoint_and_counts_nothing_twice(
    store: InMemoryEventStore, handlers: TicketHandlers
) -> None:
    for _ in range(2):
        opened = await handlers.open_ticket(CUSTOMER, TICKET)
        await handlers.post_message(AGENT, PostMessage(opened.ticket_id, "پاسخ"))
        await handlers.read_ticket(CUSTOMER, ReadTicket(opened.ticket_id))
    events = [e for r in await store.read_all() if (e := to_event_in(r)) is not None]
    read_model = InMemoryReadModel()
    for cut in (2, len(events)):  # a crash after the first batches, then a restart
        projector = Projector(read_model=read_model)
        running = Subscription(name="projector", feed=InMemoryFeed(events[:cut]), handler=projector)
        running.start()
        assert await running.wait_for(events[cut - 1].position, timeout=1)
        await running.stop()
    again = Projector(read_model=read_model)
    await again.apply(FeedBatch(events, events[-1].position))  # everything, redelivered
    counters = await read_model.counters(Scope("acme", "agent"))
    assert (counters.total, counters.by_status[8]) == (2, 2)
    assert len(await read_model.messages("acme", opened.ticket_id)) == 2


async def test_a_rebuild_resets_projects_up_to_the_head_and_reports_progress(
    store: InMemoryEventStore, handlers: TicketHandlers
) -> None:
    for _ in range(5):
        opened = await handlers.open_ticket(CUSTOMER, TICKET)
        await handlers.post_message(AGENT, PostMessage(opened.ticket_id, "پاسخ"))
    read_model = InMemoryReadModel()
    await read_model.apply(ProjectionBatch([], [], 999))  # left over from an older history
    reports: list[tuple[int, int, float]] = []
    reached = await rebuild(
        read_model, StoreFeed(store), progress=lambda *r: reports.append(r), batch_size=4
    )
    head = await store.head_position()
    assert reached == head == await read_model.checkpoint()
    assert (await read_model.counters(Scope("acme", "agent"))).total == 5
    assert reports[0] == (0, head, 0.0)
    assert reports[-1][:2] == (head, head)
    assert [r[0] for r in reports] == sorted(r[0] for r in reports)


def test_the_progress_line_prints_whole_lines_with_rate_and_eta_when_not_on_a_terminal() -> None:
    out = io.StringIO()
    show = progress_line(out, every=0)
    show(50_000, 200_000, 31_250.0)
    show(200_000, 200_000, 32_000.0)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("rebuild: 50,000/200,000 (25%) 31,250 events/s")
    assert "eta" in lines[0]
    assert lines[1].startswith("rebuild: 200,000/200,000 (100%)")
    assert "\r" not in out.getvalue()


@pytest.mark.parametrize(
    ("reached", "head", "rate"),
    [(0, 200_000, 0.0), (0, 200_000, 1_200.0), (5_000, 200_000, 0.0)],
    ids=["the-first-report", "nothing-folded-yet", "no-rate-yet"],
)
def test_the_progress_line_gives_no_eta_until_a_rate_is_known(
    reached: int, head: int, rate: float
) -> None:
    out = io.StringIO()
    progress_line(out, every=0)(reached, head, rate)
    line = out.getvalue()
    assert line.startswith(f"rebuild: {reached:,}/{head:,}")
    assert "eta" not in line
    assert "inf" not in line
