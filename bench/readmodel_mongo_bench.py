"""The MongoDB read model on the engine at hand (FerretDB 1.24 here): the projector's throughput
beside raw bulk writes of the same documents to the same server, and list/counters/search p99.

    .venv/bin/python -m bench.readmodel_mongo_bench [--tickets 20000] [--batch 5000]
        [--live-events 500] [--live-batch 50] [--read-tickets 20000] [--samples 10]
        [--url mongodb://127.0.0.1:27018] [--json]

Every part writes to a database of its own (`bench_readmodel_<random>`), dropped at the end.

1. Rebuild: the history of bench/rebuild_bench.py (~10 events per ticket, conversations
   interleaved 500 at a time) as `EventIn`s in memory (no store in the way), after a `reset`,
   through the real projector (`Projector.apply`: `load`, `fold`, `apply` per batch of
   `--batch` events, as `application.rebuild` does) into a fresh `MongoReadModel`. Beside it,
   raw: the documents each batch wrote, built beforehand, sent with `insert_many` (tickets,
   messages; a ticket already written is a `ReplaceOne` by `_id` in a `bulk_write`) and the
   checkpoint's `update_one`, into a fresh database with the same indexes. The two take turns
   batch by batch, so a load from elsewhere on the machine weighs on both alike. Both in
   events/s; the ratio is the goal of issue 5 (>= 0.5).
2. Live: after the rebuild, `--live-events` more events (replies from both sides, views,
   reads) on random existing tickets, through `Projector.apply` in batches of `--live-batch`,
   as a consumer applies what a Kafka poll returns; raw: the same resulting views as
   `ReplaceOne`s by `_id` and the messages as `insert_many`, on a copy of the same data.
3. Reads: bench/query_bench.py's fill (one brand, skewed customers, weighted departments,
   Persian text) at `--read-tickets` tickets, then its query cases (customer/department/admin
   pages, deep cursors, unread, search, counters) and a ticket's messages, each `--samples`
   times after 3 untimed calls, limit 21, through the port as the HTTP layer calls it. (Few
   samples by default: on FerretDB each of these reads decodes the whole collection, seconds
   at 20k tickets.) Then, for the choice of readmodel_mongo's docstring, the road not taken:
   per-scope counter documents of the same data, read by `_id` and updated by `$inc`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient, ReplaceOne, UpdateOne
from ticketing_contracts import decode_event
from ticketing_feed import EventIn, FeedBatch
from ticketing_query.adapters.readmodel_mongo import MongoReadModel
from ticketing_query.adapters.readmodel_mongo_documents import (
    Document,
    message_document,
    ticket_document,
)
from ticketing_query.adapters.readmodel_mongo_writes import CHECKPOINT_ID
from ticketing_query.application.projector import Projector, fold_batch
from ticketing_query.domain.view import MessageView, TicketView

from bench import query_bench
from bench.rebuild_bench import BODIES, _conversation

URL = "mongodb://127.0.0.1:27018"
WARM_CALLS = 3
Key = tuple[str, str]


def history(tickets: int, seed: int = 7) -> list[EventIn]:
    """bench/rebuild_bench.py's events, 500 conversations at a time, as the feed yields them."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    events: list[EventIn] = []
    for group in range(0, tickets, 500):
        talks = [_conversation(rng, n) for n in range(group, min(group + 500, tickets))]
        for step in range(10):
            for stream, steps in talks:
                event_type, data, actor = steps[step]
                _, brand, ticket = stream.split("-", 2)
                events.append(
                    EventIn(
                        position=len(events) + 1,
                        brand_id=brand,
                        ticket_id=ticket,
                        stream_version=step + 1,
                        occurred_at=start + timedelta(seconds=len(events)),
                        actor_id=actor,
                        actor_role="customer" if actor.startswith("cust") else "agent",
                        event=decode_event(
                            event_type,
                            1,
                            {} if event_type == "TicketReopened" else data,
                            trusted=True,
                        ),
                    )
                )
    return events


def live_events(
    views: dict[Key, TicketView], count: int, first: int, seed: int = 11
) -> list[EventIn]:
    """Replies, views and reads on random existing tickets, after position `first`."""
    rng = random.Random(seed)
    keys = sorted(views)
    versions = {key: views[key].version for key in keys}
    at = datetime(2026, 1, 1, tzinfo=UTC)
    events = []
    for n in range(count):
        key = rng.choice(keys)
        versions[key] += 1
        kind = rng.randrange(4)
        data: dict[str, Any] = {}
        if kind < 2:
            side = ("customer", "agent")[kind]
            event_type = "MessagePosted"
            data = {"message_id": uuid.uuid4().hex, "body": rng.choice(BODIES),
                    "attachment_ids": [], "internal": False, "follow_up": False,
                    "author_side": side}  # fmt: skip
        else:
            event_type = ("AgentViewed", "CustomerRead")[kind - 2]
        events.append(
            EventIn(
                position=first + n + 1,
                brand_id=key[0],
                ticket_id=key[1],
                stream_version=versions[key],
                occurred_at=at + timedelta(seconds=n),
                actor_id="agent-1" if kind in (1, 2) else views[key].customer_id,
                actor_role="agent" if kind in (1, 2) else "customer",
                event=decode_event(event_type, 1, data, trusted=True),
            )
        )
    return events


def fold_batches(
    events: list[EventIn], batch: int, views: dict[Key, TicketView]
) -> list[tuple[list[TicketView], list[MessageView], int]]:
    """What the projector applies, batch by batch (as Projector.apply folds), `views` updated."""
    batches = []
    for first in range(0, len(events), batch):
        chunk = events[first : first + batch]
        changed, messages = fold_batch(views, chunk)
        batches.append((changed, messages, chunk[-1].position))
    return batches


async def raw_writes(
    database: Any, batches: list[tuple[list[Document], list[Document], int]], seen: set[str]
) -> float:
    """Seconds to send the documents as plain bulk writes; `seen`: ticket ids already stored."""
    tickets, messages, checkpoints = (database[n] for n in ("tickets", "messages", "checkpoints"))
    started = time.perf_counter()
    for ticket_documents, message_documents, position in batches:
        new = [d for d in ticket_documents if d["_id"] not in seen]
        old = [ReplaceOne({"_id": d["_id"]}, d) for d in ticket_documents if d["_id"] in seen]
        if new:
            await tickets.insert_many(new, ordered=False)
        if old:
            await tickets.bulk_write(old, ordered=False)
        if message_documents:
            await messages.insert_many(message_documents, ordered=False)
        await checkpoints.update_one(
            {"_id": CHECKPOINT_ID}, {"$max": {"position": position}}, upsert=True
        )
        seen.update(d["_id"] for d in new)
    return time.perf_counter() - started


def documents(
    batches: list[tuple[list[TicketView], list[MessageView], int]],
) -> list[tuple[list[Document], list[Document], int]]:
    return [
        ([ticket_document(v) for v in views], [message_document(m) for m in messages], position)
        for views, messages, position in batches
    ]


async def writes_part(url: str, args: argparse.Namespace, names: list[str]) -> dict[str, Any]:
    events = history(args.tickets)
    ours_db, raw_db = (f"bench_readmodel_{uuid.uuid4().hex[:8]}" for _ in range(2))
    names += [ours_db, raw_db]
    read_model = await MongoReadModel(url, database=ours_db).open()
    await (await MongoReadModel(url, database=raw_db).open()).close()  # the same indexes
    client: AsyncMongoClient[Document] = AsyncMongoClient(url)
    try:
        # 1. a rebuild: reset, then the history in large batches
        await read_model.reset()
        views: dict[Key, TicketView] = {}
        started = time.perf_counter()
        folded = fold_batches(events, args.batch, views)
        fold_s = time.perf_counter() - started
        projector = Projector(read_model=read_model)
        seen: set[str] = set()
        ours_s, raw_s = await turn_about(
            projector, client[raw_db], events, args.batch, folded, seen
        )
        rebuild_figures = _ratio(len(events), ours_s, raw_s) | {
            "tickets": len(views),
            "ticket_documents": sum(len(t) for t, _, _ in folded),
            "message_documents": sum(len(m) for _, m, _ in folded),
            "fold_only_events_per_s": len(events) / fold_s,
            "batch_events": args.batch,
        }
        print(_line("rebuild", rebuild_figures), flush=True)
        # 2. live: small batches on existing tickets
        extra = live_events(views, args.live_events, first=len(events))
        folded = fold_batches(extra, args.live_batch, views)
        projector = Projector(read_model=read_model)
        ours_s, raw_s = await turn_about(
            projector, client[raw_db], extra, args.live_batch, folded, seen
        )
        live_figures = _ratio(len(extra), ours_s, raw_s) | {"batch_events": args.live_batch}
        print(_line("live", live_figures), flush=True)
    finally:
        await read_model.close()
        await client.close()
    return {"rebuild": rebuild_figures, "live": live_figures}


async def turn_about(
    projector: Projector,
    raw_database: Any,
    events: list[EventIn],
    size: int,
    folded: list[tuple[list[TicketView], list[MessageView], int]],
    seen: set[str],
) -> tuple[float, float]:
    """Seconds of the projector and of raw writes, batch by batch, one after the other: both
    meet the same load from whatever else runs on the machine."""
    ours_s = raw_s = 0.0
    for n, batch in enumerate(folded):  # fold_batches cut `events` into batches of `size`
        chunk = events[n * size : (n + 1) * size]
        started = time.perf_counter()
        await projector.apply(FeedBatch(chunk, chunk[-1].position))
        ours_s += time.perf_counter() - started
        raw_s += await raw_writes(raw_database, documents([batch]), seen)
    return ours_s, raw_s


def _ratio(events: int, ours_s: float, raw_s: float) -> dict[str, Any]:
    return {
        "events": events,
        "ours_seconds": ours_s,
        "ours_events_per_s": events / ours_s,
        "raw_seconds": raw_s,
        "raw_events_per_s": events / raw_s,
        "ours_vs_raw": raw_s / ours_s,
    }


async def reads_part(url: str, args: argparse.Namespace, names: list[str]) -> dict[str, Any]:
    name = f"bench_readmodel_{uuid.uuid4().hex[:8]}"
    names.append(name)
    read_model = await MongoReadModel(url, database=name).open()
    try:
        customers = max(50, args.read_tickets // 20)
        filled = await query_bench.fill(read_model, args.read_tickets, customers)
        results: dict[str, Any] = {
            "tickets": args.read_tickets,
            "customers": customers,
            "messages": filled.messages,
            "fill_seconds": filled.seconds,
            "samples": args.samples,
            "queries": {},
        }
        for n, case in enumerate(query_bench._cases(filled)):
            results["queries"][case.name] = await _time_case(read_model, case, args.samples, n)
            print(
                f"  {case.name}: {results['queries'][case.name]['p99_ms']:.1f} ms p99", flush=True
            )
        results["queries"]["messages_of_a_ticket"] = found = await _time_messages(
            read_model, filled.views, args.samples
        )
        print(f"  messages_of_a_ticket: {found['p99_ms']:.1f} ms p99", flush=True)
        client: AsyncMongoClient[Document] = AsyncMongoClient(url)
        try:
            results["counter_documents"] = await counter_documents(client[name], filled, args)
        finally:
            await client.close()
    finally:
        await read_model.close()
    return results


async def counter_documents(database: Any, filled: Any, args: argparse.Namespace) -> dict[str, Any]:
    """The road not taken, for the numbers: per-scope counter documents (one per brand, side and
    customer or department, as the SQLite adapter keeps rows) beside the same data, read by
    `_id` (an admin: its brand's departments by `$in`), and updated by `$inc` 100 at a time."""
    from ticketing_query.domain.counters import total

    scopes: dict[tuple[str, str], list[TicketView]] = {}
    for view in filled.views:
        scopes.setdefault(("customer", view.customer_id), []).append(view)
        scopes.setdefault(("agent", view.department), []).append(view)
    documents = []
    for (side, key), views in scopes.items():
        counted = total(views, side).as_json()
        documents.append({"_id": f"{query_bench.BRAND}|{side}|{key}", **counted})
    collection = database["counters"]
    await collection.insert_many(documents)
    rng = random.Random(5)
    departments = [d["_id"] for d in documents if "|agent|" in d["_id"]]
    reads: dict[str, list[float]] = {"customer": [], "agent_department": [], "admin": []}
    for i in range(WARM_CALLS + args.samples):
        for kind, query in (
            ("customer", {"_id": f"{query_bench.BRAND}|customer|{rng.choice(filled.customers)}"}),
            ("agent_department", {"_id": rng.choice(departments)}),
            ("admin", {"_id": {"$in": departments}}),
        ):
            started = time.perf_counter()
            await collection.find(query).to_list()
            if i >= WARM_CALLS:
                reads[kind].append(time.perf_counter() - started)
    ids = [d["_id"] for d in documents]
    batch, rounds = min(100, len(ids)), 3
    started = time.perf_counter()
    for _ in range(rounds):  # a real change: an update that changes nothing writes nothing
        await collection.bulk_write(
            [UpdateOne({"_id": i}, {"$inc": {"total": 1}}) for i in rng.sample(ids, batch)]
        )
    inc_s = time.perf_counter() - started
    return {
        "documents": len(documents),
        "reads": {kind: query_bench._stats(latencies) for kind, latencies in reads.items()},
        "inc_ms_per_update": inc_s / (rounds * batch) * 1000,
    }


async def _time_messages(
    read_model: MongoReadModel, views: list[TicketView], samples: int
) -> dict[str, Any]:
    """A ticket's detail page reads its messages."""
    rng = random.Random(9)
    latencies: list[float] = []
    rows = 0
    for i in range(WARM_CALLS + samples):
        view = rng.choice(views)
        started = time.perf_counter()
        found = await read_model.messages(view.brand_id, view.ticket_id)
        if i >= WARM_CALLS:
            latencies.append(time.perf_counter() - started)
            rows += len(found)
    return {**query_bench._stats(latencies), "mean_rows": rows / max(1, samples)}


async def _time_case(
    read_model: MongoReadModel, case: query_bench.Case, samples: int, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    latencies: list[float] = []
    rows = 0
    for i in range(WARM_CALLS + samples):
        call = case.make(rng)
        started = time.perf_counter()
        if case.kind == "list":
            found: Any = await read_model.list(call[0], call[1], limit=21, after=call[2])
        else:
            found = await read_model.counters(call[0])
        took = time.perf_counter() - started
        if i >= WARM_CALLS:
            latencies.append(took)
            rows += len(found) if case.kind == "list" else 1
    return {**query_bench._stats(latencies), "mean_rows": rows / max(1, len(latencies))}


async def run(url: str = URL, argv: list[str] | None = None) -> dict[str, Any]:
    args = _parser().parse_args(argv or [])
    url = args.url or url
    names: list[str] = []
    client: AsyncMongoClient[Document] = AsyncMongoClient(url)
    try:
        build = await client.admin.command("buildInfo")
        engine = f"MongoDB {build['version']}"
        if "ferretdbVersion" in build:  # our build of FerretDB reports "unknown" as its version
            engine = f"FerretDB (wire-compatible with MongoDB {build['version']})"
        figures: dict[str, Any] = {"engine": engine, "url": url}
        if args.tickets:
            print(f"writes: {args.tickets:,} tickets on {engine}", flush=True)
            figures["writes"] = await writes_part(url, args, names)
        if args.read_tickets:
            print(f"reads: {args.read_tickets:,} tickets", flush=True)
            figures["reads"] = await reads_part(url, args, names)
        return figures
    finally:
        for name in names:
            await client.drop_database(name)
        await client.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.readmodel_mongo_bench")
    parser.add_argument("--url", default=None, help=f"MongoDB URL (default {URL})")
    parser.add_argument("--tickets", type=int, default=20_000, help="rebuild size (0: skip)")
    parser.add_argument("--batch", type=int, default=5000, help="events per rebuild batch")
    parser.add_argument("--live-events", type=int, default=500)
    parser.add_argument("--live-batch", type=int, default=50)
    parser.add_argument("--read-tickets", type=int, default=20_000, help="0: skip the reads")
    parser.add_argument("--samples", type=int, default=10, help="timed calls per query")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    return parser


def _line(part: str, found: dict[str, Any]) -> str:
    return (
        f"{part}: {found['events']:,} events in batches of {found['batch_events']}:"
        f" projector {found['ours_events_per_s']:,.0f} events/s,"
        f" raw bulk writes {found['raw_events_per_s']:,.0f} events/s,"
        f" ratio {found['ours_vs_raw']:.2f}"
    )


def _report(figures: dict[str, Any]) -> None:
    print(f"engine: {figures['engine']} at {figures['url']}")
    for part in ("rebuild", "live"):
        found = figures.get("writes", {}).get(part)
        if found:
            print(_line(part, found))
    reads = figures.get("reads")
    if reads:
        print(f"reads at {reads['tickets']:,} tickets ({reads['samples']} samples each):")
        for name, stats in reads["queries"].items():
            print(f"  {name:32} p50 {stats['p50_ms']:8.1f} ms  p99 {stats['p99_ms']:8.1f} ms")
        alternative = reads["counter_documents"]
        print(f"  counter documents instead ({alternative['documents']:,} of them):")
        for name, stats in alternative["reads"].items():
            print(
                f"    read {name:25} p50 {stats['p50_ms']:8.1f} ms  p99 {stats['p99_ms']:8.1f} ms"
            )
        print(f"    $inc by _id: {alternative['inc_ms_per_update']:.1f} ms per counter document")


async def _until_terminated(argv: list[str]) -> dict[str, Any]:
    """`run`, cancelled by SIGTERM (a `timeout`, say), so that its databases are still dropped."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await run(argv=argv)


def main() -> None:
    args = _parser().parse_args()
    try:
        figures = asyncio.run(_until_terminated(sys.argv[1:]))
    except asyncio.CancelledError:
        sys.exit("terminated: its databases were dropped")
    if args.json:
        print(json.dumps(figures, indent=1, ensure_ascii=False))
    _report(figures)


if __name__ == "__main__":
    main()
