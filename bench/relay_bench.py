"""Relay throughput, event store → Kafka, beside the raw aiokafka producer on the same records.

a. relay: `EVENTS` ticket events pre-written in a SQLite store (10 per ticket, in one append per
   ticket); the clock runs from `Relay.run()` until the checkpoint file holds the store's head,
   so it charges the relay with everything: reading the store, rebuilding and encoding each
   envelope, sending, waiting for acks=all, saving the checkpoint (write, fsync, rename, fsync
   dir) after each batch, and the position markers.
b. raw: the very same records, encoded before the clock starts, sent by an `AIOKafkaProducer`
   with the same settings (idempotent, acks=all, same batch size, linger, compression); every
   record is handed to `send` first and the acks awaited at the end, the fastest way aiokafka
   offers from Python: the ceiling for a relay (a should reach at least half of it).

Both write to topics of their own with the same partition count, created before the clock
starts, on the Kafka of `make engines-up` (KAFKA_BOOTSTRAP or var/engines/env), and deleted at the
end. Rounds alternate a and b; the figures are medians.

Run alone: `.venv/bin/python -m bench.relay_bench`. `run()` returns the figures as a dict.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import DefaultPartitioner
from ticketing_contracts.kafka_wire import EventRecord
from ticketing_eventstore.sqlite import SqliteEventStore
from ticketing_tickets.adapters.relay_checkpoint_file import FileRelayCheckpoint
from ticketing_tickets.adapters.relay_kafka import (
    KafkaEventPublisher,
    ProducerOptions,
    TopicSpec,
    ensure_topics,
)
from ticketing_tickets.application.relay import Relay, RelayOptions
from ticketing_tickets.application.relay_records import encode_stored

from tests.engines import setting
from tests.relay_samples import new_ticket_id, stream_of, ticket_story

EVENTS = 100_000
PER_TICKET = 10
PARTITIONS = 6
ROUNDS = 3


class _Finish(FileRelayCheckpoint):
    """The relay's file checkpoint, that also says when it holds `target`."""

    def __init__(self, path: Path, target: int) -> None:
        super().__init__(path)
        self.target = target
        self.reached = asyncio.Event()

    async def save(self, position: int) -> None:
        await super().save(position)
        if position >= self.target:
            self.reached.set()


async def _write_store(path: Path, events: int) -> int:
    store = SqliteEventStore(path, synchronous="NORMAL")
    try:
        tickets = [new_ticket_id() for _ in range(events // PER_TICKET)]
        for start in range(0, len(tickets), 64):  # concurrent appends share the writer's commits
            await asyncio.gather(
                *(
                    store.append(stream_of(t), ticket_story(t, PER_TICKET - 1), expected_version=0)
                    for t in tickets[start : start + 64]
                )
            )
        return await store.head_position()
    finally:
        await store.close()


async def _records(path: Path) -> list[EventRecord]:
    store = SqliteEventStore(path)
    try:
        records: list[EventRecord] = []
        after = 0
        while batch := await store.read_all(after=after, limit=10_000):
            records.extend(encode_stored(event) for event in batch)
            after = batch[-1].position
        return records
    finally:
        await store.close()


async def _relay(bootstrap: str, topic: str, store_path: Path, scratch: Path) -> dict[str, Any]:
    store = SqliteEventStore(store_path)
    head = await store.head_position()
    checkpoint = _Finish(scratch / f"{topic}.checkpoint", head)
    relay = Relay(
        store=store,
        publisher=KafkaEventPublisher(bootstrap=bootstrap, topic=TopicSpec(topic, PARTITIONS, 1)),
        checkpoint=checkpoint,
        options=RelayOptions(),
    )
    started = time.perf_counter()
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(checkpoint.reached.wait(), 600)
        elapsed = time.perf_counter() - started
    finally:
        relay.stop()
        await task
        await store.close()
    return {
        "events": head,
        "seconds": elapsed,
        "events_per_s": head / elapsed,
        "markers": relay.metrics.markers._value.get(),
    }


async def _raw(
    bootstrap: str, topic: str, records: list[EventRecord], *, batches: bool
) -> dict[str, Any]:
    """The records sent by a bare producer: `send` per record, or (`batches`) appended to one
    batch per partition and handed over with `send_batch`, as the relay's publisher does."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **ProducerOptions().producer_kwargs())
    await producer.start()
    try:
        partitions = sorted(await producer.partitions_for(topic))
        started = time.perf_counter()
        if batches:
            futures = await _send_batches(producer, topic, partitions, records)
        else:
            futures = [
                await producer.send(topic, value=r.value, key=r.key, headers=r.headers)
                for r in records
            ]
        await asyncio.gather(*futures)
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
    return {"events": len(records), "seconds": elapsed, "events_per_s": len(records) / elapsed}


async def _send_batches(
    producer: Any, topic: str, partitions: list[int], records: list[EventRecord]
) -> list[asyncio.Future[Any]]:
    partitioner = DefaultPartitioner()
    builders: dict[int, Any] = {}
    futures: list[asyncio.Future[Any]] = []
    for r in records:
        partition = partitioner(r.key, partitions, partitions)
        builder = builders.get(partition) or builders.setdefault(partition, producer.create_batch())
        if builder.append(timestamp=None, key=r.key, value=r.value, headers=r.headers) is None:
            futures.append(await producer.send_batch(builder, topic, partition=partition))
            builder = builders[partition] = producer.create_batch()
            builder.append(timestamp=None, key=r.key, value=r.value, headers=r.headers)
    for partition, builder in builders.items():
        futures.append(await producer.send_batch(builder, topic, partition=partition))
    return futures


async def _run(events: int, rounds: int) -> dict[str, Any]:
    bootstrap = setting("KAFKA_BOOTSTRAP")
    if not bootstrap:
        raise RuntimeError("no Kafka: run `make engines-up` or set KAFKA_BOOTSTRAP")
    prefix = f"bench.relay.{uuid.uuid4().hex[:8]}"
    kinds = ("relay", "raw_send", "raw_batches")
    topics = [f"{prefix}.{kind}{n}" for n in range(rounds) for kind in kinds]
    await ensure_topics(bootstrap, [TopicSpec(t, PARTITIONS, 1) for t in topics])
    samples: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    try:
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMPDIR")) as scratch:
            store_path = Path(scratch) / "events.db"
            written = time.perf_counter()
            await _write_store(store_path, events)
            write_seconds = time.perf_counter() - written
            records = await _records(store_path)
            for n in range(rounds):
                samples["relay"].append(
                    await _relay(bootstrap, f"{prefix}.relay{n}", store_path, Path(scratch))
                )
                for kind, batches in (("raw_send", False), ("raw_batches", True)):
                    samples[kind].append(
                        await _raw(bootstrap, f"{prefix}.{kind}{n}", records, batches=batches)
                    )
    finally:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            await admin.delete_topics(topics)
        finally:
            await admin.close()
    relay, raw_send, raw_batches = (_median(samples[kind]) for kind in kinds)
    return {
        "relay": relay,
        "raw_producer": raw_send,
        "raw_producer_batches": raw_batches,
        "relay_vs_raw": relay["events_per_s"] / raw_send["events_per_s"],
        "relay_vs_raw_batches": relay["events_per_s"] / raw_batches["events_per_s"],
        "events": events,
        "partitions": PARTITIONS,
        "rounds": rounds,
        "store_write_seconds": write_seconds,
        "producer": ProducerOptions().producer_kwargs(),
    }


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "events_per_s": statistics.median(r["events_per_s"] for r in runs),
        "seconds": statistics.median(r["seconds"] for r in runs),
        "per_round": [round(r["events_per_s"]) for r in runs],
    }


def run(events: int = EVENTS, rounds: int = ROUNDS) -> dict[str, Any]:
    """Relay and raw producer `rounds` times each, alternating; the medians and their ratio."""
    return asyncio.run(_run(events, rounds))


def main() -> None:
    print(json.dumps(run(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
