"""Subscription: the one runtime behind every consumer of the ticket feed.

A service supplies a `BatchHandler` (where it stands, and how to apply a batch); the
subscription does the rest, the same way for the query projector, the notifications consumer
and the attachments' reference consumer:

- runs in a background task (`start`/`stop`), resuming after the handler's checkpoint, so a
  restart applies nothing twice that the handler made durable;
- restarts after a failure with an exponential backoff (`restarts.Backoff`), logged;
- knows the position applied (`applied`) and wakes readers waiting for one (`wait_for`, behind
  `X-Min-Position`) as soon as a batch is durable — a commit wakes the feed, the feed the
  handler, the handler's return the readers, with no polling in between;
- is `ready` while it runs, is not failing, and the handler's store answers;
- counts what it applied (`metrics`) and measures lag against the feed's head.

A replica (`replica_poll_seconds`) applies nothing: another process applies the same feed into a
store this one reads, so it takes that store's checkpoint as applied, read every so often, and
`X-Min-Position` keeps its meaning on a read-only API replica.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Protocol

from .applied import AppliedPosition
from .ports import EventFeed, FeedBatch
from .restarts import Backoff, Restarts


class BatchHandler(Protocol):
    """What a consumer service gives its subscription."""

    async def checkpoint(self) -> int:
        """The position up to which everything is applied durably: a (re)start resumes after
        it. Also the readiness probe of the handler's store, so it must be cheap."""
        ...

    async def apply(self, batch: FeedBatch) -> object:
        """Apply one batch and make it durable together with `batch.reached` as the new
        checkpoint, idempotently: after a crash or a redelivery events come again. What it
        returns is ignored."""
        ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SubscriptionMetrics:
    """What a subscription has applied, as plain numbers read at scrape time."""

    clock: Callable[[], datetime] = _utc_now
    started_at: datetime = field(default_factory=_utc_now)
    events: int = 0
    batches: int = 0
    #: How long the last batch took to apply, and when it was applied (wall clock).
    last_batch_seconds: float = 0.0
    last_batch_at: datetime | None = None
    #: When the newest event applied happened (its occurred_at): what lag in seconds is from.
    last_event_at: datetime | None = None
    #: The feed's newest position, as last asked (`Subscription.refresh_head`).
    head: int = 0

    def batch_applied(self, batch: FeedBatch, seconds: float) -> None:
        self.events += len(batch.events)
        self.batches += 1
        self.last_batch_seconds = seconds
        self.last_batch_at = self.clock()
        if batch.events:
            self.last_event_at = batch.events[-1].occurred_at


class Subscription:
    """Runs `handler` over `feed`, batch by batch, for the life of the service."""

    def __init__(
        self,
        *,
        name: str,
        feed: EventFeed,
        handler: BatchHandler,
        batch_size: int = 1000,
        backoff: Backoff | None = None,
        replica_poll_seconds: float | None = None,
        clock: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.name = name
        self._feed = feed
        self._handler = handler
        self._batch_size = batch_size
        self._replica_poll = replica_poll_seconds
        self._applied = AppliedPosition()
        self._restarts = Restarts(name, backoff=backoff, sleep=sleep)
        self.metrics = SubscriptionMetrics(clock=clock, started_at=clock())
        self._task: asyncio.Task[None] | None = None

    # -- running ------------------------------------------------------------------------------

    def start(self) -> None:
        """Run in the background (idempotent)."""
        if not self.running:
            self._task = asyncio.create_task(self._run(), name=f"subscription-{self.name}")

    async def stop(self) -> None:
        """Stop; what the handler made durable is kept (a start resumes from its checkpoint)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)  # our own cancellation goes on

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def failing(self) -> bool:
        """The last attempt failed, and since then no batch has been applied and no restart
        has found everything already applied."""
        return self._restarts.failing

    @property
    def failures_in_a_row(self) -> int:
        return self._restarts.failures

    async def ready(self) -> bool:
        """Running, not failing, and the handler's store answers."""
        if not self.running or self.failing:
            return False
        try:
            await self._handler.checkpoint()
        except Exception:  # any failure means not ready
            return False
        return True

    # -- positions ----------------------------------------------------------------------------

    @property
    def applied(self) -> int:
        """The position applied so far (durably), as this process knows it."""
        return self._applied.value

    async def wait_for(self, position: int, timeout: float) -> bool:  # noqa: ASYNC109 - a bound, not a cancel scope
        """Wait until `position` is applied; False if `timeout` seconds pass first."""
        return await self._applied.wait_for(position, timeout)

    async def caught_up(self) -> bool:
        """Whether everything the feed holds now has been applied."""
        return self.applied >= await self._feed.head()

    async def refresh_head(self) -> None:
        """Ask the feed for its newest position (before a scrape: lag is measured from it)."""
        self.metrics.head = await self._feed.head()

    @property
    def lag_events(self) -> int:
        """Positions in the feed not applied yet, as of the last `refresh_head`."""
        return max(0, self.metrics.head - self.applied)

    @property
    def lag_seconds(self) -> float:
        """0 when caught up; else the age of the newest event applied (or of this
        subscription, when it has applied none)."""
        if self.lag_events == 0:
            return 0.0
        since = self.metrics.last_event_at or self.metrics.started_at
        return max(0.0, (self.metrics.clock() - since).total_seconds())

    # -- the loops ----------------------------------------------------------------------------

    async def _run(self) -> None:
        poll = self._replica_poll
        await self._restarts.forever(self._consume if poll is None else partial(self._follow, poll))

    async def _consume(self) -> None:
        cursor = await self._handler.checkpoint()
        self._applied.advance(cursor)  # readers already waiting may be satisfied by it
        if self.failing and cursor >= await self._feed.head():
            self._restarts.succeeded()  # back, and nothing is left to apply again
        batches = self._feed.batches(after=cursor, max_events=self._batch_size)
        try:
            async for batch in batches:
                cursor = await self._apply(batch, cursor)
        finally:  # end the feed's iteration now, not when the garbage collector gets to it
            close = getattr(batches, "aclose", None)
            if close is not None:
                await close()

    async def _apply(self, batch: FeedBatch, cursor: int) -> int:
        """Hand one batch to the handler; returns the position now applied.

        `reached` is held to at least the cursor (a feed may report less, as Kafka does while
        this member does not own every partition), and a batch that brings neither events nor
        progress is not handed over, so a handler writes only what moves it on."""
        reached = max(batch.reached, cursor)
        if not batch.events and reached == cursor:
            return cursor
        if reached != batch.reached:
            batch = FeedBatch(batch.events, reached)
        started = time.perf_counter()
        await self._handler.apply(batch)
        self._applied.advance(reached)  # durable now: readers of this position may go on
        self._restarts.succeeded()
        self.metrics.batch_applied(batch, time.perf_counter() - started)
        return reached

    async def _follow(self, every: float) -> None:
        while True:
            self._applied.advance(await self._handler.checkpoint())
            self._restarts.succeeded()
            await asyncio.sleep(every)
