"""InMemoryFeed: the unit-test fake of the event feed, over a list that tests append to."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

from .events import EventIn
from .ports import FeedBatch


class InMemoryFeed:
    """Ticket events in position order; `batches` yields history, then waits for `extend`."""

    def __init__(self, events: Iterable[EventIn] = ()) -> None:
        self._events: list[EventIn] = []
        self._head = 0
        self._grown = asyncio.Event()
        self.extend(events)

    def extend(self, events: Iterable[EventIn], *, head: int | None = None) -> None:
        """Add events (positions above the head); `head` may pass them (skipped streams)."""
        for event in events:
            if event.position <= self._head:
                raise ValueError("feed events must come in increasing position order")
            self._events.append(event)
            self._head = event.position
        self._head = max(self._head, head or 0)
        self._grown.set()
        self._grown = asyncio.Event()

    async def batches(self, *, after: int, max_events: int = 1000) -> AsyncIterator[FeedBatch]:
        cursor = after
        while True:
            grown = self._grown
            pending = [e for e in self._events if e.position > cursor][:max_events]
            full = len(pending) == max_events
            reached = pending[-1].position if full else self._head
            if pending or reached > cursor:
                cursor = reached
                yield FeedBatch(pending, reached)
            if not full:
                await grown.wait()

    async def head(self) -> int:
        return self._head
