"""The distributed mode on real engines: projector throughput Kafka → MongoDB read model beside
raw bulk writes, end-to-end lag at 200 commands/s through the processes, and the kill -9 run.

    .venv/bin/python -m bench.distributed_bench [projector] [lag] [kill]
        [--engines private|shared] [--events 10000] [--rate 200] [--seconds 60]
        [--kill-commands 5000] [--kill-rate 50] [--seed 2]

1. projector: rebuild_bench's history (~10 events per ticket, 500 conversations interleaved)
   written to a SQLite store and carried by the real relay to a topic of its own (6
   partitions; not timed). Then timed: the query service's projector as `python -m
   ticketing_query` wires it (KafkaFeed in a new consumer group, Projector, MongoReadModel,
   QuerySettings' batch size) from offset 0 until the read model's checkpoint holds the head,
   the consumer group's join included (also given apart). Raw: the very documents of every
   batch the projector applied (recorded), written batch by batch to a fresh database of the
   same server with the same indexes as plain bulk writes: new tickets and messages by
   `insert_many`, the checkpoint by `update_one`, tickets written before either by
   `ReplaceOne` (`replace`) or by one `delete_many` before the `insert_many`
   (`delete_insert`: not a way a read model could take, since a reader would miss the ticket
   in between; it was several times faster on FerretDB 1.24 until deploy/local's launcher
   indexed the expression of its `_id` lookups, now a little slower); the faster way is the
   ceiling. Bulk commands carry at most 50 statements: FerretDB 1.24 hangs on an update
   command of 100 or more. Goal: projector / raw >= 0.5. `--events` is 10k by default (before
   that index, every update by `_id` scanned the table: 50k events took 12 minutes).
2. lag: the relay, the four services and the gateway (`ticketing.distributed`) on the engines;
   `--rate` commands per second (open, replies from both sides, notes, reads, close, reopen,
   transfers: tests/system/distributed_load.py) for `--seconds`; meanwhile the read model's
   checkpoint is read every 20 ms. A command's lag is from its response to the first reading
   that covers its position (0 when it was already covered), i.e. until a GET with its
   `X-Min-Position` would answer at once; a command still not covered 60 s after the load is
   counted in `not_visible_after_drain`, its lag until the last reading (a lower bound). Goal:
   p99 <= 250 ms.
3. kill: tests/system/test_distributed_failures.py's kill -9 run (tests/system/kill_run.py) with
   `--kill-commands` commands: the relay and each consumer service killed `commands / 500` times
   each at seeded points and restarted; then every check of that test (read model equals a
   rebuild, in-app notifications exactly once, no email or SMS twice). Figures: the counts, and
   `failures` (0 or 1) with the reason.

`--engines private` (the default) starts a Kafka and a FerretDB of the bench's own
(deploy/local/engines.sh on free ports, as the failure tests do) and stops them at the end:
steadier figures than engines other work shares, and nothing another user of the shared
FerretDB could be stuck behind (see the 100-statement hang above). `--engines shared` uses the
engines of `make engines-up` with names of the bench's own. S3 is always the shared store, in
a bucket of the run's own, removed at the end.

`run()` returns the figures as a dict (bench/run.py).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient  # type: ignore[import-untyped]
from pymongo import AsyncMongoClient, ReplaceOne
from ticketing_eventstore.sqlite import SqliteEventStore
from ticketing_feed.kafka import KafkaFeed
from ticketing_feed.subscription import Subscription
from ticketing_query.adapters.readmodel_mongo import MongoReadModel
from ticketing_query.adapters.readmodel_mongo_documents import (
    Document,
    message_document,
    ticket_document,
)
from ticketing_query.adapters.readmodel_mongo_writes import CHECKPOINT_ID
from ticketing_query.application.ports import ProjectionBatch
from ticketing_query.application.projector import Projector
from ticketing_query.bootstrap import read_model_from_url
from ticketing_query.settings import QuerySettings
from ticketing_tickets.adapters.relay_checkpoint_file import FileRelayCheckpoint
from ticketing_tickets.adapters.relay_kafka import KafkaEventPublisher, TopicSpec, ensure_topics
from ticketing_tickets.application.relay import Relay, RelayOptions

from bench.rebuild_bench import fill
from tests.engines import setting
from tests.s3_buckets import plain_client, remove_bucket
from tests.system.distributed_checks import Places, all_arrived
from tests.system.distributed_load import people, run_commands, save_preferences
from tests.system.kill_run import kill_run
from tests.system.private_engines import PrivateEngine, scratch_topology
from ticketing.distributed import Engines, Topology, started

PARTITIONS = 6
RAW_STATEMENTS = 50  # per bulk command: FerretDB 1.24 hangs on 100 or more
RAW_WAYS = ("replace", "delete_insert")
POLL_SECONDS = 0.02  # the read model's engine is the busiest process: spare it
DRAIN_SECONDS = 60.0
CHECK_SECONDS = 1800.0  # each of catching up and comparing: 5k commands on FerretDB
PARTS = ("projector", "lag", "kill")


# -- engines ----------------------------------------------------------------------------------


@contextlib.contextmanager
def engines_for(kind: str, scratch: Path) -> Iterator[Engines]:
    s3 = (setting("S3_URL"), setting("S3_ACCESS_KEY"), setting("S3_SECRET_KEY"))
    if not all(s3):
        raise RuntimeError("no S3 store: run `make engines-up` (or set S3_URL and its keys)")
    endpoint, access, secret = (str(v) for v in s3)
    if kind == "shared":
        kafka, mongo = setting("KAFKA_BOOTSTRAP"), setting("MONGODB_URL")
        if not (kafka and mongo):
            raise RuntimeError("no Kafka or MongoDB: run `make engines-up`")
        yield Engines(kafka, mongo, endpoint, access, secret)
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith("TICKETING_")}
    kafka_engine = PrivateEngine("kafka", scratch / "kafka", env)
    ferretdb = PrivateEngine("ferretdb", scratch / "ferretdb", env)
    try:
        kafka_engine.up()
        ferretdb.up()
        yield Engines(kafka_engine.address, ferretdb.address, endpoint, access, secret)
    finally:
        try:
            ferretdb.down()
        finally:
            kafka_engine.down()


async def _drop(engines: Engines, *, topics: list[str], databases: list[str]) -> None:
    """What a part made in the engines (on shared engines it would stay otherwise)."""
    mongo: AsyncMongoClient[Document] = AsyncMongoClient(engines.mongodb_url)
    try:
        for name in databases:
            await mongo.drop_database(name)
    finally:
        await mongo.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=engines.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        if gone := sorted(set(topics) & existing):
            await admin.delete_topics(gone)
    finally:
        await admin.close()


# -- 1. projector -----------------------------------------------------------------------------


async def projector_part(engines: Engines, events: int, scratch: Path) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    topic, group = f"bench.distributed.{run}", f"bench-distributed-{run}"
    ours_db, raw_db = f"bench_projector_{run}", f"bench_raw_{run}"
    store_path = scratch / f"events-{run}.db"
    head = await fill(store_path, max(1, events // 10))
    try:
        await _relay(engines.kafka_bootstrap, topic, store_path, scratch / f"relay-{run}")
        ours, batches = await _project(engines, topic, group, ours_db, head)
        ways = {}
        for how in RAW_WAYS:
            ways[how] = await _raw(engines.mongodb_url, f"{raw_db}_{how}", batches, head, how)
    finally:
        databases = [ours_db, *(f"{raw_db}_{how}" for how in RAW_WAYS)]
        await _drop(engines, topics=[topic, f"{topic}.dlq"], databases=databases)
    raw = max(ways.values(), key=lambda figures: figures["events_per_s"])
    return {
        "events": head,
        "ours": ours,
        "raw": raw,
        "raw_ways": ways,
        "ours_vs_raw": ours["events_per_s"] / raw["events_per_s"],
        "ours_after_join_vs_raw": ours["after_join_events_per_s"] / raw["events_per_s"],
    }


async def _relay(bootstrap: str, topic: str, store_path: Path, checkpoint: Path) -> None:
    """The store's events on `topic`, by the real relay (markers included)."""
    await ensure_topics(bootstrap, [TopicSpec(topic, PARTITIONS, 1)])
    store = SqliteEventStore(store_path)
    saved = FileRelayCheckpoint(checkpoint)
    relay = Relay(
        store=store,
        publisher=KafkaEventPublisher(bootstrap=bootstrap, topic=TopicSpec(topic, PARTITIONS, 1)),
        checkpoint=saved,
        options=RelayOptions(marker_interval=0.2),
    )
    head = await store.head_position()
    task = asyncio.create_task(relay.run())
    try:
        async with asyncio.timeout(600):
            while await saved.load() < head:  # noqa: ASYNC110 - another task saves it
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # the last markers
    finally:
        relay.stop()
        await task
        await store.close()


class _Recording:
    """The read model, keeping a copy of every batch applied (for the raw writes)."""

    def __init__(self, read_model: MongoReadModel) -> None:
        self._read_model = read_model
        self.batches: list[ProjectionBatch] = []
        self.first_at = 0.0  # perf_counter() when the first batch was written

    async def apply(self, batch: ProjectionBatch) -> None:
        await self._read_model.apply(batch)
        self.first_at = self.first_at or time.perf_counter()
        self.batches.append(batch)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._read_model, name)


async def _project(
    engines: Engines, topic: str, group: str, database: str, head: int
) -> tuple[dict[str, Any], list[ProjectionBatch]]:
    batch = QuerySettings().projector_batch_size
    read_model = await MongoReadModel(engines.mongodb_url, database=database).open()
    recording = _Recording(read_model)
    feed = KafkaFeed(
        engines.kafka_bootstrap,
        topic,
        group,
        dead_letter_topic=f"{topic}.dlq",
        partitions=PARTITIONS,
    )
    projector = Projector(read_model=recording)
    subscription = Subscription(name="projector", feed=feed, handler=projector, batch_size=batch)
    started_at = time.perf_counter()
    subscription.start()
    try:
        if not await subscription.wait_for(head, timeout=900):
            raise TimeoutError(f"the projector did not reach position {head} in 900 s")
        seconds = time.perf_counter() - started_at
    finally:
        await subscription.stop()
        await read_model.close()
    join = recording.first_at - started_at
    figures = {
        "seconds": seconds,
        "events_per_s": head / seconds,
        "join_seconds": join,
        "after_join_events_per_s": head / (seconds - join),
        "batch_events": batch,
        "batches": len(recording.batches),
    }
    return figures, recording.batches


async def _raw(
    url: str, database: str, batches: list[ProjectionBatch], events: int, how: str
) -> dict[str, Any]:
    """The projector's batches' documents as plain bulk writes (see the module docstring)."""
    await (await MongoReadModel(url, database=database).open()).close()  # the same indexes
    client: AsyncMongoClient[Document] = AsyncMongoClient(url)
    db = client[database]
    tickets, messages, checkpoints = db["tickets"], db["messages"], db["checkpoints"]
    seen: set[str] = set()
    written = [
        ([ticket_document(v) for v in b.views], [message_document(m) for m in b.messages])
        for b in batches
    ]
    try:
        started_at = time.perf_counter()
        for (ticket_documents, message_documents), batch in zip(written, batches, strict=True):
            new = [d for d in ticket_documents if d["_id"] not in seen]
            old = [d for d in ticket_documents if d["_id"] in seen]
            if how == "delete_insert" and old:
                await tickets.delete_many({"_id": {"$in": [d["_id"] for d in old]}})
                new, old = ticket_documents, []
            if new:
                await tickets.insert_many(new, ordered=False)
            for start in range(0, len(old), RAW_STATEMENTS):
                chunk = old[start : start + RAW_STATEMENTS]
                await tickets.bulk_write([ReplaceOne({"_id": d["_id"]}, d) for d in chunk])
            if message_documents:
                await messages.insert_many(message_documents, ordered=False)
            await checkpoints.update_one(
                {"_id": CHECKPOINT_ID}, {"$max": {"position": batch.position}}, upsert=True
            )
            seen.update(d["_id"] for d in ticket_documents)
        seconds = time.perf_counter() - started_at
    finally:
        await client.close()
    return {
        "seconds": seconds,
        "events_per_s": events / seconds,
        "ticket_documents": sum(len(t) for t, _ in written),
        "message_documents": sum(len(m) for _, m in written),
    }


# -- 2. lag -----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _topology(engines: Engines, scratch: Path, purpose: str) -> AsyncIterator[Topology]:
    topology = scratch_topology(scratch / purpose, engines, f"bench-{purpose}")
    try:
        yield topology
    finally:
        try:
            await asyncio.to_thread(remove_bucket, plain_client(), topology.s3_bucket)
        finally:
            topic = topology.kafka_topic
            await _drop(
                engines, topics=[topic, f"{topic}.dlq"], databases=[topology.mongo_database]
            )


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TICKETING_")}


async def lag_part(engines: Engines, scratch: Path, rate: float, seconds: float) -> dict[str, Any]:
    async with _topology(engines, scratch, "lag") as topology:
        with started(topology, base_env=_environment(), timeout=120) as supervisor:
            topology = supervisor.topology  # with the ports it bound
            cast = people()
            async with httpx.AsyncClient(base_url=topology.gateway_url, timeout=30) as http:
                await save_preferences(http, cast)
            readings: list[tuple[float, int]] = []
            stop = asyncio.Event()
            watcher = asyncio.create_task(_watch(Places.of(topology), readings, stop))
            commands = int(rate * seconds)
            try:
                began = time.monotonic()
                load = await run_commands(
                    topology.gateway_url,
                    cast,
                    commands,
                    seed=1,
                    workers=24,
                    rate=rate,
                    attachments=False,
                )
                ran = time.monotonic() - began
                last = load.last_position
                with contextlib.suppress(TimeoutError):  # what is still missing is reported
                    async with asyncio.timeout(DRAIN_SECONDS):
                        while not readings or readings[-1][1] < last:  # noqa: ASYNC110
                            await asyncio.sleep(0.05)
            finally:
                stop.set()
                await watcher
    lags, unseen = _lags(load.acks, readings)
    latencies = [(a.answered - a.sent) * 1000 for a in load.acks]
    applied = readings[-1][1] if readings else 0
    return {
        "not_visible_after_drain": unseen,
        "drain_seconds": DRAIN_SECONDS,
        "positions_behind_after_drain": max(0, last - applied),
        "commands": len(load.acks),
        "refused": len(load.refused),
        "retries": load.retries,
        "seconds": ran,
        "commands_per_s": len(load.acks) / ran,
        "target_rate": rate,
        "lag_ms": _percentiles(lags),
        "command_ms": _percentiles(latencies),
        "readings": len(readings),
    }


async def _watch(places: Places, readings: list[tuple[float, int]], stop: asyncio.Event) -> None:
    """The read model's checkpoint every POLL_SECONDS, with the time it was read."""
    read_model = read_model_from_url(places.read_model_url)
    try:
        while not stop.is_set():
            checkpoint = await read_model.checkpoint()
            readings.append((time.monotonic(), checkpoint))
            await asyncio.sleep(POLL_SECONDS)
    finally:
        await read_model.close()


def _lags(acks: list[Any], readings: list[tuple[float, int]]) -> tuple[list[float], int]:
    """Per command, ms from its response to the first reading that covers its position; one
    never covered counts until the last reading (a lower bound), and is counted apart."""
    positions = [checkpoint for _, checkpoint in readings]  # never goes down
    lags, unseen = [], 0
    for ack in acks:
        if not ack.position:
            continue
        n = bisect.bisect_left(positions, ack.position)
        if n == len(readings):
            unseen += 1
            n = len(readings) - 1
        lags.append(max(0.0, readings[n][0] - ack.answered) * 1000)
    return lags, unseen


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return {
        "p50": at(0.50),
        "p90": at(0.90),
        "p99": at(0.99),
        "max": ordered[-1],
        "mean": statistics.fmean(ordered),
    }


# -- 3. kill ----------------------------------------------------------------------------------


async def kill_part(
    engines: Engines, scratch: Path, commands: int, rate: float, seed: int
) -> dict[str, Any]:
    per_target = max(1, commands // 500)
    async with _topology(engines, scratch, "kill") as topology:
        with started(topology, base_env=_environment(), timeout=120) as supervisor:
            topology = supervisor.topology  # with the ports it bound
            cast = people()
            async with httpx.AsyncClient(base_url=topology.gateway_url, timeout=30) as http:
                await save_preferences(http, cast)
            run = await kill_run(
                supervisor, cast, commands, seed=seed, rate=rate, per_target=per_target
            )
            figures: dict[str, Any] = {
                "commands": len(run.load.acks),
                "refused": len(run.load.refused),
                "retries": run.load.retries,
                "seed": seed,
                "kills": len(run.kills),
                "kill_points": [f"{k.target}@{k.at_command}" for k in run.kills],
                "restart_seconds_max": max((k.restart_seconds for k in run.kills), default=0),
                "run_seconds": run.seconds,
            }
            checked = time.monotonic()
            counted: dict[str, Any]
            try:
                if run.load.refused:
                    raise AssertionError(f"refused commands: {run.load.refused[:3]}")
                counted = await all_arrived(
                    supervisor,
                    Places.of(topology),
                    cast,
                    run.load,
                    catch_up_seconds=CHECK_SECONDS,
                    compare_seconds=CHECK_SECONDS,
                )
            except (AssertionError, TimeoutError) as failure:
                counted = {"failures": 1, "reason": f"{type(failure).__name__}: {failure}"[:2000]}
            else:
                counted |= {"failures": 0}
            return figures | counted | {"check_seconds": time.monotonic() - checked}


# -- running ----------------------------------------------------------------------------------


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"engines": args.engines}
    with (
        tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMPDIR")) as tmp,
        engines_for(args.engines, Path(tmp)) as engines,
    ):
        scratch = Path(tmp)
        if "projector" in args.parts:
            figures["projector"] = await projector_part(engines, args.events, scratch)
            _progress("projector", figures["projector"])
        if "lag" in args.parts:
            figures["lag"] = await lag_part(engines, scratch, args.rate, args.seconds)
            _progress("lag", figures["lag"])
        if "kill" in args.parts:
            figures["kill"] = await kill_part(
                engines, scratch, args.kill_commands, args.kill_rate, args.seed
            )
            _progress("kill", figures["kill"])
    return figures


def _progress(part: str, figures: dict[str, Any]) -> None:
    print(f"[distributed] {part}: {json.dumps(figures, default=str)}", flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.distributed_bench")
    parser.add_argument("parts", nargs="*", help=f"any of {', '.join(PARTS)} (default: all)")
    parser.add_argument("--engines", choices=("private", "shared"), default="private")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--kill-commands", type=int, default=5000)
    parser.add_argument("--kill-rate", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=2)
    return parser


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = _parser()
    args = parser.parse_args(argv)
    if unknown := set(args.parts) - set(PARTS):
        parser.error(f"unknown part(s) {sorted(unknown)}; choose from {', '.join(PARTS)}")
    args.parts = args.parts or list(PARTS)
    return args


def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Every part with the defaults (bench/run.py), or as `argv` says."""
    return asyncio.run(_run(_arguments(argv or [])))


def main() -> None:
    print(json.dumps(asyncio.run(_run(_arguments(None))), indent=2, default=str))


if __name__ == "__main__":
    main()
