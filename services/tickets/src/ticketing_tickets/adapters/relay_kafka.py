"""The relay's EventPublisher on Kafka (aiokafka's producer), and topic creation.

The producer is idempotent with `acks="all"`: a retried send is written once, and aiokafka keeps
one request in flight per broker, so records of one partition land in the order they were sent.
An event goes to the partition Kafka's default partitioner picks for its key (the ticket id); a
marker goes to each partition explicitly. After a failure the relay closes the publisher and
starts it again, which makes a new producer (a fresh producer id and sequence numbers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import structlog
from aiokafka import AIOKafkaProducer  # type: ignore[import-untyped]
from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # type: ignore[import-untyped]
from aiokafka.errors import TopicAlreadyExistsError, for_code  # type: ignore[import-untyped]
from aiokafka.partitioner import DefaultPartitioner  # type: ignore[import-untyped]
from ticketing_contracts.kafka_wire import EventRecord, encode_marker

_log = structlog.get_logger("ticketing.relay.kafka")

Compression = Literal["gzip", "snappy", "lz4", "zstd"]

#: Kafka's default partitioner for keyed records (murmur2 of the key), as the Java client's.
_DEFAULT_PARTITIONER = DefaultPartitioner()
_PARTITION_CACHE_SIZE = 100_000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int


@dataclass(frozen=True, slots=True)
class ProducerOptions:
    """The producer settings beyond the fixed guarantees (idempotence, acks=all)."""

    compression: Compression | None = None
    linger_ms: int = 0
    #: Bytes per partition batch; bigger batches mean fewer round trips under load.
    max_batch_size: int = 512 * 1024
    #: How long a record may wait for its acknowledgement before the send fails.
    request_timeout_ms: int = 30_000
    client_id: str = "ticketing-relay"

    def producer_kwargs(self) -> dict[str, Any]:
        """The AIOKafkaProducer keyword arguments (the benchmark uses the very same)."""
        return {
            "enable_idempotence": True,
            "acks": "all",
            "compression_type": self.compression,
            "linger_ms": self.linger_ms,
            "max_batch_size": self.max_batch_size,
            "request_timeout_ms": self.request_timeout_ms,
            "client_id": self.client_id,
        }


async def ensure_topics(
    bootstrap: str, topics: Sequence[TopicSpec], *, request_timeout_ms: int = 30_000
) -> None:
    """Create the topics that do not exist yet. Existing ones are left as they are, with a
    warning when they have fewer partitions than asked (keys would spread over fewer)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=request_timeout_ms)
    try:
        await admin.start()
        new = [NewTopic(t.name, t.partitions, t.replication_factor) for t in topics]
        response = await admin.create_topics(new)
        for name, code, *message in response.topic_errors:
            if code == 0:
                _log.info("kafka_topic_created", topic=name)
            elif code != TopicAlreadyExistsError.errno:
                raise for_code(code)(f"cannot create topic {name!r}: {message}")
        wanted = {t.name: t.partitions for t in topics}
        for described in await admin.describe_topics(list(wanted)):
            name, count = described["topic"], len(described["partitions"])
            if described["error_code"] == 0 and count < wanted[name]:
                _log.warning(
                    "kafka_topic_has_fewer_partitions", topic=name, has=count, wanted=wanted[name]
                )
    finally:
        await admin.close()


class KafkaEventPublisher:
    """`EventPublisher` writing ticket-event records and markers to one Kafka topic."""

    def __init__(
        self,
        *,
        bootstrap: str,
        topic: TopicSpec,
        also_create: Sequence[TopicSpec] = (),
        options: ProducerOptions | None = None,
        probe_timeout: float = 2.0,
    ) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._also_create = tuple(also_create)
        self._options = options or ProducerOptions()
        self._probe_timeout = probe_timeout
        self._producer: Any = None
        #: key -> (partition count, partition): tickets get several events in a row.
        self._partitions: dict[bytes, tuple[int, int]] = {}

    async def start(self) -> None:
        if self._producer is not None:
            return
        await ensure_topics(
            self._bootstrap,
            [self._topic, *self._also_create],
            request_timeout_ms=self._options.request_timeout_ms,
        )
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap, **self._options.producer_kwargs()
        )
        try:
            await producer.start()
            await producer.partitions_for(self._topic.name)  # fail here, not in the first send
        except BaseException:
            await _stop(producer)
            raise
        self._producer = producer

    async def publish(self, records: Sequence[EventRecord]) -> Awaitable[None]:
        producer = self._started()
        topic = self._topic.name
        partitions = sorted(await producer.partitions_for(topic))
        # One batch per partition filled here, instead of a `send` per record: a record costs a
        # C-level append instead of a coroutine, a size estimate and a future (~5x less CPU).
        # Kafka's default partitioner picks each key's partition, as `send` would.
        builders: dict[int, Any] = {}
        futures: list[asyncio.Future[Any]] = []
        try:
            for record in records:
                partition = self._partition_of(record.key, partitions)
                builder = builders.get(partition)
                if builder is None:
                    builder = builders[partition] = producer.create_batch()
                if not _append(builder, record):  # full: send it, the record opens the next
                    futures.append(await _send(producer, builder, topic, partition))
                    builder = builders[partition] = producer.create_batch()
                    _append(builder, record)  # the first record always fits
            for partition, builder in builders.items():
                futures.append(await _send(producer, builder, topic, partition))
        except BaseException:
            _abandon(futures)
            raise
        return asyncio.ensure_future(_acknowledged(futures))

    def _partition_of(self, key: bytes, partitions: list[int]) -> int:
        known = self._partitions.get(key)
        if known is not None and known[0] == len(partitions):
            return known[1]
        partition: int = _DEFAULT_PARTITIONER(key, partitions, partitions)
        if len(self._partitions) >= _PARTITION_CACHE_SIZE:
            self._partitions.clear()
        self._partitions[key] = (len(partitions), partition)
        return partition

    async def publish_marker(self, position: int) -> None:
        producer = self._started()
        topic = self._topic.name
        value, headers = encode_marker(position)
        futures: list[asyncio.Future[Any]] = []
        try:
            # The producer's metadata is refreshed now and then, so added partitions get theirs.
            for partition in sorted(await producer.partitions_for(topic)):
                futures.append(
                    await producer.send(topic, value=value, partition=partition, headers=headers)
                )
        except BaseException:
            _abandon(futures)
            raise
        await _acknowledged(futures)

    async def ready(self) -> bool:
        if self._producer is None:
            return False
        try:
            async with asyncio.timeout(self._probe_timeout):
                await self._producer.client.fetch_all_metadata()
        except Exception:
            return False
        return True

    async def close(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await _stop(producer)

    def _started(self) -> Any:
        if self._producer is None:
            raise RuntimeError("the Kafka publisher is not started")
        return self._producer


async def _acknowledged(futures: Sequence[asyncio.Future[Any]]) -> None:
    """Wait for every send; raise the first failure (after all are settled, so none is left
    with an exception nobody retrieved)."""
    results = await asyncio.gather(*futures, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


async def _send(producer: Any, builder: Any, topic: str, partition: int) -> asyncio.Future[Any]:
    builder.close()  # a marker sent meanwhile gets a batch of its own, after this one
    future: asyncio.Future[Any] = await producer.send_batch(builder, topic, partition=partition)
    return future


def _append(builder: Any, record: EventRecord) -> bool:
    appended = builder.append(
        timestamp=None, key=record.key, value=record.value, headers=record.headers
    )
    return appended is not None


def _abandon(futures: Sequence[asyncio.Future[Any]]) -> None:
    """Nobody waits for these any more: retrieve their outcome when it comes, unlogged."""
    for future in futures:
        future.add_done_callback(_retrieve)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


#: How long closing a producer may wait for what it still holds to be acknowledged.
CLOSE_TIMEOUT = 10.0


async def _stop(producer: Any) -> None:
    """Stop `producer`, giving up after CLOSE_TIMEOUT: aiokafka's stop waits for every pending
    batch, forever while the broker is unreachable, and a relay asked to stop (SIGTERM) during
    an outage must still stop. Nothing is lost: unacknowledged events are past the checkpoint
    and are sent again by the next start."""
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await producer.stop()
    except TimeoutError:
        _log.warning("relay_producer_stop_abandoned", after_seconds=CLOSE_TIMEOUT)
