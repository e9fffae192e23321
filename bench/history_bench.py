"""`GET /v1/events` for a small brand among big ones: the SQLite event store's prefix read.

Goal (issue 12): a page of the history of a brand with 1,000 events, stored among 1,000,000
events of other brands, in at most 20 ms.

Fill: a fresh SQLite store under `<repo>/var` (or BENCH_TMPDIR), deleted afterwards, its schema
made by `SqliteEventStore` itself; then `--others` events (10 brands, tickets of ~9 events) and
`--small` events of brand `kuchak` (tickets of ~9 events too), shuffled together, inserted with
plain `executemany` in transactions of 10,000 rows (the store's own appends would take an hour
for a million; the rows are what its writer writes: stream id, version, event id, type, JSON data
with a Persian body, metadata, time).
Reads, through `SqliteEventStore.read_all` as the route calls it (`limit`=100, the route's
default, `stream_prefix=ticket-<brand>-`), `samples` times each after 20 untimed: the small
brand's page after a random position of the file, its history walked page by page from 0 (ten
pages), a big brand's page after a random position, and the feeds' read (`ticket-`, every brand)
and the unfiltered read for comparison. p50/p99/max and the rows per page.

Run alone: `.venv/bin/python -m bench.history_bench [--others 1000000] [--small 1000]
[--samples 300]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.query_bench import SENTENCES, _stats

OTHERS = 1_000_000
SMALL = 1_000
SAMPLES = 300
WARM = 20
PAGE = 100
BIG_BRANDS = 10
SMALL_BRAND = "kuchak"
EVENTS_PER_TICKET = 9
_INSERT = (
    "INSERT INTO events (stream_id, stream_version, event_id, event_type, data, metadata,"
    " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _rows(plan: list[tuple[str, int]], seed: int) -> list[tuple[Any, ...]]:
    """The rows of `plan`'s (brand, events) pairs, tickets interleaved."""
    rng = random.Random(seed)
    streams: list[tuple[str, int]] = []  # (stream, events) in the order tickets are opened
    for brand, events in plan:
        while events > 0:
            n = min(events, rng.randint(1, 2 * EVENTS_PER_TICKET - 1))
            streams.append((f"ticket-{brand}-{uuid.UUID(int=rng.getrandbits(128)).hex}", n))
            events -= n
    rng.shuffle(streams)
    # Interleave the tickets' events as a live system would: each step takes one event of a
    # random open ticket among the next few opened.
    rows: list[tuple[Any, ...]] = []
    open_now: list[list[Any]] = []
    queue = iter(streams)
    while True:
        while len(open_now) < 50:
            nxt = next(queue, None)
            if nxt is None:
                break
            open_now.append([nxt[0], nxt[1], 0])
        if not open_now:
            return rows
        ticket = open_now[rng.randrange(len(open_now))]
        ticket[2] += 1
        data = {"body": rng.choice(SENTENCES), "message_id": uuid.uuid4().hex}
        rows.append(
            (
                ticket[0],
                ticket[2],
                str(uuid.uuid4()),
                "TicketOpened" if ticket[2] == 1 else "MessagePosted",
                json.dumps(data, ensure_ascii=False),
                json.dumps({"actor": {"id": "agent-7", "role": "agent"}, "schema_version": 1}),
                "2026-12-02T10:00:00+00:00",
            )
        )
        if ticket[2] == ticket[1]:
            open_now.remove(ticket)


async def _make(path: Path, others: int, small: int, seed: int) -> dict[str, Any]:
    from ticketing_eventstore.sqlite import SqliteEventStore

    async with SqliteEventStore(path, synchronous="OFF"):
        pass  # the schema, as the store makes it
    plan = [(f"bozorg{b}", others // BIG_BRANDS) for b in range(BIG_BRANDS)]
    started = time.perf_counter()
    rows = _rows([*plan, (SMALL_BRAND, small)], seed)
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        for first in range(0, len(rows), 10_000):
            connection.executemany(_INSERT, rows[first : first + 10_000])
            connection.commit()
    finally:
        connection.close()
    return {"events": len(rows), "fill_seconds": time.perf_counter() - started}


async def _timed(call: Callable[[random.Random], Awaitable[int]], samples: int) -> dict[str, Any]:
    rng = random.Random(7)
    latencies: list[float] = []
    rows = 0
    for i in range(WARM + samples):
        started = time.perf_counter()
        got = await call(rng)
        if i >= WARM:
            latencies.append(time.perf_counter() - started)
            rows += got
    return {"samples": samples, **_stats(latencies), "mean_rows": rows / max(1, samples)}


async def _measure(path: Path, samples: int) -> dict[str, Any]:
    from ticketing_eventstore.sqlite import SqliteEventStore

    async with SqliteEventStore(path) as store:
        head = await store.head_position()
        small = f"ticket-{SMALL_BRAND}-"
        walk: list[int] = [0]

        async def page(prefix: str | None, after: int) -> int:
            return len(await store.read_all(after=after, limit=PAGE, stream_prefix=prefix))

        async def small_walk(_: random.Random) -> int:
            events = await store.read_all(after=walk[0], limit=PAGE, stream_prefix=small)
            walk[0] = events[-1].position if len(events) == PAGE else 0
            return len(events)

        cases: dict[str, Callable[[random.Random], Awaitable[int]]] = {
            "small_brand_page": lambda r: page(small, r.randrange(head)),
            "small_brand_walk": small_walk,
            "big_brand_page": lambda r: page("ticket-bozorg3-", r.randrange(head)),
            "every_ticket_page": lambda r: page("ticket-", r.randrange(head)),
            "unfiltered_page": lambda r: page(None, r.randrange(head)),
        }
        return {name: await _timed(call, samples) for name, call in cases.items()}


def run(
    others: int = OTHERS, small: int = SMALL, samples: int = SAMPLES, seed: int = 5
) -> dict[str, Any]:
    import uvloop

    base = Path(os.environ.get("BENCH_TMPDIR") or Path(__file__).resolve().parents[1] / "var")
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-history-", dir=base))
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            print(f"[history] {others:,} events of others, {small:,} of one brand ...", flush=True)
            figures = runner.run(_make(scratch / "events.db", others, small, seed))
            figures["pages"] = runner.run(_measure(scratch / "events.db", samples))
        figures["db_bytes"] = sum(p.stat().st_size for p in scratch.glob("events.db*"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    figures["method"] = {"others": others, "small": small, "page": PAGE, "samples": samples}
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.history_bench", description=__doc__)
    parser.add_argument("--others", type=int, default=OTHERS)
    parser.add_argument("--small", type=int, default=SMALL)
    parser.add_argument("--samples", type=int, default=SAMPLES)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.others, args.small, args.samples), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
