"""Rebuilding the read model from the event history (`ticketing rebuild`).

The history is folded in large batches, up to the head the store had when the rebuild began,
into a read model made apart (`ReadModel.rebuilding`; the SQLite one writes a new file and swaps
it in at the end); what lands after that is the live projector's, which resumes from the
checkpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import TextIO

from ticketing_feed import EventFeed, FeedBatch

from .ports import ProjectionBatch, ReadModel, ReadModelRebuild
from .projector import RecentViews, fold_batch

Key = tuple[str, str]

#: (position reached, head at the start, events folded per second so far)
Progress = Callable[[int, int, float], None]


async def rebuild(
    read_model: ReadModel,
    feed: EventFeed,
    *,
    progress: Progress,
    batch_size: int = 5000,
    recent_views: int = 5_000,
) -> int:
    """Make `read_model` again from the history up to the head it has now; returns the position
    reached. The read model makes it apart where it can (`ReadModel.rebuilding`) and puts it in
    place at the end: an error, or a crash, before then leaves the old one as it was."""
    head = await feed.head()
    target = await read_model.rebuilding()
    try:
        reached = await _replay(target, feed, head, progress, batch_size, recent_views)
        await target.finish()
    except BaseException:
        await asyncio.shield(target.abandon())
        raise
    return reached


async def _replay(
    target: ReadModelRebuild,
    feed: EventFeed,
    head: int,
    progress: Progress,
    batch_size: int,
    recent_views: int,
) -> int:
    """Fold the history onto `target`: each batch folded while the one before is written (the
    writes run on the target's thread, the fold on the loop), the views of the tickets folded
    last (`recent_views`, ~5 KB each with their words) kept here rather than read back, and
    no read at all for a ticket whose first event in a batch is its opening (history comes in
    order: it cannot be stored yet)."""
    started = time.perf_counter()
    progress(0, head, 0.0)
    if head == 0:
        return 0
    recent = RecentViews(recent_views)
    reached = folded = 0
    writing: asyncio.Future[None] | None = None
    written = (0, 0)  # (position, events) the last finished write covers

    def report(position: int, events: int) -> None:
        elapsed = time.perf_counter() - started
        progress(min(position, head), head, events / elapsed if elapsed else 0.0)

    try:
        async with _prefetched(feed.batches(after=0, max_events=batch_size)) as batches:
            async for batch in batches:
                first: dict[Key, int] = {}
                for event in batch.events:
                    first.setdefault((event.brand_id, event.ticket_id), event.stream_version)
                views, unknown = recent.take(first)
                stored = [key for key in unknown if first[key] > 1]
                if stored:
                    if writing is not None:  # a view read back must include the last write
                        await writing
                        report(*written)
                        writing = None
                    views |= await target.load(stored)
                versions = {key: view.version for key, view in views.items()}
                changed, messages = fold_batch(views, batch.events)
                recent.put(views.values())
                reached, folded = max(reached, batch.reached), folded + len(batch.events)
                if writing is not None:
                    await writing
                    report(*written)
                writing = asyncio.ensure_future(
                    target.apply(ProjectionBatch(changed, messages, reached, versions))
                )
                written = (reached, folded)
                if batch.reached >= head:
                    break
        if writing is not None:
            await writing
            report(*written)
    finally:
        if writing is not None and not writing.done():
            writing.cancel()
            await asyncio.gather(writing, return_exceptions=True)
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
