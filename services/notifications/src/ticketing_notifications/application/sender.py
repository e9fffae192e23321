"""The sender: works the durable outbox, at most once per (event, channel, recipient).

Before a send it claims the job's ledger row; only a confirmed send marks it sent. A send that
raises releases the claim and is retried with exponential backoff; after `max_attempts` the job
is dead-lettered with its reason. A claim found unconfirmed (the process died between claiming
and confirming: the message may or may not have gone out) is never sent again; admins see it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta

import structlog

from .ports import Channel, Claim, Job, NotificationStore, OutgoingMessage
from .signal import Signal

_log = structlog.get_logger("ticketing.notifications.sender")


def utc_now() -> datetime:
    return datetime.now(UTC)


class Sender:
    def __init__(
        self,
        *,
        store: NotificationStore,
        channels: Mapping[str, Channel],
        render: Callable[[Job], OutgoingMessage],
        owner: str,
        max_attempts: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 600.0,
        poll: float = 1.0,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        batch_size: int = 50,
    ) -> None:
        self._store = store
        self._channels = channels
        self._render = render
        self.owner = owner
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._poll = poll
        self._clock = clock
        self._sleep = sleep
        self._batch_size = batch_size
        self._wake = Signal()

    def wake(self) -> None:
        """New jobs are in the outbox: look now rather than at the next poll."""
        self._wake.notify()

    def backoff(self, attempts: int) -> float:
        """Seconds before attempt `attempts + 1`: base, 2×base, 4×base, … capped."""
        return float(min(self._base_delay * 2 ** max(attempts - 1, 0), self._max_delay))

    async def run(self) -> None:
        """Send what is due, then wait for new jobs or the next due time; until cancelled."""
        while True:
            if await self.run_once():
                continue
            due = await self._store.next_due()
            delay = self._poll
            if due is not None:
                delay = min(max((due - self._clock()).total_seconds(), 0.0), self._poll)
            await self._pause(delay)

    async def run_once(self) -> int:
        """One pass over the jobs due now; returns how many it handled."""
        jobs = await self._store.due_jobs(self._clock(), limit=self._batch_size)
        for job in jobs:
            await self.attempt(job)
        return len(jobs)

    async def attempt(self, job: Job) -> None:
        """Claim, send, confirm; or release and reschedule; or dead-letter."""
        claim = await self._store.claim(job, owner=self.owner, now=self._clock())
        if claim is not Claim.CLAIMED:
            if claim is Claim.UNCONFIRMED:
                _log.warning("send_unconfirmed", event_id=job.event_id, channel=job.channel)
            await self._store.drop(job)
            return
        channel = self._channels.get(job.channel)
        if channel is None:
            await self._store.dead_letter(
                job, reason=f"no {job.channel} channel is configured", now=self._clock()
            )
            return
        try:
            await channel.send(self._render(job))
        except Exception as error:  # any failure of the channel: retry, then dead-letter
            await self._failed(job, f"{type(error).__name__}: {error}")
            return
        await self._store.confirm(job)

    async def _failed(self, job: Job, reason: str) -> None:
        attempts = job.attempts + 1
        now = self._clock()
        if attempts >= self._max_attempts:
            _log.error("send_dead_lettered", event_id=job.event_id, channel=job.channel)
            await self._store.dead_letter(
                dataclasses.replace(job, attempts=attempts),
                reason=f"{attempts} attempts failed; last: {reason}",
                now=now,
            )
            return
        next_at = now + timedelta(seconds=self.backoff(attempts))
        _log.warning("send_failed", event_id=job.event_id, channel=job.channel, attempt=attempts)
        await self._store.retry_later(job, error=reason, next_at=next_at)

    async def _pause(self, delay: float) -> None:
        """Sleep `delay` seconds (the injected sleep), or less if woken by new jobs."""
        sleeping = asyncio.ensure_future(self._sleep(delay))
        woken = asyncio.ensure_future(self._wake.wait(delay + 1.0))
        try:
            await asyncio.wait({sleeping, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeping, woken):
                task.cancel()
            # Not `suppress(CancelledError)` around each await: a stop of this very task arriving
            # while it waits here would be swallowed too, and the sender would run on forever
            # (a shutdown that hung). gather passes a cancellation of its caller on.
            await asyncio.gather(sleeping, woken, return_exceptions=True)
