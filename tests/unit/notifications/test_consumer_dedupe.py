"""The consumer records each (event, recipient) once, whatever the redeliveries."""

from __future__ import annotations

from ticketing_feed import FeedBatch
from ticketing_notifications.adapters.store_memory import InMemoryNotificationStore
from ticketing_notifications.application.consumer import Consumer
from ticketing_notifications.application.ports import Preferences, Viewer
from ticketing_notifications.domain.rules import CUSTOMER, DEPARTMENT

from .events import Story

CUSTOMER_VIEW = Viewer("acme", "cust-1", CUSTOMER, frozenset({"cust-1"}))
FINANCE_VIEW = Viewer("acme", "agent-1", DEPARTMENT, frozenset({"finance"}))


def _consumer(store: InMemoryNotificationStore) -> Consumer:
    return Consumer(store=store)


async def test_every_event_delivered_twice_makes_one_item_per_recipient() -> None:
    store = InMemoryNotificationStore()
    consumer = _consumer(store)
    story = Story()
    history = [story.opened(), story.message(by="agent"), story.message(by="customer")]
    for event in history:
        await consumer.apply(FeedBatch([event, event], event.position))
        await consumer.apply(FeedBatch([event], event.position))
    assert [i.kind for i in await store.items(CUSTOMER_VIEW, limit=10)] == ["agent_replied"]
    department = await store.items(FINANCE_VIEW, limit=10)
    assert [i.kind for i in department] == ["customer_replied", "ticket_opened"]


async def test_a_replay_from_the_start_with_facts_lost_adds_nothing() -> None:
    store = InMemoryNotificationStore()
    story = Story()
    history = [story.opened(), story.message(by="agent")]
    await _consumer(store).apply(FeedBatch(history, 2))
    fresh_facts = InMemoryNotificationStore()
    fresh_facts._items = store._items  # same items, no facts: the decisions are made again
    fresh_facts._seq = store._seq
    added = await _consumer(fresh_facts).apply(FeedBatch(history, 2))
    assert added == []


async def test_an_agent_reply_queues_email_and_sms_once_for_a_customer_who_wants_them() -> None:
    store = InMemoryNotificationStore()
    await store.save_preferences(
        "acme",
        "cust-1",
        Preferences(email=True, sms=True, email_address="sara@example.ir", phone="+989121234567"),
    )
    consumer = _consumer(store)
    story = Story()
    opening, reply = story.opened(), story.message(by="agent")
    for _ in range(2):
        await consumer.apply(FeedBatch([opening, reply], 2))
    jobs = await store.due_jobs(reply.occurred_at, limit=10)
    assert sorted((j.channel, j.address) for j in jobs) == [
        ("email", "sara@example.ir"),
        ("sms", "+989121234567"),
    ]


async def test_a_customer_without_preferences_gets_in_app_only() -> None:
    store = InMemoryNotificationStore()
    story = Story()
    await _consumer(store).apply(
        FeedBatch([story.opened(by="agent"), story.message(by="agent")], 2)
    )
    assert len(await store.items(CUSTOMER_VIEW, limit=10)) == 2
    assert await store.next_due() is None


async def test_a_customer_who_turned_in_app_off_gets_no_in_app_item() -> None:
    store = InMemoryNotificationStore()
    await store.save_preferences("acme", "cust-1", Preferences(in_app=False))
    story = Story()
    await _consumer(store).apply(FeedBatch([story.opened(), story.message(by="agent")], 2))
    assert await store.items(CUSTOMER_VIEW, limit=10) == []
