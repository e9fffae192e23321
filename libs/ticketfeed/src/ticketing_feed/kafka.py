"""KafkaFeed: the ticket-event feed read from the event topic by a consumer group (distributed).

Records follow `ticketing_contracts.kafka_wire`: events keyed by ticket id (so one ticket lives in
one partition, in order) and position markers that the relay sends to every partition.

- `batches(after=…)` starts from the group's committed offsets (a new group from the earliest
  record) and drops events at or below `after`, which the consumer has already applied. Events
  come in arrival order. `reached` is the minimum over the topic's partitions of the highest
  position seen there (event or marker; a partition not seen yet counts as `after`), so every
  event at or below it has been handed out; it never goes down within one iteration. A service
  keeps one checkpoint for its one member, so `reached` stays at `after` while this member does
  not own every partition: a crashed member lingers in the group until its session times out,
  and a minimum over only our partitions would let the checkpoint pass events still held there,
  which the next owner would then drop as applied (lost).
- On assignment each partition is re-read from a few records before its committed offset, for
  their positions only (they were handled: never handed out or parked again), so its last
  position is known at once even when no new record comes (traffic stopped before a rebalance).
- Commit after handling, never automatically: the offsets of a batch are committed when the
  consumer asks for the next batch (it has handled this one by then), at most once every
  `commit_interval` seconds (0: after every batch; what was handled meanwhile goes with the next
  commit, and a crash before it hands those batches out again). Closing the iterator
  commits nothing the consumer was given last; the next `batches()` starts from the committed
  offsets, so at most that one batch comes again (consumers are idempotent).
- Rebalances: when partitions are revoked, what was handled there is committed while this
  member still owns them; the batch in flight there, and their positions, are dropped (the next
  owner reads them again from the commit).
- A poison record (not JSON, not an envelope, not a ticket event, missing fields, an unknown
  event type or schema version, a malformed marker) goes to the dead-letter topic with the
  reason and its origin (`ticketing_contracts.dead_letters`), and is then skipped and committed.
- Kafka unreachable: `batches` logs and retries with backoff (joining, fetching, parking); a
  failed commit is logged and its offsets go with the next one (aiokafka itself waits for the
  group coordinator). It never raises a transient error to the consumer.
- The event and dead-letter topics are created if missing (`partitions`,
  `replication_factor`), as the relay does, so a consumer that starts first does not get a
  broker-default topic of one partition.
- A consumer must not read ahead: asking for the next batch is what marks this one handled.
- `head()`: the highest position on any partition of the topic — looked up in the newest records
  of each partition (events and markers), never below what this feed has already read; when
  Kafka cannot be asked within `head_timeout`, what this feed has read so far.

Why aiokafka's `AIOKafkaConsumer` and not faststream's `KafkaBroker` (0.7.8, itself on aiokafka):
- the feed port is pull-shaped: `batches()` is an iterator the consumer pulls, and pulling the
  next batch is what marks the last one handled (its offsets committed). faststream is built
  around pushed handlers; its pull API (`get_one`, `async for` on a subscriber without a
  handler) gives one record at a time, and `get_one` on a `batch=True` subscriber fails
  (`TypeError: 'ConsumerRecord' object is not subscriptable`) after the records were consumed;
- dead letters keep the original record byte for byte (key, value, every header, a non-UTF-8
  one included) plus our reason headers: done here on the raw aiokafka record;
- faststream's generated AsyncAPI cannot describe our message key, the CloudEvents headers or
  the position markers sharing the topic; `contracts/asyncapi.json` comes from our contracts.
What is not a reason (an outside reading of 0.7.8): its default parser decodes every header as
UTF-8, but a custom `parser=` survives a non-UTF-8 header; its `ack()` commits every assigned
partition at once (`consumer.commit()` without offsets), but `msg.consumer.commit(offsets)` can
commit explicit ones.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]
from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # type: ignore[import-untyped]
from aiokafka.errors import KafkaError  # type: ignore[import-untyped]

from ._kafka_clients import stop_quietly
from ._kafka_records import HEAD_TAIL, position_of
from ._kafka_session import Session
from .kafka_settings import KafkaSettings
from .ports import FeedBatch

_log = structlog.get_logger("ticketing.feed.kafka")

_TOPIC_EXISTS = 36  # the broker's TOPIC_ALREADY_EXISTS error code


class KafkaFeed:
    """`EventFeed` over the ticket-event topic, as one member of consumer group `group_id`."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        group_id: str,
        *,
        dead_letter_topic: str,
        partitions: int = 6,
        replication_factor: int = 1,
        poll_timeout: float = 0.5,
        retry_initial: float = 0.5,
        retry_max: float = 30.0,
        head_timeout: float = 5.0,
        client_id: str = "ticketing-feed",
        commit_interval: float = 0.0,
    ) -> None:
        if not bootstrap or not topic or not group_id or not dead_letter_topic:
            raise ValueError("KafkaFeed needs a bootstrap, a topic, a group id and a DLQ topic")
        self.bootstrap = bootstrap
        self.topic = topic
        self.group_id = group_id
        self.dead_letter_topic = dead_letter_topic
        self.partitions = partitions
        self.replication_factor = replication_factor
        self.poll_timeout = poll_timeout
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.head_timeout = head_timeout
        self.client_id = client_id
        self.commit_interval = commit_interval
        self._seen = 0  # the highest position any of this feed's iterations has read
        self._assigned: frozenset[int] = frozenset()

    @property
    def assigned_partitions(self) -> frozenset[int]:
        """The partitions the group gives this feed's running iteration now (empty: none)."""
        return self._assigned

    async def batches(self, *, after: int, max_events: int = 1000) -> AsyncIterator[FeedBatch]:
        """Events after `after` from the group's committed offsets, then live, forever."""
        if max_events < 1:
            raise ValueError("max_events must be at least 1")
        session = Session(self, after)
        try:
            await session.open()
            cursor, committed_at = after, time.monotonic()
            while True:
                events, offsets = await session.poll(max_events)
                reached = max(cursor, session.reached())
                if events or reached > cursor:
                    cursor = reached
                    session.in_flight.update(offsets)
                    yield FeedBatch(events, reached)
                    session.handled_in_flight()  # asked for more: the batch is handled
                else:  # markers that move nothing, parked records: nothing to hand out
                    session.handled.update(offsets)
                if time.monotonic() - committed_at >= self.commit_interval:
                    await session.commit()
                    committed_at = time.monotonic()
        finally:
            await session.close()

    @classmethod
    def from_settings(cls, settings: KafkaSettings, **options: Any) -> KafkaFeed:
        """The feed the TICKETING_KAFKA_* settings describe (`options`: the tuning keywords)."""
        return cls(
            settings.kafka_bootstrap,
            settings.kafka_topic,
            settings.kafka_group_id,
            dead_letter_topic=settings.kafka_dead_letter_topic,
            partitions=settings.kafka_partitions,
            replication_factor=settings.kafka_replication_factor,
            **({"commit_interval": settings.kafka_commit_interval_ms / 1000} | options),
        )

    async def head(self) -> int:
        """The highest position on any partition (see the module docstring)."""
        try:
            async with asyncio.timeout(self.head_timeout):
                newest = await self._newest_position()
        except (KafkaError, OSError, TimeoutError) as error:
            _log.warning("kafka_head_unknown", topic=self.topic, error=repr(error))
            newest = 0
        self._saw(newest)
        return self._seen

    def _saw(self, position: int) -> None:
        if position > self._seen:
            self._seen = position

    async def ensure_topics(self) -> None:
        """Create the event and dead-letter topics if they are missing (like the relay does), so
        a consumer that starts first does not get a broker-default, one-partition topic."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, client_id=self.client_id)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            wanted = [t for t in (self.topic, self.dead_letter_topic) if t not in existing]
            if not wanted:
                return
            new = [NewTopic(t, self.partitions, self.replication_factor) for t in wanted]
            response = await admin.create_topics(new)
            for name, code, *_ in response.topic_errors:
                if code not in (0, _TOPIC_EXISTS):
                    _log.warning("kafka_topic_not_created", topic=name, error_code=code)
        finally:
            await admin.close()

    async def _newest_position(self) -> int:
        """The highest position in the last few records of every partition of the topic."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, client_id=self.client_id, enable_auto_commit=False
        )
        try:
            await consumer.start()
            # Asking for every topic's metadata creates none (subscribing to a missing one would)
            if self.topic not in await consumer.topics():
                return 0
            consumer.subscribe([self.topic])  # no group: all partitions, once metadata is in
            while not consumer.assignment():  # noqa: ASYNC110 - aiokafka has no public wait for it
                await asyncio.sleep(0.01)
            tps = sorted(consumer.assignment())
            starts = await consumer.beginning_offsets(tps)
            ends = await consumer.end_offsets(tps)
            pending = {tp: ends[tp] for tp in tps if ends[tp] > starts[tp]}
            for tp in pending:  # a few records back, in case the newest ones are poison
                consumer.seek(tp, max(starts[tp], ends[tp] - HEAD_TAIL))
            newest = 0
            while pending:
                fetched = await consumer.getmany(*pending, timeout_ms=200)
                for records in fetched.values():
                    for record in records:
                        newest = max(newest, position_of(record))
                for tp in list(pending):
                    if await consumer.position(tp) >= pending[tp]:
                        del pending[tp]
            return newest
        finally:
            await stop_quietly(consumer)
