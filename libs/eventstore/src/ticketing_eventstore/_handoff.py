"""Handing work and results between event loops and the SQLite writer thread.

Appends cross from a caller's event loop to the writer thread as `AppendRequest`s; outcomes
and "something was committed" cross back with `call_soon_threadsafe`, as few calls as possible:
each one writes to the loop's wake-up pipe and contends for the GIL with the loop itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass

from .ports import AppendResult

#: (event_id, event_type, data JSON, metadata JSON) of one event to insert.
EncodedEvent = tuple[str, str, str, str]


@dataclass(slots=True)
class AppendRequest:
    """One caller's append, waiting for the writer; the future is settled on `loop`."""

    stream_id: str
    events: list[EncodedEvent]
    expected_version: int | None
    future: asyncio.Future[AppendResult]
    loop: asyncio.AbstractEventLoop


Outcome = AppendResult | BaseException
Settlement = tuple[AppendRequest, Outcome]


def settle_all(settled: list[Settlement]) -> None:
    """Hand each outcome to its caller's loop: one call per loop, not one per request, since
    every thread-safe call writes to the loop's wake-up pipe and contends for the GIL."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[AppendResult], Outcome]]]
    by_loop = {}
    for request, outcome in settled:
        by_loop.setdefault(request.loop, []).append((request.future, outcome))
    for loop, outcomes in by_loop.items():
        # The loop may be closed already (its owner gave up waiting): nobody is left to tell.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle, outcomes)


def _settle(outcomes: list[tuple[asyncio.Future[AppendResult], Outcome]]) -> None:
    for future, outcome in outcomes:
        if future.done():  # the caller was cancelled; the append still happened
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class CommitSignal:
    """Wakes subscribers (on whatever event loop they run) when the writer has committed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = set()

    @property
    def generation(self) -> int:
        return self._generation

    def notify(self) -> None:
        with self._lock:
            self._generation += 1
            waiters, self._waiters = self._waiters, set()
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop is closed; nobody to wake
                loop.call_soon_threadsafe(_wake, future)

    async def wait(self, since: int, at_most: float) -> None:
        """Return at the first commit after generation `since`, or after `at_most` seconds."""
        loop = asyncio.get_running_loop()
        waiter = (loop, loop.create_future())
        with self._lock:
            if self._generation != since:
                return
            self._waiters.add(waiter)
        try:
            await asyncio.wait({waiter[1]}, timeout=at_most)
        finally:
            with self._lock:
                self._waiters.discard(waiter)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
