"""How far behind the projector is: what `/metrics` reports as projection lag.

The projector reports each applied batch (`applied`, its `on_applied` callback); `MonitoredFeed`
notes the newest event time of each batch as it passes to the projector, so the lag in seconds
can be measured from the last event actually applied.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from ticketing_feed import EventFeed, FeedBatch


class ProjectionMonitor:
    """Counts applied events and measures lag; plain numbers, read at scrape time."""

    def __init__(self, feed: EventFeed, *, clock: Callable[[], datetime] | None = None) -> None:
        self._feed = feed
        self._clock = clock or (lambda: datetime.now(UTC))
        self._started = self._clock()
        self._passed: deque[tuple[int, datetime | None]] = deque()  # (reached, newest event)
        self.events_applied = 0
        self._reported = 0  # the newest position a batch was applied up to
        self._position: Callable[[], int] = lambda: self._reported
        self.head = 0
        self.last_applied_at: datetime | None = None  # occurred_at of the last applied event

    def passed(self, batch: FeedBatch) -> None:
        """A batch went from the feed to the projector."""
        newest = batch.events[-1].occurred_at if batch.events else None
        self._passed.append((batch.reached, newest))

    def applied(self, events: int, position: int, _seconds: float) -> None:
        """The projector applied a batch of `events` up to `position` (its on_applied hook)."""
        self.events_applied += events
        self._reported = max(self._reported, position)
        while self._passed and self._passed[0][0] <= position:
            _, newest = self._passed.popleft()
            if newest is not None:
                self.last_applied_at = newest

    def follow(self, position: Callable[[], int]) -> None:
        """Read the applied position from the projector itself, which also knows the checkpoint
        it resumed from (a restart applies no batch until something new commits)."""
        self._position = position

    @property
    def applied_position(self) -> int:
        return self._position()

    async def refresh_head(self) -> None:
        """Ask the source for its newest position (before a scrape)."""
        self.head = await self._feed.head()

    @property
    def lag_events(self) -> int:
        return max(0, self.head - self.applied_position)

    @property
    def lag_seconds(self) -> float:
        """0 when caught up; else the age of the last applied event (or of this process, when
        nothing has been applied yet)."""
        if self.lag_events == 0:
            return 0.0
        since = self.last_applied_at or self._started
        return max(0.0, (self._clock() - since).total_seconds())


class MonitoredFeed:
    """An `EventFeed` that tells the monitor about each batch it hands out."""

    def __init__(self, feed: EventFeed, monitor: ProjectionMonitor) -> None:
        self._feed = feed
        self._monitor = monitor

    async def batches(self, *, after: int, max_events: int = 1000) -> AsyncIterator[FeedBatch]:
        source = self._feed.batches(after=after, max_events=max_events)
        try:
            async for batch in source:
                self._monitor.passed(batch)
                yield batch
        finally:
            close = getattr(source, "aclose", None)
            if close is not None:
                await close()

    async def head(self) -> int:
        return await self._feed.head()
