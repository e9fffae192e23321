"""The projector: folds ticket events from the feed into the read model, batch by batch.

The query service's `BatchHandler`: its `ticketing_feed.Subscription` runs it (resumes after the
read model's checkpoint, restarts it after a failure, wakes readers waiting for a position with
X-Min-Position once a batch is durable). At-least-once and idempotent: a view only moves
forward by version, so events delivered again (after a crash, a redelivery, a replay) change
nothing.

It keeps the views it wrote last (`RecentViews`) and loads from the read model only the others:
one projector writes a read model, so what it wrote is what is stored. Live, a batch is a
few commands on tickets mostly written before, and that load (a trip to a reader thread and
back) was about a third of a batch's time in the lag bench.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from ticketing_feed import EventIn, FeedBatch

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

    def take_before(self, events: Iterable[EventIn]) -> tuple[dict[Key, TicketView], list[Key]]:
        """The views `events` fold onto, by each ticket's first event's stream version: a view
        known here one version below it, none for an opening (version 1), and the keys to load
        for the others. A redelivered opening whose ticket is stored already is harmless: the
        read model keeps the stored view when it is as new (its version guard)."""
        first: dict[Key, int] = {}
        for event in events:
            first.setdefault((event.brand_id, event.ticket_id), event.stream_version)
        known, _ = self.take(first)
        kept = {k: v for k, v in known.items() if v.version == first[k] - 1}
        return kept, [k for k in first if k not in kept and first[k] != 1]

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
    def __init__(self, *, read_model: ReadModel) -> None:
        self._read_model = read_model
        self._recent = RecentViews()

    async def checkpoint(self) -> int:
        """The position the read model has applied up to (a restart resumes after it)."""
        return await self._read_model.checkpoint()

    async def apply(self, batch: FeedBatch) -> None:
        """Fold one feed batch into the read model and advance the checkpoint to its `reached`."""
        views, unknown = self._recent.take_before(batch.events)
        if unknown:
            views |= await self._read_model.load(unknown)
        stored = {key: view.version for key, view in views.items()}
        changed, messages = fold_batch(views, batch.events)
        try:
            await self._read_model.apply(ProjectionBatch(changed, messages, batch.reached, stored))
        except BaseException:
            self._recent.clear()  # what is stored now is not known here
            raise
        self._recent.put(views.values())
