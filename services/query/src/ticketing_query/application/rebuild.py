"""Rebuilding the read model from the event history (`ticketing rebuild`).

Forget everything, then fold the history in large batches up to the head the store had when the
rebuild began; what lands after that is the live projector's, which resumes from the checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import TextIO

from ticketing_feed import EventFeed, FeedBatch

from .ports import ReadModel
from .projector import Projector

#: (position reached, head at the start, events folded per second so far)
Progress = Callable[[int, int, float], None]


async def rebuild(
    read_model: ReadModel, feed: EventFeed, *, progress: Progress, batch_size: int = 5000
) -> int:
    """Reset `read_model` and project the history into it; returns the position reached."""
    await read_model.reset()
    head = await feed.head()
    started = time.perf_counter()
    folded = 0
    progress(0, head, 0.0)
    if head == 0:
        return 0
    projector = Projector(read_model=read_model)
    reached = 0
    async with _prefetched(feed.batches(after=0, max_events=batch_size)) as batches:
        async for batch in batches:
            await projector.apply(batch)
            reached = batch.reached
            folded += len(batch.events)
            elapsed = time.perf_counter() - started
            progress(min(batch.reached, head), head, folded / elapsed if elapsed else 0.0)
            if batch.reached >= head:
                break
    return reached


@contextlib.asynccontextmanager
async def _prefetched(
    batches: AsyncIterator[FeedBatch], depth: int = 2
) -> AsyncIterator[AsyncIterator[FeedBatch]]:
    """Read the next batches while the current one is written: the store's reads and the read
    model's writes run on threads of their own, so the two overlap."""
    queue: asyncio.Queue[FeedBatch | None] = asyncio.Queue(maxsize=depth)

    async def fill() -> None:
        try:
            async for batch in batches:
                await queue.put(batch)
        except asyncio.CancelledError:
            raise  # the reader has gone: no end mark (a put into a full queue would never end)
        except BaseException:
            await queue.put(None)  # the reader sees the end, then the error
            raise
        await queue.put(None)

    async def drain() -> AsyncIterator[FeedBatch]:
        while (batch := await queue.get()) is not None:
            yield batch
        if filler.done() and not filler.cancelled() and filler.exception() is not None:
            raise filler.exception()  # type: ignore[misc]

    filler = asyncio.create_task(fill())
    try:
        yield drain()
    finally:
        filler.cancel()
        await asyncio.gather(filler, return_exceptions=True)  # our own cancellation goes on
        close = getattr(batches, "aclose", None)
        if close is not None:
            await close()


def progress_line(stream: TextIO | None = None, *, every: float | None = None) -> Progress:
    """A `Progress` that prints position, percentage, rate and (once there is a rate) the ETA
    to `stream` (stderr).

    On a terminal it redraws one line (carriage return) at most five times a second; elsewhere
    (a log file, CI) it prints a whole line at most every five seconds, and always the last.
    """
    out = stream or sys.stderr
    tty = out.isatty()
    interval = every if every is not None else (0.2 if tty else 5.0)
    started = time.perf_counter()
    last_shown = -interval

    def show(reached: int, head: int, rate: float) -> None:
        nonlocal last_shown
        now = time.perf_counter()
        done = reached >= head
        if not done and now - last_shown < interval:
            return
        last_shown = now
        elapsed = now - started
        share = reached / head if head else 1.0
        text = (
            f"rebuild: {reached:,}/{head:,} ({share:.0%}) {rate:,.0f} events/s"
            f" elapsed {elapsed:.1f}s"
        )
        if share > 0 and rate > 0:  # an ETA only once a rate is known (never `eta inf`)
            text += f" eta {elapsed * (1 - share) / share:.1f}s"
        if tty:
            out.write(f"\r{text}\033[K" + ("\n" if done else ""))
        else:
            out.write(text + "\n")
        out.flush()

    return show
