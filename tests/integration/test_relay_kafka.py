"""The relay against the running Kafka: every event on the topic with its key, CloudEvents headers
and envelope, in per-ticket order; markers on every partition; topic creation; a broker that
comes up late; a relay process killed with SIGKILL in the middle of a run and restarted.

Each test has a topic of its own (random suffix), deleted at the end.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import DefaultPartitioner
from ticketing_contracts.kafka_wire import decode_marker, encode_event, header, is_marker
from ticketing_contracts.stored import envelope_from_stored
from ticketing_eventstore.memory import InMemoryEventStore
from ticketing_eventstore.ports import EventStore
from ticketing_eventstore.sqlite import SqliteEventStore
from ticketing_tickets.adapters.relay_checkpoint_file import FileRelayCheckpoint
from ticketing_tickets.adapters.relay_checkpoint_memory import InMemoryRelayCheckpoint
from ticketing_tickets.adapters.relay_kafka import (
    KafkaEventPublisher,
    ProducerOptions,
    TopicSpec,
    ensure_topics,
)
from ticketing_tickets.application.relay import Relay, RelayOptions

from tests.engines import ROOT, kafka_bootstrap
from tests.relay_samples import new_ticket_id, stream_of, ticket_story
from tests.schema_check import schema_errors
from tests.system.private_engines import PrivateEngine

pytestmark = pytest.mark.integration

PARTITIONS = 3
FAST = RelayOptions(marker_interval=0.2, retry_initial=0.1, retry_max=0.5)


@pytest.fixture
def bootstrap() -> str:
    return kafka_bootstrap()


@pytest.fixture
async def topic(bootstrap: str) -> AsyncIterator[str]:
    name = f"test.relay.{uuid.uuid4().hex[:12]}"
    yield name
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        doomed = [t for t in (name, f"{name}.dlq") if t in existing]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


def publisher_for(bootstrap: str, topic: str, partitions: int = PARTITIONS) -> KafkaEventPublisher:
    return KafkaEventPublisher(
        bootstrap=bootstrap,
        topic=TopicSpec(topic, partitions, 1),
        also_create=[TopicSpec(f"{topic}.dlq", partitions, 1)],
    )


async def write_interleaved(
    store: EventStore, tickets: int, replies: int, *, pause: float = 0.0
) -> list[str]:
    """`tickets` tickets' stories, one event per append, round-robin across the tickets."""
    ids = [new_ticket_id() for _ in range(tickets)]
    stories = {ticket_id: ticket_story(ticket_id, replies) for ticket_id in ids}
    for round_ in range(replies + 1):
        for ticket_id in ids:
            await store.append(
                stream_of(ticket_id), [stories[ticket_id][round_]], expected_version=round_
            )
            if pause:
                await asyncio.sleep(pause)
    return ids


async def read_topic(
    bootstrap: str,
    topic: str,
    done: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    within: float = 60.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic` from the start, until `done(records)` (or fail after `within`).

    Call it once the relay made the topic: the local broker creates a topic a consumer asks
    for (auto.create.topics.enable), with one partition.
    """
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        async with asyncio.timeout(within):
            while not done(records):
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(batch)
    finally:
        await consumer.stop()
    return records


def events_of(records: list[ConsumerRecord[bytes, bytes]]) -> list[ConsumerRecord[bytes, bytes]]:
    return [r for r in records if not is_marker(r.headers)]


async def wait_for(condition: Callable[[], bool | Awaitable[bool]], within: float = 60.0) -> None:
    async with asyncio.timeout(within):
        while True:
            result = condition()
            if await result if inspect.isawaitable(result) else result:
                return
            await asyncio.sleep(0.05)


async def test_every_event_arrives_keyed_by_ticket_with_its_envelope_in_ticket_order(
    bootstrap: str, topic: str
) -> None:
    store = InMemoryEventStore()
    await write_interleaved(store, tickets=12, replies=4)
    stored = {r.event_id: r for r in await store.read_all(limit=10_000)}
    checkpoint = InMemoryRelayCheckpoint()
    relay = Relay(
        store=store, publisher=publisher_for(bootstrap, topic), checkpoint=checkpoint, options=FAST
    )
    task = asyncio.create_task(relay.run())
    try:
        await wait_for(lambda: checkpoint.saves[-1:] == [60])
        records = await read_topic(
            bootstrap,
            topic,
            lambda rs: (
                len(events_of(rs)) >= 60 and _marked_partitions(rs, 60) == set(range(PARTITIONS))
            ),
        )
    finally:
        relay.stop()
        await asyncio.wait_for(task, 30)

    events = events_of(records)
    assert len(events) == 60
    partitions = list(range(PARTITIONS))
    by_ticket: dict[bytes, list[ConsumerRecord[bytes, bytes]]] = defaultdict(list)
    for record in events:
        assert record.key is not None
        by_ticket[record.key].append(record)
        envelope = json.loads(record.value or b"")
        expected = encode_event(envelope_from_stored(stored[envelope["event_id"]]))
        assert (record.key, record.value) == (expected.key, expected.value)
        assert [(k, v) for k, v in record.headers] == expected.headers
        assert schema_errors(envelope) == []
        assert record.partition == DefaultPartitioner()(record.key, partitions, partitions)
    for ticket_records in by_ticket.values():
        assert len({r.partition for r in ticket_records}) == 1
        versions = [json.loads(r.value or b"")["stream_version"] for r in ticket_records]
        assert versions == [1, 2, 3, 4, 5]


async def test_a_marker_on_each_partition_follows_every_event_it_covers(
    bootstrap: str, topic: str
) -> None:
    store = InMemoryEventStore()
    await write_interleaved(store, tickets=7, replies=2)
    checkpoint = InMemoryRelayCheckpoint()
    relay = Relay(
        store=store, publisher=publisher_for(bootstrap, topic), checkpoint=checkpoint, options=FAST
    )
    task = asyncio.create_task(relay.run())
    try:
        await wait_for(lambda: checkpoint.saves[-1:] == [21])  # the relay made the topic
        records = await read_topic(
            bootstrap,
            topic,
            lambda rs: _marked_partitions(rs, 21) == set(range(PARTITIONS)),
        )
    finally:
        relay.stop()
        await asyncio.wait_for(task, 30)

    assert len(events_of(records)) == 21
    for partition in range(PARTITIONS):
        mine = sorted((r for r in records if r.partition == partition), key=lambda r: r.offset)
        for index, record in enumerate(mine):
            if not is_marker(record.headers):
                continue
            assert record.key is None
            covered = decode_marker(record.value).position
            later = [int(header(r.headers, "ce_position") or 0) for r in mine[index + 1 :]]
            # Every event of this partition up to the marker's position came before it.
            assert [p for p in later if 0 < p <= covered] == []


async def test_topics_are_created_once_and_a_smaller_existing_one_is_reported(
    bootstrap: str, topic: str
) -> None:
    await ensure_topics(bootstrap, [TopicSpec(topic, 2, 1)])
    with structlog.testing.capture_logs() as logs:
        await ensure_topics(bootstrap, [TopicSpec(topic, 4, 1), TopicSpec(f"{topic}.dlq", 4, 1)])
    warnings = [e for e in logs if e["event"] == "kafka_topic_has_fewer_partitions"]
    assert warnings == [
        {
            "event": "kafka_topic_has_fewer_partitions",
            "log_level": "warning",
            "topic": topic,
            "has": 2,
            "wanted": 4,
        }
    ]
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics()}
    finally:
        await admin.close()
    assert described[topic] == 2
    assert described[f"{topic}.dlq"] == 4


async def test_a_broker_that_is_unreachable_at_start_is_waited_for(
    bootstrap: str, topic: str
) -> None:
    """The relay starts against a port where nothing listens; a forwarder to the real broker
    opens there later (as a broker coming up would) and the relay publishes everything."""
    # Bound, not listening: connections are refused, and no other program can take the port
    # before the forwarder listens on this very socket.
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    port = held.getsockname()[1]
    store = InMemoryEventStore()
    await write_interleaved(store, tickets=3, replies=2)
    checkpoint = InMemoryRelayCheckpoint()
    relay = Relay(
        store=store,
        publisher=publisher_for(f"127.0.0.1:{port}", topic),
        checkpoint=checkpoint,
        options=FAST,
    )
    task = asyncio.create_task(relay.run())
    forwarder: asyncio.Server | None = None
    try:
        await asyncio.sleep(1.5)
        assert relay.metrics.failures._value.get() >= 2
        assert checkpoint.saves == []
        assert not await relay.ready()

        host, _, real_port = bootstrap.split(",")[0].rpartition(":")
        forwarder = await asyncio.start_server(
            lambda r, w: forward(r, w, host, int(real_port)), sock=held
        )
        await wait_for(lambda: checkpoint.saves[-1:] == [9])
        assert await relay.ready()
        records = await read_topic(bootstrap, topic, lambda rs: len(events_of(rs)) >= 9)
    finally:
        relay.stop()
        await asyncio.wait_for(task, 30)
        if forwarder is not None:  # after the relay: closing waits for its connections to end
            forwarder.close()
            await asyncio.wait_for(forwarder.wait_closed(), 30)
        held.close()
    assert len(events_of(records)) == 9


@pytest.mark.slow
async def test_a_relay_process_killed_mid_run_loses_nothing_after_its_restart(
    bootstrap: str, topic: str, tmp_path: Path
) -> None:
    store = SqliteEventStore(tmp_path / "events.db", synchronous="NORMAL")
    await write_interleaved(store, tickets=1, replies=0)  # the file exists before the relay
    checkpoint = FileRelayCheckpoint(tmp_path / "relay.checkpoint")
    # Both relay processes serve on this socket (inherited): the port stays ours across the kill.
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    env = {
        **os.environ,
        "TICKETING_DATA_DIR": str(tmp_path),
        "TICKETING_KAFKA_BOOTSTRAP": bootstrap,
        "TICKETING_KAFKA_TOPIC": topic,
        "TICKETING_KAFKA_DEAD_LETTER_TOPIC": f"{topic}.dlq",
        "TICKETING_KAFKA_PARTITIONS": str(PARTITIONS),
        "TICKETING_RELAY_BATCH_SIZE": "25",
        "TICKETING_RELAY_MARKER_INTERVAL_MS": "200",
        "TICKETING_LISTEN_FD": str(listening.fileno()),
    }
    processes: list[subprocess.Popen[bytes]] = []
    writer: asyncio.Task[list[str]] | None = None
    try:
        processes.append(start_relay(env, tmp_path / "first.log"))
        await wait_for(lambda: _answers(port, "/readyz"))
        # About 250 events a second for 8 seconds, while the relay follows.
        writer = asyncio.create_task(write_interleaved(store, tickets=100, replies=19, pause=0.004))
        await wait_for(lambda: _saved_at_least(checkpoint, 300))
        processes[0].send_signal(signal.SIGKILL)
        await asyncio.to_thread(processes[0].wait, 10)
        killed_at = await checkpoint.load()
        assert not writer.done(), "the writer finished before the kill: nothing was mid-run"

        processes.append(start_relay(env, tmp_path / "second.log"))
        await writer
        head = await store.head_position()
        assert killed_at < head
        await wait_for(lambda: _saved_at_least(checkpoint, head))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/readyz")).status_code == 200
            assert "relay_position " in (await client.get("/metrics")).text
        processes[1].send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(processes[1].wait, 30) in (0, -signal.SIGTERM)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        if writer is not None and not writer.done():
            writer.cancel()
        listening.close()

    stored = {r.event_id: r for r in await store.read_all(limit=100_000)}
    await store.close()
    records = await read_topic(
        bootstrap, topic, lambda rs: {_event_id(r) for r in events_of(rs)} >= stored.keys()
    )
    for record in events_of(records):  # duplicates are allowed, but each is the stored event
        expected = encode_event(envelope_from_stored(stored[_event_id(record)]))
        assert record.value == expected.value
    assert await checkpoint.load() == head
    log = (tmp_path / "second.log").read_text()
    assert "Traceback" not in log, log


class PrivateKafka:
    """A Kafka of this test's own (tests/system/private_engines.py: engines.sh on free ports,
    started again on other ports if one was taken meanwhile), to stop and start."""

    def __init__(self, run_dir: Path) -> None:
        self._engine = PrivateEngine("kafka", run_dir, dict(os.environ))

    @property
    def bootstrap(self) -> str:
        return self._engine.address

    async def up(self) -> None:
        await asyncio.to_thread(self._engine.up)

    async def down(self) -> None:
        await asyncio.to_thread(self._engine.down)


@pytest.fixture
async def private_kafka(bootstrap: str, tmp_path: Path) -> AsyncIterator[PrivateKafka]:
    """Needs the shared Kafka to answer: then its jars are in the engines' cache."""
    kafka = PrivateKafka(tmp_path / "engines")
    await kafka.up()
    try:
        yield kafka
    finally:
        await kafka.down()


@pytest.mark.slow
async def test_a_broker_that_goes_down_mid_run_gets_every_event_once_it_is_back(
    private_kafka: PrivateKafka, topic: str
) -> None:
    store = InMemoryEventStore()
    await write_interleaved(store, tickets=10, replies=9)
    checkpoint = InMemoryRelayCheckpoint()
    publisher = KafkaEventPublisher(
        bootstrap=private_kafka.bootstrap,
        topic=TopicSpec(topic, PARTITIONS, 1),
        options=ProducerOptions(request_timeout_ms=5000),  # notice the outage sooner
    )
    relay = Relay(store=store, publisher=publisher, checkpoint=checkpoint, options=FAST)
    task = asyncio.create_task(relay.run())
    try:
        await wait_for(lambda: checkpoint.saves[-1:] == [100])
        await private_kafka.down()
        await write_interleaved(store, tickets=10, replies=19)  # accepted while Kafka is down
        # Whether aiokafka reports the outage as a failed send or just holds the batches until
        # the broker is back depends on its metadata timing; either way nothing may pass the
        # checkpoint while the broker is away, and the relay must say it is not ready.
        await wait_for(lambda: _not_ready(relay))
        await asyncio.sleep(2)
        assert checkpoint.saves[-1] == 100

        await private_kafka.up()
        await wait_for(lambda: checkpoint.saves[-1:] == [300])
    finally:
        relay.stop()
        await asyncio.wait_for(task, 30)

    stored = {r.event_id for r in await store.read_all(limit=10_000)}
    records = await read_topic(
        private_kafka.bootstrap,
        topic,
        lambda rs: {_event_id(r) for r in events_of(rs)} >= stored,
    )
    assert {_event_id(r) for r in events_of(records)} == stored


async def _not_ready(relay: Relay) -> bool:
    return not await relay.ready()


def start_relay(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The relay process, serving on the socket TICKETING_LISTEN_FD names (inherited)."""
    fd = int(env["TICKETING_LISTEN_FD"])
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ticketing_tickets.relay"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=(fd,),
        )


async def _saved_at_least(checkpoint: FileRelayCheckpoint, position: int) -> bool:
    return await checkpoint.load() >= position


async def _answers(port: int, path: str) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}{path}", timeout=2)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def _marked_partitions(records: list[ConsumerRecord[bytes, bytes]], position: int) -> set[int]:
    """The partitions that got a marker at `position`."""
    return {
        r.partition
        for r in records
        if is_marker(r.headers) and decode_marker(r.value).position == position
    }


def _event_id(record: ConsumerRecord[bytes, bytes]) -> str:
    return (header(record.headers, "ce_id") or b"").decode()


async def forward(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    host: str,
    port: int,
) -> None:
    upstream_reader, upstream_writer = await asyncio.open_connection(host, port)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))
