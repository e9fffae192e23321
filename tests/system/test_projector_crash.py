"""The SQLite read model survives `kill -9` of the projector: after restarts it equals a rebuild.

The store is filled by the tickets service's own handlers (random but valid conversations over
two brands, five customers, three departments). A child process projects it (SqliteEventStore →
StoreFeed → SqliteReadModel) in small batches and is killed at random moments, then restarted,
until it has caught up. Every view, the counters of many scopes and every ticket's messages must
then equal those of a fresh rebuild into another file.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ticketing_contracts.catalog import BrandCatalogs
from ticketing_eventstore.sqlite import SqliteEventStore
from ticketing_feed.store import StoreFeed
from ticketing_model import Scope
from ticketing_query.adapters.readmodel_sqlite import SqliteReadModel
from ticketing_query.application.ports import Cursor, ReadModel, TicketFilter
from ticketing_query.application.rebuild import rebuild
from ticketing_tickets.adapters.attachments_unavailable import NoAttachments
from ticketing_tickets.application.commands import (
    Caller,
    ChangeTicket,
    CloseTicket,
    OpenTicket,
    PostMessage,
    ReadTicket,
    ReopenTicket,
)
from ticketing_tickets.application.handlers import TicketHandlers
from ticketing_tickets.bootstrap import random_digits
from ticketing_tickets.domain import Actor, Role

pytestmark = pytest.mark.slow

BRANDS = ("acme", "globex")
CUSTOMERS = tuple(f"cust-{n}" for n in range(5))
DEPARTMENTS = ("technical", "finance", "refunds")
TITLES = ("خطا در ارسال پیامک انبوه", "فاکتور اسفند صادر نشده", "درخواست بازگشت وجه")
BODIES = ("سلام، پنل کار نمی‌کند", "پرداخت ناموفق بود؛ شماره‌ی سفارش ۴۵۸۲۱", "ممنون", "بررسی شد")

CHILD = """
import asyncio, sys
from ticketing_eventstore.sqlite import SqliteEventStore
from ticketing_feed.store import StoreFeed
from ticketing_query.adapters.readmodel_sqlite import SqliteReadModel
from ticketing_feed.subscription import Subscription
from ticketing_query.application.projector import Projector

class Printing:  # the projector, printing the position of each batch it has applied

    def __init__(self, projector):
        self.projector = projector

    async def checkpoint(self):
        return await self.projector.checkpoint()

    async def apply(self, batch):
        await self.projector.apply(batch)
        print(batch.reached, flush=True)

async def main(events_path, query_path):
    store = await SqliteEventStore(events_path).open()
    read_model = await SqliteReadModel(query_path).open()
    head = await store.head_position()
    handler = Printing(Projector(read_model=read_model))
    running = Subscription(name="projector", feed=StoreFeed(store), handler=handler, batch_size=40)
    running.start()
    await running.wait_for(head, timeout=600)
    await running.stop()
    await read_model.close()
    await store.close()
    print("caught-up", flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def _fill(path: Path, tickets: int, seed: int) -> None:
    rng = random.Random(seed)
    clock = iter(datetime(2025, 6, 20, tzinfo=UTC) + timedelta(seconds=n) for n in range(10**6))
    store = await SqliteEventStore(path, synchronous="OFF").open()
    handlers = TicketHandlers(
        store=store,
        catalogs=BrandCatalogs(),
        attachments=NoAttachments(),
        clock=lambda: next(clock),
        new_id=lambda: uuid.uuid4().hex,
        random_digits=random_digits,
    )

    async def conversation(n: int) -> None:
        brand, customer = BRANDS[n % 2], CUSTOMERS[n % 5]
        me = Caller(brand, Actor(customer, Role.CUSTOMER), correlation_id=f"req-{n}")
        agent = Caller(brand, Actor("agent-1", Role.AGENT), correlation_id=f"req-{n}")
        opened = await handlers.open_ticket(
            me,
            OpenTicket(rng.choice(TITLES), DEPARTMENTS[n % 3], "normal", rng.choice(BODIES)),
        )
        ticket = opened.ticket_id
        for _ in range(rng.randint(3, 12)):
            match rng.randrange(9):
                case 0 | 1:
                    await handlers.post_message(me, PostMessage(ticket, rng.choice(BODIES)))
                case 2 | 3:
                    follow_up = rng.random() < 0.5
                    reply = PostMessage(ticket, rng.choice(BODIES), follow_up=follow_up)
                    await handlers.post_message(agent, reply)
                case 4:
                    note = PostMessage(ticket, "یادداشت داخلی برای تیم مالی", internal=True)
                    await handlers.post_message(agent, note)
                case 5:
                    await handlers.read_ticket(rng.choice((me, agent)), ReadTicket(ticket))
                case 6:
                    await handlers.close_ticket(agent, CloseTicket(ticket))
                case 7:
                    await handlers.reopen_ticket(me, ReopenTicket(ticket))
                case _:
                    change = ChangeTicket(
                        ticket,
                        department=rng.choice(DEPARTMENTS),
                        priority=rng.choice(("low", "high", "urgent")),
                        assignee_id=rng.choice((None, "agent-1", "agent-2")),
                    )
                    await handlers.change_ticket(agent, change)

    await asyncio.gather(*(conversation(n) for n in range(tickets)))
    await store.close()


def _run_child(events: Path, query: Path, kill_after: int | None) -> bool:
    """Project in a child; kill -9 it once it has applied `kill_after` more batches.
    True when it caught up by itself."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(events), str(query)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    for batches, line in enumerate(child.stdout, start=1):
        if line.strip() == "caught-up":
            break
        if kill_after is not None and batches >= kill_after:
            time.sleep(random.uniform(0, 0.01))  # mid-batch, or between two
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            return False
    child.wait(timeout=20)
    assert child.returncode == 0, child.stderr.read() if child.stderr else ""
    return True


async def _everything(read_model: ReadModel) -> dict[str, object]:
    views, messages, counters = {}, {}, {}
    for brand in BRANDS:
        after: Cursor | None = None
        while page := await read_model.list(
            Scope(brand, "agent"), TicketFilter(), limit=100, after=after
        ):
            for view in page:
                views[(brand, view.ticket_id)] = view
                stored = await read_model.messages(brand, view.ticket_id)
                messages[(brand, view.ticket_id)] = [m.message_id for m in stored]
            after = Cursor(page[-1].last_activity_at, page[-1].ticket_id)
        scopes = [
            Scope(brand, "agent"),
            Scope(brand, "customer"),
            *(Scope(brand, "agent", departments=frozenset({d})) for d in DEPARTMENTS),
            *(Scope(brand, "customer", customer_ids=frozenset({c})) for c in CUSTOMERS),
        ]
        for scope in scopes:
            counters[scope] = await read_model.counters(scope)
    return {"views": views, "messages": messages, "counters": counters}


async def _compare(events: Path, crashed: Path, fresh: Path) -> None:
    async with SqliteEventStore(events) as store:
        rebuilt = await SqliteReadModel(fresh).open()
        survivor = await SqliteReadModel(crashed).open()
        try:
            await rebuild(rebuilt, StoreFeed(store), progress=lambda *_: None)
            expected, actual = await _everything(rebuilt), await _everything(survivor)
            assert await survivor.checkpoint() == await store.head_position()
        finally:
            await rebuilt.close()
            await survivor.close()
    assert len(expected["views"]) == 300  # type: ignore[arg-type]
    assert actual["views"] == expected["views"]
    assert actual["messages"] == expected["messages"]
    assert actual["counters"] == expected["counters"]


def test_a_projector_killed_again_and_again_ends_equal_to_a_fresh_rebuild(tmp_path: Path) -> None:
    started = time.monotonic()
    events, crashed = tmp_path / "events.db", tmp_path / "query.db"
    seed = random.randrange(2**32)
    asyncio.run(_fill(events, tickets=300, seed=seed))
    rng = random.Random(seed)
    kills = 0
    for _ in range(5):
        if _run_child(events, crashed, kill_after=rng.randint(1, 12)):
            break
        kills += 1
    assert _run_child(events, crashed, kill_after=None)
    assert kills >= 3, f"the child caught up too early to be killed (seed {seed})"
    asyncio.run(_compare(events, crashed, tmp_path / "rebuilt.db"))
    assert time.monotonic() - started < 30
