"""A department's notifications follow the ticket: who sees them is decided on the ticket's
current department (ticketing_model.Scope), not on the department of the event's time.

After TicketTransferred, agents of the old department no longer see any of that ticket's
department notifications (the list, the unread count, one item, the stream's `after` reads,
read and read-all); agents of the new department see all of them, those made before the
transfer included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from ticketing_feed import FeedBatch
from ticketing_notifications.adapters.store_memory import InMemoryNotificationStore
from ticketing_notifications.adapters.store_sqlite import SqliteNotificationStore
from ticketing_notifications.application.consumer import Consumer
from ticketing_notifications.application.ports import NotificationStore, Viewer
from ticketing_notifications.domain.rules import DEPARTMENT

from .events import Story

FINANCE = Viewer("acme", "agent-finance", DEPARTMENT, frozenset({"finance"}))
REFUNDS = Viewer("acme", "agent-refunds", DEPARTMENT, frozenset({"refunds"}))
ADMIN = Viewer("acme", "admin-1", DEPARTMENT, None)


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[NotificationStore]:
    made: NotificationStore = (
        InMemoryNotificationStore()
        if request.param == "memory"
        else SqliteNotificationStore(tmp_path / "notifications.db")
    )
    yield made
    await made.close()


async def _transferred(store: NotificationStore) -> list[str]:
    """A customer opens a finance ticket and writes again; an agent moves it to refunds.
    Returns the ids of the two department notifications."""
    story = Story()
    consumer = Consumer(store=store)
    opened, reply = story.opened(), story.message(by="customer")
    added = await consumer.apply(FeedBatch([opened, reply], reply.position))
    moved = story.event(
        "TicketTransferred", "agent", "agent-1", from_department="finance", to_department="refunds"
    )
    await consumer.apply(FeedBatch([moved], moved.position))
    return added


async def test_before_the_transfer_the_department_of_the_ticket_sees_its_notifications(
    store: NotificationStore,
) -> None:
    story = Story()
    opened = story.opened()
    await Consumer(store=store).apply(FeedBatch([opened], opened.position))

    assert [i.kind for i in await store.items(FINANCE, limit=10)] == ["ticket_opened"]
    assert await store.items(REFUNDS, limit=10) == []


async def test_after_a_transfer_the_old_department_sees_none_of_the_tickets_notifications(
    store: NotificationStore,
) -> None:
    ids = await _transferred(store)

    assert await store.items(FINANCE, limit=10) == []
    assert await store.items(FINANCE, limit=10, after=0) == []  # what the stream reads
    assert await store.unread_count(FINANCE) == 0
    assert [await store.find(FINANCE, n) for n in ids] == [None, None]


async def test_after_a_transfer_the_new_department_sees_all_of_them_earlier_ones_included(
    store: NotificationStore,
) -> None:
    ids = await _transferred(store)

    listed = await store.items(REFUNDS, limit=10)
    assert [i.kind for i in listed] == ["customer_replied", "ticket_opened"]
    assert [i.notification_id for i in await store.items(REFUNDS, limit=10, after=0)] == ids
    assert await store.unread_count(REFUNDS) == 2
    assert await store.find(REFUNDS, ids[0]) is not None
    assert await store.unread_count(ADMIN) == 2


async def test_after_a_transfer_the_old_department_cannot_mark_them_read(
    store: NotificationStore,
) -> None:
    ids = await _transferred(store)
    old_hand = Viewer("acme", "agent-2", DEPARTMENT, frozenset({"finance", "technical"}))
    both = Viewer("acme", "agent-2", DEPARTMENT, frozenset({"finance", "refunds"}))

    await store.mark_read(old_hand, [ids[0]])
    await store.mark_read(old_hand, None)

    assert await store.unread_count(both) == 2  # the same reader, now serving refunds too
    await store.mark_read(REFUNDS, None)
    assert await store.unread_count(REFUNDS) == 0
