"""The relay's read-ahead: the store's batch subscription pumped into a bounded queue, so the
next batch is read while one is sent; the end of the subscription or its failure is queued too."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ticketing_eventstore.ports import EventBatch, EventReader


class End:
    """The store ended the subscription (it was closed)."""


@dataclass(frozen=True, slots=True)
class Failed:
    error: Exception


Pumped = EventBatch | End | Failed


async def pump(
    store: EventReader,
    queue: asyncio.Queue[Pumped],
    *,
    after: int,
    stream_prefix: str,
    limit: int,
) -> None:
    """Read the subscription into `queue`, so the next batch is read while one is sent."""
    subscription = store.subscribe_batches(after=after, stream_prefix=stream_prefix, limit=limit)
    try:
        async for batch in subscription:
            await queue.put(batch)
        await queue.put(End())
    except Exception as error:  # handed to the relay loop, which retries
        await queue.put(Failed(error))
    finally:  # end the store's subscription now, not when the garbage collector gets to it
        close = getattr(subscription, "aclose", None)
        if close is not None:
            await close()
