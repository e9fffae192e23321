"""One iteration of `KafkaFeed.batches`: a consumer-group member, its offsets and positions.

What it holds to (commits after handling, rebalances, re-reading positions on assignment, parking
poison records in the dead-letter topic) is told in `ticketing_feed.kafka`'s docstring.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import structlog
from aiokafka import (  # type: ignore[import-untyped]
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.abc import ConsumerRebalanceListener  # type: ignore[import-untyped]
from aiokafka.errors import KafkaError  # type: ignore[import-untyped]
from ticketing_contracts.dead_letters import dead_letter_headers
from ticketing_contracts.kafka_wire import WireError

from ._kafka_clients import CLOSE_TIMEOUT, backoff, stop_quietly, transient
from ._kafka_records import HEAD_TAIL, parse_record, position_of
from .envelopes import UnreadableEvent
from .events import EventIn

if TYPE_CHECKING:
    from .kafka import KafkaFeed

_log = structlog.get_logger("ticketing.feed.kafka")


class Session:
    """One iteration of `batches`: a consumer-group member, its offsets and positions."""

    def __init__(self, feed: KafkaFeed, after: int) -> None:
        self.feed = feed
        self.after = after
        self.consumer: Any = None
        self.producer: Any = None
        self.last: dict[TopicPartition, int] = {}  # highest position seen per partition
        self.in_flight: dict[TopicPartition, int] = {}  # next offsets of the batch handed out
        self.handled: dict[TopicPartition, int] = {}  # next offsets handled, not committed yet
        self.dropped: set[TopicPartition] = set()  # revoked since the last fetch began
        self.handled_below: dict[TopicPartition, int] = {}  # committed when it was assigned

    async def open(self) -> None:
        """Join the group and start the dead-letter producer, retrying until Kafka answers."""
        feed = self.feed
        for delay in backoff(feed.retry_initial, feed.retry_max):
            consumer = AIOKafkaConsumer(
                bootstrap_servers=feed.bootstrap,
                group_id=feed.group_id,
                client_id=feed.client_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
            )
            consumer.subscribe([feed.topic], listener=Rebalance(self))
            producer = AIOKafkaProducer(
                bootstrap_servers=feed.bootstrap,
                client_id=feed.client_id,
                acks="all",
                enable_idempotence=True,
            )
            try:
                await feed.ensure_topics()
            except (KafkaError, OSError) as error:  # not allowed, say: the relay makes them too
                _log.warning("kafka_topics_not_ensured", error=repr(error))
            self.consumer, self.producer = consumer, producer  # the listener may run in start
            try:
                await consumer.start()
                await producer.start()
            except (KafkaError, OSError) as error:
                _log.warning("kafka_unreachable", during="start", retry_in=delay, error=repr(error))
                self.consumer = self.producer = None
                await stop_quietly(producer, consumer)
                await asyncio.sleep(delay)
                continue
            _log.info("kafka_feed_started", topic=feed.topic, group_id=feed.group_id)
            return

    async def poll(self, max_events: int) -> tuple[list[EventIn], dict[TopicPartition, int]]:
        """The events of the records fetched now, and the next offset per partition."""
        fetched: Mapping[TopicPartition, list[ConsumerRecord]] = {}
        self.dropped.clear()
        for delay in backoff(self.feed.retry_initial, self.feed.retry_max):
            try:
                fetched = await self.consumer.getmany(
                    timeout_ms=int(self.feed.poll_timeout * 1000), max_records=max_events
                )
                break
            except KafkaError as error:
                _log.warning("kafka_unreachable", during="fetch", retry_in=delay, error=repr(error))
                await asyncio.sleep(delay)
        events: list[EventIn] = []
        offsets: dict[TopicPartition, int] = {}
        for tp, records in fetched.items():
            for record in records:
                if record.offset < self.handled_below.get(tp, 0):  # handled: its position only
                    self._moved(tp, position_of(record))
                    continue
                try:
                    parsed = parse_record(record)
                except (WireError, UnreadableEvent) as error:
                    await self._park(record, str(error))
                else:
                    position = parsed if isinstance(parsed, int) else parsed.position
                    self._moved(tp, position)
                    self.feed._saw(position)
                    if not isinstance(parsed, int) and parsed.position > self.after:
                        events.append(parsed)
                offsets[tp] = record.offset + 1
        for tp in self.dropped:  # revoked meanwhile: its next owner reads it from the commit
            offsets.pop(tp, None)
        return events, offsets

    def _moved(self, tp: TopicPartition, position: int) -> None:
        """A record of `tp` stands for `position`: the highest seen there so far, maybe."""
        if position > self.last.get(tp, self.after):
            self.last[tp] = position

    def reached(self) -> int:
        """`after` unless this member owns every partition of the topic (module docstring)."""
        assigned = self.consumer.assignment()
        partitions = self.consumer.partitions_for_topic(self.feed.topic) or set()
        if not assigned or {tp.partition for tp in assigned} != set(partitions):
            return self.after
        return min(self.last.get(tp, self.after) for tp in assigned)

    def handled_in_flight(self) -> None:
        self.handled.update(self.in_flight)
        self.in_flight.clear()

    async def commit(self, only: Iterable[TopicPartition] | None = None) -> None:
        """Commit the handled offsets of partitions this member owns (of `only`, if given)."""
        keys = self.handled.keys() if only is None else set(only) & self.handled.keys()
        if not keys or self.consumer is None:
            return
        assigned = self.consumer.assignment()
        offsets = {tp: self.handled[tp] for tp in keys if tp in assigned}
        if not offsets:
            return
        try:
            await self.consumer.commit(offsets)
        except KafkaError as error:  # kept: committed with the next batch, or read again
            _log.warning("kafka_commit_failed", offsets=len(offsets), error=repr(error))
            return
        for tp, offset in offsets.items():
            if self.handled.get(tp) == offset:
                del self.handled[tp]

    async def revoked(self, revoked: set[TopicPartition]) -> None:
        """Still the owner: commit what was handled there, then forget those partitions."""
        await self.commit(revoked)
        self.dropped |= revoked
        for tp in revoked:
            self.handled_below.pop(tp, None)
            self.handled.pop(tp, None)
            self.in_flight.pop(tp, None)
            self.last.pop(tp, None)
        self.feed._assigned -= {tp.partition for tp in revoked}

    async def assigned(self, assigned: set[TopicPartition]) -> None:
        """Re-read a few handled records before each committed offset, for their positions."""
        self.feed._assigned = frozenset(tp.partition for tp in assigned)
        _log.info("kafka_partitions_assigned", partitions=sorted(self.feed._assigned))
        if not assigned:
            return
        try:
            starts = await self.consumer.beginning_offsets(list(assigned))
            for tp in assigned:
                committed = await self.consumer.committed(tp)
                if committed is None or committed <= starts[tp]:
                    continue  # nothing handled there yet: read from the committed offset
                self.handled_below[tp] = committed
                self.consumer.seek(tp, max(starts[tp], committed - HEAD_TAIL))
        except KafkaError as error:  # positions then come with the next records there
            _log.warning("kafka_positions_not_reread", error=repr(error))

    async def _park(self, record: ConsumerRecord, reason: str) -> None:
        """Send a poison record to the dead-letter topic (retrying while Kafka is away)."""
        feed = self.feed
        where = {"partition": record.partition, "offset": record.offset, "reason": reason}
        headers = dead_letter_headers(
            record.headers,
            reason=reason,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            group=feed.group_id,
        )
        for delay in backoff(feed.retry_initial, feed.retry_max):
            try:
                await self.producer.send_and_wait(
                    feed.dead_letter_topic, value=record.value, key=record.key, headers=headers
                )
            except KafkaError as error:
                if not transient(error):  # it can never be parked: skip it, keep going
                    _log.error("kafka_dead_letter_failed", error=repr(error), **where)
                    return
                _log.warning("kafka_unreachable", during="park", retry_in=delay, **where)
                await asyncio.sleep(delay)
            else:
                _log.warning("kafka_record_parked", topic=feed.dead_letter_topic, **where)
                return

    async def close(self) -> None:
        """Commit what was handled (never the batch in flight), leave the group, stop."""
        if self.consumer is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    await self.commit()
        self.feed._assigned = frozenset()
        await stop_quietly(self.producer, self.consumer)


class Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, session: Session) -> None:
        self._session = session

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._session.revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self._session.assigned(assigned)
