"""How far a feed consumer has got, for readers who need their own write applied first.

A write answers with the global position of its last event; a read carrying it
(`X-Min-Position`) must wait until the consumer behind that read has applied the position.
The consumer's `Subscription` `advance`s after each batch its handler has made durable, and
every waiter wakes at once: the subscription and the HTTP routes share one process in both
modes, so no polling is needed.
"""

from __future__ import annotations

import asyncio
import contextlib


class AppliedPosition:
    """The highest position a consumer has applied (it only moves forward), and waiting for one."""

    def __init__(self) -> None:
        self._value = 0
        self._moved = asyncio.Event()

    @property
    def value(self) -> int:
        return self._value

    def advance(self, position: int) -> None:
        """Everything up to `position` is applied; wakes the waiters (a lower one is ignored)."""
        if position <= self._value:
            return
        self._value = position
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()

    async def wait_for(self, position: int, timeout: float) -> bool:  # noqa: ASYNC109 - a bound, not a cancel scope
        """Wait until `position` is applied; False if `timeout` seconds pass first."""
        if self._value >= position:  # the common case: no timer to arm
            return True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self._value < position:
                    await self._moved.wait()
        return self._value >= position
