"""A wake-up call between tasks of one process: writers notify, waiters wake at once."""

from __future__ import annotations

import asyncio
import contextlib


class Signal:
    """Each `notify()` wakes every current waiter; a waiter also wakes after its timeout."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, timeout: float) -> bool:  # noqa: ASYNC109 - a bound, not a cancel scope
        """True if notified within `timeout` seconds, False if the time ran out first."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await event.wait()
                return True
        return False
