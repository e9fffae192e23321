"""The sender: at most once per (event, channel, recipient), retries with backoff, dead letters,
and claims left unconfirmed by a crash never sent again."""

from __future__ import annotations

from datetime import datetime, timedelta

from ticketing_feed import FeedBatch
from ticketing_notifications.adapters.store_memory import InMemoryNotificationStore
from ticketing_notifications.application.consumer import Consumer
from ticketing_notifications.application.ports import Claim, OutgoingMessage, Preferences
from ticketing_notifications.application.render import Renderer
from ticketing_notifications.application.sender import Sender

from .events import T0, Story


class Clock:
    def __init__(self) -> None:
        self.now = T0 + timedelta(hours=1)

    def __call__(self) -> datetime:
        return self.now


class FlakyChannel:
    """Fails the first `failures` sends, then accepts; records what it accepted."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.attempts = 0
        self.sent: list[OutgoingMessage] = []

    async def send(self, message: OutgoingMessage) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise ConnectionError("سرور ایمیل در دسترس نیست")
        self.sent.append(message)


async def _queued(store: InMemoryNotificationStore, *, deliveries: int = 1) -> None:
    await store.save_preferences(
        "acme", "cust-1", Preferences(email=True, email_address="sara@example.ir")
    )
    story = Story()
    events = [story.opened(), story.message(by="agent")]
    consumer = Consumer(store=store)
    for _ in range(deliveries):
        await consumer.apply(FeedBatch(events, 2))


def _sender(store: InMemoryNotificationStore, channel: FlakyChannel, clock: Clock) -> Sender:
    return Sender(
        store=store,
        channels={"email": channel},
        render=Renderer("https://support.example.ir"),
        owner="run-2",
        max_attempts=3,
        base_delay=2.0,
        clock=clock,
    )


async def test_every_event_delivered_twice_sends_once() -> None:
    store, channel, clock = InMemoryNotificationStore(), FlakyChannel(), Clock()
    await _queued(store, deliveries=2)
    sender = _sender(store, channel, clock)
    await sender.run_once()
    await _queued(store)  # redelivered after the send: the ledger refuses it
    await sender.run_once()
    assert len(channel.sent) == 1
    assert "87831491" in channel.sent[0].text


async def test_a_failing_send_is_retried_after_growing_delays() -> None:
    store, channel, clock = InMemoryNotificationStore(), FlakyChannel(failures=2), Clock()
    await _queued(store)
    sender = _sender(store, channel, clock)
    assert await sender.run_once() == 1
    assert await sender.run_once() == 0  # not due yet
    clock.now += timedelta(seconds=2)
    assert await sender.run_once() == 1
    clock.now += timedelta(seconds=2)
    assert await sender.run_once() == 0  # the second delay is twice the first
    clock.now += timedelta(seconds=2)
    await sender.run_once()
    assert channel.attempts == 3
    assert len(channel.sent) == 1
    assert await store.dead_letters("acme", limit=10) == []


async def test_a_send_failing_every_attempt_is_dead_lettered_with_its_reason() -> None:
    store, channel, clock = InMemoryNotificationStore(), FlakyChannel(failures=99), Clock()
    await _queued(store)
    sender = _sender(store, channel, clock)
    for _ in range(10):
        await sender.run_once()
        clock.now += timedelta(minutes=5)
    assert channel.attempts == 3
    [dead] = await store.dead_letters("acme", limit=10)
    assert dead.job.attempts == 3
    assert "ConnectionError" in dead.reason
    assert "سرور ایمیل" in dead.reason
    assert await store.next_due() is None
    assert await store.dead_letters("other", limit=10) == []


async def test_the_backoff_doubles_up_to_its_cap() -> None:
    sender = Sender(
        store=InMemoryNotificationStore(),
        channels={},
        render=Renderer(""),
        owner="x",
        base_delay=1.0,
        max_delay=5.0,
    )
    assert [sender.backoff(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


async def test_a_claim_left_unconfirmed_by_a_crash_is_never_sent_again() -> None:
    store, channel, clock = InMemoryNotificationStore(), FlakyChannel(), Clock()
    await _queued(store)
    [job] = await store.due_jobs(clock.now, limit=10)
    # The previous run claimed it and died before confirming.
    assert await store.claim(job, owner="run-1", now=clock.now) is Claim.CLAIMED
    sender = _sender(store, channel, clock)
    await sender.run_once()
    assert channel.sent == []
    assert await store.next_due() is None
    [left] = await store.unconfirmed("acme", except_owner=sender.owner)
    assert (left.channel, left.recipient, left.address) == ("email", "cust-1", "sara@example.ir")


async def test_the_sender_wakes_for_new_jobs_without_waiting_for_the_poll() -> None:
    import asyncio

    store, channel = InMemoryNotificationStore(), FlakyChannel()
    sender = Sender(
        store=store,
        channels={"email": channel},
        render=Renderer("https://support.example.ir"),
        owner="run",
        poll=30.0,
    )
    task = asyncio.create_task(sender.run())
    await asyncio.sleep(0.05)
    await _queued(store)
    sender.wake()
    for _ in range(100):
        if channel.sent:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    assert len(channel.sent) == 1
