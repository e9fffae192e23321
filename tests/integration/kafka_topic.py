"""A scratch copy of the ticket-event topic on a real broker, written the way the relay writes.

Each test gets its own topic and dead-letter topic (random suffix), deleted at the end. Events
go out through `kafka_wire.encode_event` (key = ticket id, CloudEvents headers), markers through
`kafka_wire.encode_marker` to chosen partitions, and anything else raw, to test poison records.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # type: ignore[import-untyped]
from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # type: ignore[import-untyped]
from ticketing_contracts.kafka_wire import Headers, encode_event, encode_marker
from ticketing_feed.kafka import KafkaFeed

T0 = datetime(2025, 6, 20, 10, 35, tzinfo=UTC)


def envelope(
    position: int,
    stream_version: int,
    *,
    ticket_id: str,
    brand_id: str = "acme",
    event_type: str = "TicketClosed",
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A public envelope as the relay publishes it (JSON-ready)."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "schema_version": 1,
        "stream_id": f"ticket-{brand_id}-{ticket_id}",
        "stream_version": stream_version,
        "position": position,
        "occurred_at": (T0 + timedelta(seconds=stream_version)).isoformat(),
        "brand_id": brand_id,
        "actor": {"id": "agent-1", "role": "agent"},
        "correlation_id": "req-1",
        "causation_id": None,
        "data": data if data is not None else {"reason": f"حل شد ({stream_version})"},
    }


@dataclass
class ScratchTopic:
    bootstrap: str
    partitions: int = 3
    name: str = field(default_factory=lambda: f"test.tickets.events.{uuid.uuid4().hex[:12]}")
    producer: Any = None

    @property
    def dead_letters(self) -> str:
        return f"{self.name}.dlq"

    async def create(self) -> ScratchTopic:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.create_topics(
                [NewTopic(self.name, self.partitions, 1), NewTopic(self.dead_letters, 1, 1)]
            )
        finally:
            await admin.close()
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        await self.producer.start()
        return self

    def feed(self, group_id: str | None = None, **options: Any) -> KafkaFeed:
        return KafkaFeed(
            self.bootstrap,
            self.name,
            group_id or f"test-{uuid.uuid4().hex[:12]}",
            dead_letter_topic=self.dead_letters,
            partitions=self.partitions,
            poll_timeout=0.2,
            retry_initial=0.1,
            **options,
        )

    async def publish(self, *envelopes: dict[str, Any], partition: int | None = None) -> None:
        """Send events, keyed by ticket id (or to one partition), and wait for the broker."""
        sent = []
        for item in envelopes:
            record = encode_event(item)
            sent.append(
                await self.producer.send(
                    self.name,
                    record.value,
                    key=record.key,
                    headers=record.headers,
                    partition=partition,
                )
            )
        await asyncio.gather(*sent)

    async def mark(self, position: int, *, partitions: list[int] | None = None) -> None:
        """A position marker to each of `partitions` (all of them by default)."""
        value, headers = encode_marker(position)
        for number in range(self.partitions) if partitions is None else partitions:
            await self.producer.send_and_wait(self.name, value, headers=headers, partition=number)

    async def send_raw(
        self, value: bytes | None, *, headers: Headers | None = None, partition: int = 0
    ) -> None:
        await self.producer.send_and_wait(
            self.name, value, key=b"raw", headers=headers or [], partition=partition
        )

    async def dead_letter_records(self, count: int, timeout: float = 10) -> list[Any]:  # noqa: ASYNC109 - a bound, not a cancel scope
        """The first `count` records of the dead-letter topic (fewer if they do not come)."""
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            tp = TopicPartition(self.dead_letters, 0)
            consumer.assign([tp])
            consumer.seek(tp, 0)
            records: list[Any] = []
            try:
                async with asyncio.timeout(timeout):
                    while len(records) < count:
                        fetched = await consumer.getmany(tp, timeout_ms=200)
                        records += fetched.get(tp, [])
            except TimeoutError:
                pass
            return records
        finally:
            await consumer.stop()

    async def committed(self, group_id: str) -> dict[int, int | None]:
        """The group's committed offset per partition of the topic."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=group_id, enable_auto_commit=False
        )
        await consumer.start()
        try:
            return {
                n: await consumer.committed(TopicPartition(self.name, n))
                for n in range(self.partitions)
            }
        finally:
            await consumer.stop()

    async def delete(self) -> None:
        if self.producer is not None:
            await self.producer.stop()
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([self.name, self.dead_letters])
        finally:
            await admin.close()
