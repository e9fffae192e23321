"""Catch-up subscriptions of the KurrentDB adapter: a pump task and the batches made from it.

The pump reads one catch-up subscription to $all into a queue and, when the subscription drops
(server restart, network, "consumer too slow"), subscribes again after the last event it fed:
the client leaves errors during iteration to its caller. The batcher takes what the queue holds
into batches. While the subscription is catching up (before the server says "caught up") the
history is all committed, so a batch fills up to its limit; once live, a batch holds what has
arrived, after a short linger so the events of one append come together.

`reached` is always the commit position of an event that came through the pump (ours or not):
the server's filter checkpoints are not used, since several server versions sent checkpoints
past events still to come (KurrentDB PRs 4023 and 4990), which would lose events on resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum, auto

import kurrentdbclient as kdb
from kurrentdbclient.common import AbstractAsyncCatchupSubscription
from kurrentdbclient.exceptions import (
    AbortedByServerError,
    DeadlineExceededError,
    DiscoveryFailedError,
    GrpcError,
    KurrentDBClientError,
    SubscriptionConfirmationError,
)

from ._kurrentdb_mapping import matches, to_recorded
from .ports import EventBatch, RecordedEvent

_log = logging.getLogger("ticketing.eventstore.kurrentdb")

#: Errors after which subscribing again may work: connection, server and deadline trouble.
TRANSIENT = (
    GrpcError,
    AbortedByServerError,
    DeadlineExceededError,
    DiscoveryFailedError,
    SubscriptionConfirmationError,
)
_FIRST_RETRY_DELAY = 0.1
_MAX_RETRY_DELAY = 5.0


class Signal(Enum):
    CAUGHT_UP = auto()
    FELL_BEHIND = auto()
    CLOSED = auto()


@dataclass(frozen=True, slots=True)
class Failed:
    """The pump stopped on an error that subscribing again would not cure."""

    error: Exception


Item = kdb.RecordedEvent | Signal | Failed
OpenSubscription = Callable[[int], Awaitable[AbstractAsyncCatchupSubscription]]


async def pump(
    *,
    after: int,
    queue: asyncio.Queue[Item],
    open_subscription: OpenSubscription,
    closed: Callable[[], bool],
) -> None:
    """Feed `queue` with the events after `after` in commit order, each once, until cancelled.

    `open_subscription(cursor)` starts a catch-up subscription after `cursor`; events at or
    before the cursor (a resumed subscription may start earlier) are dropped.
    """
    cursor = after
    delay = _FIRST_RETRY_DELAY
    try:
        while not closed():
            try:
                subscription = await open_subscription(cursor)
                try:
                    async for item in subscription:
                        delay = _FIRST_RETRY_DELAY
                        if item.is_caught_up:
                            await queue.put(Signal.CAUGHT_UP)
                        elif item.is_fell_behind:
                            await queue.put(Signal.FELL_BEHIND)
                        elif not item.is_checkpoint and item.commit_position > cursor:
                            cursor = item.commit_position
                            await queue.put(item)
                finally:
                    await _stop(subscription)
                _log.warning("KurrentDB ended a subscription after position %d", cursor)
            except TRANSIENT as error:
                if closed():
                    return
                _log.warning(
                    "KurrentDB subscription dropped after position %d (%r); again in %.1f s",
                    cursor,
                    error,
                    delay,
                )
            # The new subscription starts in catch-up again: batches may fill meanwhile.
            await queue.put(Signal.FELL_BEHIND)
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_RETRY_DELAY)
    except Exception as error:  # handed to the consumer, which raises it
        await queue.put(Failed(error))


async def _stop(subscription: AbstractAsyncCatchupSubscription) -> None:
    # Already stopped when iteration ended or failed; this only covers leaving early.
    with contextlib.suppress(KurrentDBClientError):
        await subscription.stop()


class Batcher:
    """Makes EventBatches of one stream prefix from the items a pump feeds into `queue`."""

    def __init__(
        self,
        queue: asyncio.Queue[Item],
        *,
        after: int,
        stream_prefix: str | None,
        limit: int,
        closed: Callable[[], bool],
        linger: float,
        catch_up_wait: float,
    ) -> None:
        self._queue = queue
        self._reached = after
        self._prefix = stream_prefix
        self._limit = limit
        self._closed = closed
        self._linger = linger
        self._catch_up_wait = catch_up_wait
        self._live = False

    async def next(self) -> EventBatch | None:
        """The next batch with news (events, or a position passed); None once the store closed."""
        while True:
            item: Item | None = await self._get(wait=None)
            events: list[RecordedEvent] = []
            reached = self._reached
            while item is not None:
                if item is Signal.CLOSED:
                    return None
                if isinstance(item, Failed):
                    raise item.error
                if item is Signal.CAUGHT_UP:
                    self._live = True
                elif item is Signal.FELL_BEHIND:
                    self._live = False
                elif isinstance(item, kdb.RecordedEvent):
                    reached = item.commit_position
                    event = to_recorded(item)
                    if event is not None and matches(event, self._prefix):
                        events.append(event)
                        if len(events) >= self._limit:
                            break
                item = await self._more()
            if self._closed():
                return None
            if events or reached > self._reached:
                self._reached = reached
                return EventBatch(events, reached)

    async def _more(self) -> Item | None:
        """The next item if it is there "at once", else None (see the module docstring)."""
        item = await self._get(wait=self._linger if self._live else self._catch_up_wait)
        if item is None and not self._live:
            # The server never said "caught up" (older versions don't): treat a pause as live.
            self._live = True
        return item

    async def _get(self, *, wait: float | None) -> Item | None:
        """An item, waiting for it at most `wait` seconds (None: as long as it takes)."""
        if self._closed():
            return Signal.CLOSED
        if not self._queue.empty():
            return self._queue.get_nowait()
        if wait is None:
            return await self._queue.get()
        try:
            async with asyncio.timeout(wait):
                return await self._queue.get()
        except TimeoutError:
            return None
