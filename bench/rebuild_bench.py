"""How fast the SQLite read model is rebuilt from a SQLite event store (issue 12 step 3).

    .venv/bin/python -m bench.rebuild_bench [--tickets 20000] [--batch 5000] [--profile]
    .venv/bin/python -m bench.run rebuild        # the same, as a row set of bench.run's table

1. Fill: ~10 events per ticket (opening, replies from both sides, notes, reads, transfers,
   closes; conversations interleaved 500 at a time, as a busy helpdesk would) straight into a
   fresh events.db (`BENCH_TMPDIR` or a temp dir): 20k tickets = 200k events.
2. Rebuild: `application.rebuild` from a `StoreFeed` over that store into a fresh `query.db`,
   as `ticketing rebuild` does it: wall time and the process's CPU time (`/proc/self/stat`, all
   threads), events/s and events per CPU-second (the steadier figure on a shared machine), the
   read model's size and the process's VmRSS/VmHWM after it.
3. Split: the same work one step at a time over the whole history, each step's CPU per event:
   `read` (the store's scans, JSON decoding included), `parse` (`to_event_in`), `fold`
   (`fold_batch`, search words included), `write` (the SQLite rebuild target's `apply`, its
   thread included), `finish` (indexes, WAL, fsync, the swap).
4. Raw: the baseline of the write side: the rows the split's batches write (views, their
   words, messages, the checkpoint) inserted with `executemany`, one transaction per batch,
   into a new file with the same schema, `synchronous=OFF`; no upserts, version guards or
   counters. `rebuild_vs_raw` compares the whole rebuild (read and fold included) with it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ticketing_contracts.stored import envelope_metadata
from ticketing_eventstore.ports import EventBatch
from ticketing_eventstore.sqlite import SqliteEventStore
from ticketing_feed.store import StoreFeed, to_event_in
from ticketing_query.adapters.readmodel_sqlite import SqliteReadModel
from ticketing_query.adapters.readmodel_sqlite_schema import (
    MESSAGE_COLUMNS,
    MESSAGE_WIDTH,
    SCHEMA,
    VIEW_COLUMNS,
    VIEW_WIDTH,
    message_row,
    view_row,
)
from ticketing_query.application.ports import ProjectionBatch
from ticketing_query.application.projector import fold_batch
from ticketing_query.application.rebuild import progress_line, rebuild

TITLES = ("خطا در ارسال پیامک انبوه", "فاکتور اسفند صادر نشده", "درخواست بازگشت وجه")
BODIES = (
    "سلام، از دیروز پیامک‌های انبوه ارسال نمی‌شوند. لطفاً بررسی کنید.",
    "پرداخت ناموفق بود ولی مبلغ از حسابم کسر شد؛ شماره‌ی سفارش ۴۵۸۲۱",
    "مشکل برطرف شد، لطفاً دوباره امتحان کنید.",
    "ممنون از پیگیری شما",
)
DEPARTMENTS = ("technical", "finance", "refunds", "upgrade")


def _conversation(rng: random.Random, n: int) -> tuple[str, list[tuple[str, dict[str, Any], str]]]:
    brand, customer = ("acme", "globex")[n % 2], f"cust-{n % 3000}"
    ticket = uuid.uuid4().hex
    steps: list[tuple[str, dict[str, Any], str]] = [
        (
            "TicketOpened",
            {
                "ticket_id": ticket,
                "tracking_code": f"{10_000_000 + n}",
                "customer_id": customer,
                "title": rng.choice(TITLES),
                "department": DEPARTMENTS[n % 4],
                "request_type": "technical",
                "priority": "normal",
                "message_id": uuid.uuid4().hex,
                "body": rng.choice(BODIES),
                "attachment_ids": [],
                "opened_by_side": "customer",
            },
            customer,
        )
    ]
    for _ in range(9):
        kind = rng.randrange(10)
        if kind < 5:
            side = "customer" if kind < 2 else "agent"
            data = {
                "message_id": uuid.uuid4().hex,
                "body": rng.choice(BODIES),
                "attachment_ids": [],
                "internal": kind == 4,
                "follow_up": kind == 3,
                "author_side": side,
            }
            steps.append(("MessagePosted", data, customer if side == "customer" else "agent-1"))
        elif kind < 7:
            steps.append(("AgentViewed" if kind == 5 else "CustomerRead", {}, "agent-1"))
        elif kind == 7:
            to = rng.choice(DEPARTMENTS)
            steps.append(("TicketTransferred", {"from_department": "x", "to_department": to}, "a"))
        else:
            steps.append(("TicketClosed" if kind == 8 else "TicketReopened", {"reason": None}, "a"))
    return f"ticket-{brand}-{ticket}", steps


async def fill(path: Path, tickets: int, seed: int = 7) -> int:
    await (await SqliteEventStore(path).open()).close()  # the schema
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for group in range(0, tickets, 500):
        talks = [_conversation(rng, n) for n in range(group, min(group + 500, tickets))]
        for step in range(10):
            for stream, steps in talks:
                event_type, data, actor = steps[step]
                at = start + timedelta(seconds=len(rows))
                meta = envelope_metadata(
                    schema_version=1, occurred_at=at, brand_id=stream.split("-")[1],
                    actor_id=actor, actor_role="customer", correlation_id="bench",
                    causation_id=None,
                )  # fmt: skip
                data = {k: v for k, v in data.items() if event_type != "TicketReopened"}
                rows.append((stream, step + 1, str(uuid.uuid4()), event_type, json.dumps(data,
                            ensure_ascii=False), json.dumps(meta), at.isoformat()))  # fmt: skip
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA synchronous=OFF")
        connection.executemany(
            "INSERT INTO events (stream_id, stream_version, event_id, event_type, data, metadata,"
            " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def _cpu_ms(pid: int | None = None) -> float:
    """The CPU time (user + system, every thread) of a process so far, in ms."""
    fields = Path(f"/proc/{pid or 'self'}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _rss_kib() -> dict[str, int]:
    status = Path("/proc/self/status").read_text().splitlines()
    found = {line.split(":")[0]: int(line.split()[1]) for line in status if line.startswith("Vm")}
    return {"rss_kib": found.get("VmRSS", 0), "hwm_kib": found.get("VmHWM", 0)}


async def timed_rebuild(directory: Path, events: Path, batch: int) -> dict[str, Any]:
    """`rebuild` from `events` into a fresh `query.db`: wall time, CPU time, sizes."""
    async with SqliteEventStore(events) as store:
        read_model = await SqliteReadModel(directory / "query.db").open()
        try:
            cpu, started = _cpu_ms(), time.perf_counter()
            reached = await rebuild(
                read_model, StoreFeed(store), progress=progress_line(), batch_size=batch
            )
            elapsed, cpu_ms = time.perf_counter() - started, _cpu_ms() - cpu
        finally:
            await read_model.close()
    return {
        "events": reached,
        "seconds": round(elapsed, 3),
        "events_per_s": round(reached / elapsed),
        "cpu_s": round(cpu_ms / 1000, 3),
        "events_per_cpu_s": round(reached / (cpu_ms / 1000)),
        "read_model_bytes": (directory / "query.db").stat().st_size,
        **_rss_kib(),
    }


async def split(events: Path, directory: Path, batch: int) -> dict[str, Any]:
    """The rebuild's work one step at a time over the whole history, each step's CPU time per
    event: read (the store's scan, JSON decoding included), parse (`to_event_in`), fold
    (`fold_batch`), write (the SQLite rebuild target's `apply`, its thread included)."""
    per: dict[str, float] = {}
    async with SqliteEventStore(events) as store:
        head = await store.head_position()
        cpu = _cpu_ms()
        records: list[EventBatch] = []
        async for stored in store.subscribe_batches(after=0, stream_prefix="ticket-", limit=batch):
            records.append(stored)
            if stored.reached >= head:
                break
        per["read"], cpu = _cpu_ms() - cpu, _cpu_ms()
        parsed = [[e for r in b.events if (e := to_event_in(r)) is not None] for b in records]
        per["parse"], cpu = _cpu_ms() - cpu, _cpu_ms()
        views: dict[tuple[str, str], Any] = {}
        folded = []
        for stored, events_in in zip(records, parsed, strict=True):
            changed, messages = fold_batch(views, events_in)
            folded.append(ProjectionBatch(changed, messages, stored.reached))
        per["fold"] = _cpu_ms() - cpu
    read_model = await SqliteReadModel(directory / "split.db").open()
    try:
        target = await read_model.rebuilding()
        cpu = _cpu_ms()
        for projection in folded:
            await target.apply(projection)
        per["write"] = _cpu_ms() - cpu
        cpu = _cpu_ms()
        await target.finish()
        per["finish"] = _cpu_ms() - cpu
    finally:
        await read_model.close()
    raw = await asyncio.to_thread(raw_writes, directory / "raw.db", folded)
    count = sum(len(b) for b in parsed)
    return {
        "events": count,
        "cpu_us_per_event": {k: round(v * 1000 / count, 1) for k, v in per.items()},
        "cpu_us_per_event_total": round(sum(per.values()) * 1000 / count, 1),
        "raw": raw,
    }


def raw_writes(path: Path, batches: list[ProjectionBatch]) -> dict[str, Any]:
    """The baseline: the rows the rebuild writes (each batch's views, their words, its messages,
    the checkpoint) inserted with `executemany`, one transaction per batch, into a new file with
    the same schema (indexes created first, as a live read model has them), `synchronous=OFF`:
    the engine's own cost of writing that data, without the read model's upserts, version
    guards and counters."""
    rows = [
        (
            [view_row(v) for v in b.views],
            [(v.brand_id, v.ticket_id, " ".join(v.public_words), " ".join(v.internal_words))
             for v in b.views],
            [message_row(m) for m in b.messages],
            b.position,
        )
        for b in batches
    ]  # fmt: skip
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA journal_mode=MEMORY")
        connection.execute("PRAGMA cache_size=-65536")
        connection.executescript(SCHEMA)
        started, cpu = time.perf_counter(), _cpu_ms()
        events = batches[-1].position if batches else 0
        for views, words, messages, position in rows:
            connection.execute("BEGIN")
            connection.executemany(
                f"INSERT OR REPLACE INTO tickets ({VIEW_COLUMNS}, code, public_count,"
                f" internal_count) VALUES ({', '.join('?' * (VIEW_WIDTH + 3))})",
                views,
            )
            connection.executemany(
                "INSERT OR REPLACE INTO ticket_words (rowid, public_words, internal_words)"
                " SELECT row_id, ?, ? FROM tickets WHERE brand_id = ? AND ticket_id = ?",
                [(pw, iw, b, t) for b, t, pw, iw in words],
            )
            connection.executemany(
                f"INSERT INTO messages ({MESSAGE_COLUMNS}) VALUES"
                f" ({', '.join('?' * MESSAGE_WIDTH)})",
                messages,
            )
            connection.execute(
                "INSERT OR REPLACE INTO checkpoint (id, position) VALUES (1, ?)", (position,)
            )
            connection.execute("COMMIT")
        elapsed, cpu_ms = time.perf_counter() - started, _cpu_ms() - cpu
    finally:
        connection.close()
    return {
        "events": events,
        "seconds": round(elapsed, 3),
        "events_per_s": round(events / elapsed),
        "cpu_s": round(cpu_ms / 1000, 3),
    }


async def run(tickets: int = 20_000, batch: int = 5000) -> dict[str, Any]:
    """`bench.run`'s entry: fill, rebuild, then the split and the raw baseline."""
    base = os.environ.get("BENCH_TMPDIR")
    with tempfile.TemporaryDirectory(dir=base) as name:
        directory = Path(name)
        events = directory / "events.db"
        started = time.perf_counter()
        count = await fill(events, tickets)
        filled_s = time.perf_counter() - started
        rebuilt = await timed_rebuild(directory, events, batch)
        parts = await split(events, directory, batch)
        store_bytes = events.stat().st_size
    raw = parts.pop("raw")
    return {
        "events": count,
        "tickets": tickets,
        "batch": batch,
        "fill_seconds": round(filled_s, 1),
        "rebuild": rebuilt,
        "split": parts,
        "raw_sqlite": raw,
        "rebuild_vs_raw": round(rebuilt["events_per_s"] / raw["events_per_s"], 3),
        "bytes_per_event": {
            "store": round(store_bytes / count),
            "read_model": round(rebuilt["read_model_bytes"] / count),
        },
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--profile", action="store_true", help="cProfile the rebuild alone")
    args = parser.parse_args()
    if not args.profile:
        print(json.dumps(await run(args.tickets, args.batch), indent=2))
        return
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMPDIR")) as directory:
        events = Path(directory) / "events.db"
        await fill(events, args.tickets)
        profiler = cProfile.Profile()
        profiler.enable()
        print(await timed_rebuild(Path(directory), events, args.batch))
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    asyncio.run(main())
