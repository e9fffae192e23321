"""The relay: every ticket event of the store onto the event topic, at least once, in order.

It follows the store's ticket streams with a catch-up batch subscription and hands each batch
to the publisher; a batch's position becomes the checkpoint only once the broker acknowledged it
and every batch before it (a few batches may await their acknowledgement while the next ones
are sent, so the broker's round trips and the checkpoint's fsync overlap the sending).

After a crash it resumes from the checkpoint: events published but not yet checkpointed go out
again (consumers are idempotent), none is ever skipped. Broker or store trouble is retried with
backoff from the last acknowledged position; the relay never gives up. A stored event that
cannot be encoded as a ticket event is logged, counted and skipped.

Position markers: after the events up to position P are acknowledged, a marker P to every
partition tells consumers that partition holds everything ≤ P meant for it. One goes out at most
every `marker_interval` seconds while events flow, and once the relay has been idle that long, so
idle partitions advance too.
"""

from __future__ import annotations

import asyncio
import time
from asyncio import FIRST_COMPLETED
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from ticketing_contracts.topics import TICKET_STREAM_CATEGORY
from ticketing_eventstore.ports import EventBatch, EventReader

from .relay_metrics import RelayMetrics
from .relay_ports import EventPublisher, RelayCheckpoint
from .relay_pump import End, Failed, Pumped, pump
from .relay_records import encode_relayable

_log = structlog.get_logger("ticketing.relay")


@dataclass(frozen=True, slots=True)
class RelayOptions:
    marker_interval: float = 1.0
    batch_size: int = 1000
    #: Batches read ahead while one is being published.
    read_ahead: int = 2
    #: Batches handed to the publisher whose acknowledgement is still awaited.
    in_flight: int = 4
    retry_initial: float = 0.2
    retry_max: float = 10.0
    #: Larger records are skipped (logged): under Kafka's default message.max.bytes (1 MiB).
    max_record_bytes: int = 1_000_000
    #: How long the readiness probe waits for the store.
    probe_timeout: float = 2.0
    stream_prefix: str = f"{TICKET_STREAM_CATEGORY}-"


@dataclass(frozen=True, slots=True)
class _InFlight:
    """A batch handed to the publisher, not yet counted as acknowledged."""

    acknowledged: asyncio.Future[None]
    reached: int
    events: int


class Relay:
    """Event store → EventPublisher, checkpointed through RelayCheckpoint."""

    def __init__(
        self,
        *,
        store: EventReader,
        publisher: EventPublisher,
        checkpoint: RelayCheckpoint,
        options: RelayOptions | None = None,
        metrics: RelayMetrics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._checkpoint = checkpoint
        self._options = options or RelayOptions()
        self.metrics = metrics or RelayMetrics()
        self._clock = clock
        self._stopping = asyncio.Event()
        self._started = False
        self._position = 0  # everything up to here is acknowledged by the broker
        self._saved = 0
        self._marker_position = 0
        self._last_marker_at = 0.0
        self._delay = self._options.retry_initial

    @property
    def position(self) -> int:
        """The last position acknowledged by the broker."""
        return self._position

    def stop(self) -> None:
        """Ask `run` to finish: batches already handed over are awaited, the checkpoint saved."""
        self._stopping.set()

    async def ready(self) -> bool:
        """The store answers and the publisher is connected to a broker that answers."""
        try:
            async with asyncio.timeout(self._options.probe_timeout):
                await self._store.head_position()
        except Exception:
            return False
        return self._started and await self._publisher.ready()

    async def run(self) -> None:
        """Relay until `stop()` or until the store closes; failures are retried, never raised
        (except a checkpoint that cannot be read at all)."""
        self._position = self._saved = await self._checkpoint.load()
        self.metrics.position.set(self._position)
        self.metrics.checkpoint.set(self._saved)
        _log.info("relay_starting", checkpoint=self._position)
        try:
            while not self._stopping.is_set():
                try:
                    if not await self._start_publisher():
                        return
                    self._connected(True)
                    _log.info("relay_connected", position=self._position)
                    if await self._relay_until_stopped():
                        _log.info("relay_store_closed", position=self._position)
                        return
                except Exception as error:  # broker or store trouble: resume from what is acked
                    self._connected(False)
                    self.metrics.failures.inc()
                    _log.warning(
                        "relay_retrying",
                        error=f"{type(error).__name__}: {error}",
                        position=self._position,
                        retry_in_seconds=round(self._delay, 3),
                    )
                    await self._close_publisher()
                    await self._sleep_unless_stopped(self._delay)
                    self._delay = min(self._delay * 2, self._options.retry_max)
        finally:
            await self._finish()

    async def _relay_until_stopped(self) -> bool:
        """Publish batches as they come; True when the store ended, False when asked to stop.

        Pipelined: the next batches are handed to the publisher while earlier ones await their
        acknowledgement (up to `in_flight` batches); the position only moves past a batch once
        it and every batch before it are acknowledged.
        """
        queue: asyncio.Queue[Pumped] = asyncio.Queue(maxsize=self._options.read_ahead)
        options = self._options
        reading = pump(
            self._store,
            queue,
            after=self._position,
            stream_prefix=options.stream_prefix,
            limit=options.batch_size,
        )
        pumping = asyncio.create_task(reading)
        stopped = asyncio.create_task(self._stopping.wait())
        get: asyncio.Task[Pumped] | None = None
        in_flight: deque[_InFlight] = deque()
        try:
            while True:
                # One pending get at a time, never cancelled before the end: a batch taken off
                # the queue is always handled (cancelling a get that just finished would lose it).
                if get is None and len(in_flight) < self._options.in_flight:
                    get = asyncio.create_task(queue.get())
                waiting: set[asyncio.Future[Any]] = {stopped}
                if get is not None:
                    waiting.add(get)
                if in_flight:
                    waiting.add(in_flight[0].acknowledged)
                timeout = self._idle_timeout()
                await asyncio.wait(waiting, timeout=timeout, return_when=FIRST_COMPLETED)
                if stopped.done():
                    await self._settle_all(in_flight)
                    return False
                self._settle_acknowledged(in_flight)
                if get is not None and get.done():
                    item, get = get.result(), None
                    if isinstance(item, End):
                        await self._settle_all(in_flight)
                        return True
                    if isinstance(item, Failed):
                        raise item.error
                    await self._send(item, in_flight)
                if self._idle_timeout() <= 0:  # a marker interval went by, busy or idle
                    await self._send_marker()
                await self._save()
        finally:
            for task in (get, pumping, stopped, *(batch.acknowledged for batch in in_flight)):
                if task is not None:
                    task.cancel()
            await asyncio.gather(pumping, stopped, return_exceptions=True)

    async def _send(self, batch: EventBatch, in_flight: deque[_InFlight]) -> None:
        records = encode_relayable(
            batch.events,
            max_record_bytes=self._options.max_record_bytes,
            skipped=self.metrics.skipped,
        )
        acknowledged: asyncio.Future[None]
        if records:
            acknowledged = asyncio.ensure_future(await self._publisher.publish(records))
        else:  # only skipped or other streams' events: nothing to wait for but earlier batches
            acknowledged = asyncio.get_running_loop().create_future()
            acknowledged.set_result(None)
        in_flight.append(_InFlight(acknowledged, batch.reached, len(records)))

    def _settle_acknowledged(self, in_flight: deque[_InFlight]) -> None:
        """Move the position past the acknowledged batches at the head of `in_flight`; raise
        the broker's error if the first unsettled one failed."""
        while in_flight and in_flight[0].acknowledged.done():
            self._acknowledged(in_flight.popleft())

    async def _settle_all(self, in_flight: deque[_InFlight]) -> None:
        while in_flight:
            await in_flight[0].acknowledged
            self._acknowledged(in_flight.popleft())

    def _acknowledged(self, batch: _InFlight) -> None:
        batch.acknowledged.result()  # raises if the broker did not acknowledge it
        self._position = max(self._position, batch.reached)
        self._delay = self._options.retry_initial  # progress: the next failure starts afresh
        self.metrics.relayed.inc(batch.events)
        self.metrics.position.set(self._position)

    async def _send_marker(self) -> None:
        """The marker (if the position moved since the last one), and the lag, once a period."""
        if self._position > self._marker_position:
            await self._publisher.publish_marker(self._position)
            self._marker_position = self._position
            self.metrics.markers.inc()
        self._last_marker_at = self._clock()
        head = await self._store.head_position()
        self.metrics.lag.set(max(0, head - self._position))

    def _idle_timeout(self) -> float:
        elapsed = self._clock() - self._last_marker_at
        return max(0.0, self._options.marker_interval - elapsed)

    async def _save(self) -> None:
        if self._position > self._saved:
            await self._checkpoint.save(self._position)
            self._saved = self._position
            self.metrics.checkpoint.set(self._saved)

    async def _finish(self) -> None:
        try:
            await self._save()
        except Exception as error:  # the next start resumes from the older checkpoint
            _log.error("relay_checkpoint_not_saved", position=self._position, error=str(error))
        await self._close_publisher()
        _log.info("relay_stopped", position=self._position, checkpoint=self._saved)

    async def _close_publisher(self) -> None:
        self._connected(False)
        try:
            await self._publisher.close()
        except Exception as error:  # closing a broken connection may fail; it is gone anyway
            _log.warning("relay_publisher_close_failed", error=f"{type(error).__name__}: {error}")

    async def _start_publisher(self) -> bool:
        """Start the publisher; False if asked to stop first (a broker that does not answer
        may hold a start for its whole request timeout)."""
        starting = asyncio.create_task(self._publisher.start())
        stopped = asyncio.create_task(self._stopping.wait())
        try:
            await asyncio.wait({starting, stopped}, return_when=FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not starting.done():
                starting.cancel()
                await asyncio.gather(starting, return_exceptions=True)
        if starting.cancelled():
            return False
        starting.result()  # raises if the start failed
        return True

    async def _sleep_unless_stopped(self, seconds: float) -> None:
        try:
            async with asyncio.timeout(seconds):
                await self._stopping.wait()
        except TimeoutError:
            pass

    def _connected(self, connected: bool) -> None:
        self._started = connected
        self.metrics.connected.set(1 if connected else 0)
