"""One read of the event store for every consumer of the embedded process.

The query projector, the attachments' reference consumer and the notifications consumer each
followed the store on their own: every commit was read, decoded and parsed into `EventIn`s three
times, with three reader-thread hops (about a tenth of the server's CPU per command). They
almost always want the same batch, as each commit wakes all three at the head. `SharedFeed`
reads it once: a leader subscription pulls a batch from the source when a consumer has caught
up with everything read so far, keeps the last few thousand events, and every consumer takes
its events from there. A consumer behind that window (a fresh store catching up, a slow one)
reads the source on its own until it reaches the window, so nobody waits for anybody and
nothing is skipped; the window only saves reads.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any

from ticketing_feed import EventFeed, FeedBatch

#: Events kept for consumers that are a little behind the others.
KEEP_EVENTS = 5_000
#: What the leader asks the source for at a time.
LEADER_BATCH = 1_000


class SourceFailed(Exception):
    """The shared read of the source failed (the cause is chained); the consumer restarts."""


class SharedFeed:
    """`EventFeed` for several consumers over one `source`, reading each batch once."""

    def __init__(
        self, source: EventFeed, *, keep_events: int = KEEP_EVENTS, batch: int = LEADER_BATCH
    ) -> None:
        self._source = source
        self._keep_events = keep_events
        self._batch = batch
        # Contiguous batches: every event after `_start` up to `_end` (None: nothing read yet).
        self._window: deque[FeedBatch] = deque()
        self._kept = 0
        self._start: int | None = None
        self._end: int | None = None
        self._changed = asyncio.Event()  # replaced after each change; waiters hold the old one
        self._wanted = asyncio.Event()  # a consumer has taken everything the window has
        self._leader: asyncio.Task[None] | None = None
        self._failure: Exception | None = None
        self._ended = False
        self._readers = 0
        #: Batches the source was asked for by the leader / by consumers behind the window.
        self.leader_reads = 0
        self.own_reads = 0

    async def head(self) -> int:
        return await self._source.head()

    async def batches(self, *, after: int, max_events: int = 1000) -> AsyncIterator[FeedBatch]:
        """Events after `after`, from the window when it holds them, else from the source."""
        self._readers += 1
        own: AsyncIterator[FeedBatch] | None = None
        try:
            self._lead_from(after)
            while True:
                if self._failure is not None:  # each reader its own error, caused by it
                    raise SourceFailed(str(self._failure)) from self._failure
                if self._ended:
                    return
                start, end = self._start, self._end
                if start is None or end is None or after < start:
                    # Behind the window (or nothing read yet): read on our own.
                    if own is None:
                        own = self._source.batches(after=after, max_events=max_events)
                    batch = await anext(own, None)
                    if batch is None:  # the source ended
                        return
                    self.own_reads += 1
                    yield batch
                    after = batch.reached
                    continue
                if own is not None:  # caught up with the window: share from now on
                    await _close(own)
                    own = None
                if after < end:
                    for batch in _after(list(self._window), after, max_events):
                        yield batch
                        after = batch.reached
                    continue
                changed = self._changed
                self._wanted.set()
                await changed.wait()
        finally:
            if own is not None:
                await _close(own)
            self._readers -= 1
            if self._readers == 0:
                await self._stop_leader()

    def _lead_from(self, after: int) -> None:
        if self._leader is not None and not self._leader.done():
            return
        if self._failure is not None or self._ended or self._end is None:
            self._window.clear()
            self._kept = 0
            self._start = self._end = after
            self._failure = None
            self._ended = False
        # Restarted after every consumer had stopped: the window goes on where it ended.
        self._leader = asyncio.create_task(self._lead(self._end), name="shared-feed")

    async def _lead(self, after: int) -> None:
        source = self._source.batches(after=after, max_events=self._batch)
        try:
            while True:
                await self._wanted.wait()
                self._wanted.clear()
                batch = await anext(source)
                self.leader_reads += 1
                self._keep(batch)
                self._notify()
        except asyncio.CancelledError:
            raise
        except StopAsyncIteration:  # the source ended (its store closed): so do the readers
            self._ended = True
            self._notify()
        except Exception as failure:  # the consumers see it, and restart as they do
            self._failure = failure
            self._notify()
        finally:
            await _close(source)

    def _keep(self, batch: FeedBatch) -> None:
        self._window.append(batch)
        self._kept += len(batch.events)
        self._end = batch.reached
        while self._kept > self._keep_events and len(self._window) > 1:
            dropped = self._window.popleft()
            self._kept -= len(dropped.events)
            self._start = dropped.reached

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def close(self) -> None:
        """Stop reading the source (before it closes; consumers stopped first)."""
        await self._stop_leader()

    async def _stop_leader(self) -> None:
        leader, self._leader = self._leader, None
        if leader is not None and not leader.done():
            leader.cancel()
            await asyncio.gather(leader, return_exceptions=True)


def _after(window: list[FeedBatch], after: int, max_events: int) -> Iterator[FeedBatch]:
    """The window's events after `after` in as few batches as `max_events` allows: a consumer
    that fell behind by several of the leader's small batches (read when the fastest consumer
    wanted more) gets them together, as its own read of the store would have given them, and
    applies them in one write instead of one write each."""
    events: list[Any] = []
    reached = after
    for batch in window:
        if batch.reached <= reached:
            continue
        events += [e for e in batch.events if e.position > reached]
        reached = batch.reached
        while len(events) > max_events:
            chunk, events = events[:max_events], events[max_events:]
            yield FeedBatch(chunk, chunk[-1].position)
    if reached > after:
        yield FeedBatch(events, reached)


async def _close(iterator: AsyncIterator[FeedBatch]) -> None:
    close = getattr(iterator, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()
