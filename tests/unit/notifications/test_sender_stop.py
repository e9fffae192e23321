"""A stop of the sender always ends it, whatever it is waiting for at that moment.

Its pause waits for a sleep or a wake-up, then cancels and awaits the other. A stop that landed
during that last await used to be swallowed with the other's cancellation: the sender ran on
and the service's shutdown hung (seen as a test teardown that never ended)."""

from __future__ import annotations

import asyncio

from ticketing_notifications.adapters.store_memory import InMemoryNotificationStore
from ticketing_notifications.application.ports import Job, OutgoingMessage
from ticketing_notifications.application.sender import Sender


def _never(job: Job) -> OutgoingMessage:
    raise AssertionError("the outbox is empty: nothing is rendered")


async def test_a_stop_at_any_step_of_the_pause_ends_the_sender() -> None:
    for steps in range(40):  # every point of a few pause cycles (each a handful of steps)
        sender = Sender(
            store=InMemoryNotificationStore(), channels={}, render=_never, owner="t", poll=0.0
        )
        running = asyncio.create_task(sender.run())
        for _ in range(steps):
            await asyncio.sleep(0)
        running.cancel()
        done, _ = await asyncio.wait({running}, timeout=2)
        assert done, f"a stop after {steps} loop steps did not end the sender"
        assert running.cancelled()
