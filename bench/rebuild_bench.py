"""How fast the SQLite read model is rebuilt from a SQLite event store.

    .venv/bin/python -m bench.rebuild_bench [--tickets 20000] [--profile]

Writes ~10 events per ticket (opening, replies from both sides, notes, reads, transfers,
closes; conversations interleaved 500 at a time, as a busy helpdesk would) straight into a
fresh events.db in a temporary directory, then times `rebuild` into a fresh query.db.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
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
from ticketing_eventstore.sqlite import SqliteEventStore
from ticketing_feed.store import StoreFeed
from ticketing_query.adapters.readmodel_sqlite import SqliteReadModel
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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        events = Path(directory) / "events.db"
        count = await fill(events, args.tickets)
        async with SqliteEventStore(events) as store:
            read_model = await SqliteReadModel(Path(directory) / "query.db").open()
            profiler = cProfile.Profile() if args.profile else None
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            await rebuild(
                read_model, StoreFeed(store), progress=progress_line(), batch_size=args.batch
            )
            if profiler:
                profiler.disable()
            elapsed = time.perf_counter() - started
            await read_model.close()
        print(f"{count:,} events rebuilt in {elapsed:.2f} s: {count / elapsed:,.0f} events/s")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    asyncio.run(main())
