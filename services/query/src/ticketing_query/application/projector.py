"""The projector: folds ticket events from the feed into the read model, batch by batch.

At-least-once and idempotent: it resumes after the read model's checkpoint, and a view only moves
forward by version, so events delivered again (after a crash, a redelivery, a replay) change
nothing. Readers waiting for a position (X-Min-Position) are woken as batches land.

It keeps the views it wrote last (`RecentViews`) and loads from the read model only the others:
one projector writes a read model, so what it wrote is what is stored. Live, a batch is a
few commands on tickets mostly written before, and that load (a trip to a reader thread and
back) was about a third of a batch's time in the lag bench.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from ticketing_feed import EventFeed, EventIn, FeedBatch

from ticketing_query.domain.search import tokens
from ticketing_query.domain.view import MessageView, TicketView, fold

from .ports import ProjectionBatch, ReadModel


def fold_batch(
    views: dict[tuple[str, str], TicketView], events: Iterable[EventIn]
) -> tuple[list[TicketView], list[MessageView]]:
    """Fold `events` in order onto `views` (updated in place; absent = not opened yet): the
    views they changed (the newest of each ticket) and the messages they added, as one
    ProjectionBatch carries them. Pure: the projector, the read-model tests and the benches
    fold a batch with it."""
    changed: dict[tuple[str, str], TicketView] = {}
    messages: list[MessageView] = []
    for event in events:
        key = (event.brand_id, event.ticket_id)
        result = fold(views.get(key), event, tokens)
        if result.changed and result.view is not None:
            views[key] = changed[key] = result.view
        if result.message is not None:
            messages.append(result.message)
    return list(changed.values()), messages


Key = tuple[str, str]


class RecentViews:
    """The views this projector wrote last (at most `size`, the oldest dropped first).

    A view with its search words is ~5 KB: 10,000 of them were ~50 MB of a server's RSS."""

    def __init__(self, size: int = 2_000) -> None:
        self._size = size
        self._views: OrderedDict[Key, TicketView] = OrderedDict()

    def take(self, keys: Iterable[Key]) -> tuple[dict[Key, TicketView], list[Key]]:
        """The known views of `keys`, and the keys not known here."""
        known: dict[Key, TicketView] = {}
        unknown: list[Key] = []
        for key in keys:
            view = self._views.get(key)
            if view is None:
                unknown.append(key)
            else:
                known[key] = view
        return known, unknown

    def put(self, views: Iterable[TicketView]) -> None:
        for view in views:
            key = (view.brand_id, view.ticket_id)
            self._views.pop(key, None)  # re-inserted last: forgotten last
            self._views[key] = view
        while len(self._views) > self._size:
            self._views.popitem(last=False)

    def clear(self) -> None:
        self._views.clear()


class Projector:
    def __init__(
        self,
        *,
        feed: EventFeed,
        read_model: ReadModel,
        batch_size: int = 1000,
        on_applied: Callable[[int, int, float], None] | None = None,
    ) -> None:
        self._feed = feed
        self._read_model = read_model
        self._batch_size = batch_size
        self._on_applied = on_applied
        self._applied = 0
        self._changed = asyncio.Condition()
        self._recent = RecentViews()

    @property
    def applied(self) -> int:
        """The position applied so far, as this process knows it."""
        return self._applied

    async def run(self) -> None:
        """Catch up from the checkpoint, then follow live events until cancelled."""
        self._recent.clear()  # a run after a failure trusts only the read model
        checkpoint = await self._read_model.checkpoint()
        async with self._changed:  # readers already waiting may be satisfied by the checkpoint
            self._applied = checkpoint
            self._changed.notify_all()
        async for batch in self._feed.batches(after=self._applied, max_events=self._batch_size):
            await self.apply(batch)

    async def follow(self, every: float) -> None:
        """Serve a read model that another process projects: take its checkpoint as applied,
        read every `every` seconds, so X-Min-Position keeps its meaning on API replicas."""
        while True:
            checkpoint = await self._read_model.checkpoint()
            if checkpoint > self._applied:
                async with self._changed:
                    self._applied = checkpoint
                    self._changed.notify_all()
            await asyncio.sleep(every)

    async def apply(self, batch: FeedBatch) -> None:
        """Fold one feed batch into the read model and advance the checkpoint."""
        started = time.perf_counter()
        keys = dict.fromkeys((e.brand_id, e.ticket_id) for e in batch.events)
        views, unknown = self._recent.take(keys)
        if unknown:
            views |= await self._read_model.load(unknown)
        stored = {key: view.version for key, view in views.items()}
        changed, messages = fold_batch(views, batch.events)
        position = max(batch.reached, self._applied)
        if changed or messages or position > self._applied:
            try:
                await self._read_model.apply(ProjectionBatch(changed, messages, position, stored))
            except BaseException:
                self._recent.clear()  # what is stored now is not known here
                raise
        self._recent.put(views.values())
        async with self._changed:
            self._applied = position
            self._changed.notify_all()
        if self._on_applied is not None:
            self._on_applied(len(batch.events), position, time.perf_counter() - started)

    async def wait_for(self, position: int, timeout: float) -> bool:  # noqa: ASYNC109 - a bound, not a cancel scope
        """Wait until `position` is applied; False if `timeout` seconds pass first."""
        if self._applied >= position:
            return True
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: self._applied >= position)
        except TimeoutError:
            return False
        return True
