"""Keeping a background loop alive: run it again after it fails, waiting longer each time.

A failing step (a read model's disk, a store that does not answer) must not end a consumer for
the life of the process, nor hammer what failed: each failure in a row doubles the wait, up to
a cap, and a success starts the count again. Every failure is logged with its traceback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import structlog


@dataclass(frozen=True, slots=True)
class Backoff:
    """The wait before a restart: `first` seconds after one failure, `factor` times longer
    after each further failure in a row, never more than `cap`."""

    first: float = 1.0
    cap: float = 30.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.first <= self.cap or self.factor < 1:
            raise ValueError("a backoff needs 0 < first <= cap and factor >= 1")

    def delay(self, failures: int) -> float:
        """The wait after the `failures`-th failure in a row (1 for the first)."""
        if failures <= 1:
            return self.first
        # Capped before the power can grow large: 2.0 ** 2000 is an OverflowError.
        steps = min(failures - 1, 64)
        return min(self.cap, self.first * self.factor**steps)


class Restarts:
    """Runs work until cancelled, again after each failure (logged as `<name>_failed`, with
    `restart_in_seconds` and `failures_in_a_row`), waiting as `backoff` says.

    The count of failures in a row resets when the work reports a success (`succeeded`), or
    when it fails only after running for longer than the backoff's cap (it had recovered)."""

    def __init__(
        self,
        name: str,
        *,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        **context: Any,
    ) -> None:
        self.name = name
        self.backoff = backoff or Backoff()
        self._sleep = sleep
        self._clock = clock
        self._context = context
        # A logger of its own, first used at the first failure: `cache_logger_on_first_use`
        # fixes a logger's processors then, so structlog's capture_logs sees a test's failures.
        self._log = structlog.get_logger("ticketing.restarts")
        self.failures = 0  # failures in a row, since the last success

    @property
    def failing(self) -> bool:
        """The last run failed and nothing has succeeded since."""
        return self.failures > 0

    def succeeded(self) -> None:
        """The work did something right: the next failure waits `backoff.first` again."""
        self.failures = 0

    async def forever(self, work: Callable[[], Awaitable[None]]) -> NoReturn:
        """Run `work`, and run it again whenever it fails or returns, until cancelled."""
        while True:
            started = self._clock()
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:
                if self._clock() - started > self.backoff.cap:
                    self.failures = 0  # a failure after a long healthy run is not "in a row"
                self.failures += 1
                delay = self.backoff.delay(self.failures)
                self._log.exception(
                    f"{self.name}_failed",
                    restart_in_seconds=delay,
                    failures_in_a_row=self.failures,
                    **self._context,
                )
                await self._sleep(delay)
            else:  # work that ends by itself (a finite feed) is run again, never in a tight loop
                await self._sleep(self.backoff.first)
