"""`rebuild` into the SQLite read model: made in a new file, swapped in whole at the end.

The old read model must survive anything that stops a rebuild before its end (an error in the
history, a crash that leaves a half-made file), and what is swapped in must be what a fresh
fold gives, indexes included, whatever the batch size and however few views are kept in memory.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ticketing_contracts.catalog import BrandCatalogs
from ticketing_eventstore.memory import InMemoryEventStore
from ticketing_feed import EventFeed, FeedBatch
from ticketing_feed.store import StoreFeed
from ticketing_model import Scope
from ticketing_query.adapters.readmodel_memory import InMemoryReadModel
from ticketing_query.adapters.readmodel_sqlite import SqliteReadModel
from ticketing_query.application.ports import ProjectionBatch, ReadModel
from ticketing_query.application.projector import RecentViews
from ticketing_query.application.rebuild import rebuild
from ticketing_tickets.adapters.attachments_unavailable import NoAttachments
from ticketing_tickets.application.commands import (
    Caller,
    CloseTicket,
    OpenTicket,
    PostMessage,
    ReadTicket,
)
from ticketing_tickets.application.handlers import TicketHandlers
from ticketing_tickets.bootstrap import random_digits
from ticketing_tickets.domain import Actor, Role

NOW = datetime(2025, 6, 20, 10, 35, tzinfo=UTC)
AGENT = Caller("acme", Actor("agent-1", Role.AGENT), correlation_id="req-2")
ADMIN = Scope("acme", "agent")
TITLES = ("خطا در ارسال پیامک انبوه", "فاکتور اسفند صادر نشده", "درخواست بازگشت وجه")


def customer(n: int) -> Caller:
    return Caller("acme", Actor(f"cust-{n % 3}", Role.CUSTOMER), correlation_id=f"req-{n}")


async def helpdesk() -> tuple[InMemoryEventStore, list[str]]:
    """Six tickets whose conversations interleave, so each spans many small batches."""
    store = InMemoryEventStore()
    handlers = TicketHandlers(
        store=store,
        catalogs=BrandCatalogs(),
        attachments=NoAttachments(),
        clock=lambda: NOW,
        new_id=lambda: uuid.uuid4().hex,
        random_digits=random_digits,
    )
    opened = [
        await handlers.open_ticket(
            customer(n),
            OpenTicket(
                title=TITLES[n % 3],
                department=("technical", "finance")[n % 2],
                priority="normal",
                body="سلام، لطفاً پیگیری کنید؛ شماره‌ی سفارش ۴۵۸۲۱",
            ),
        )
        for n in range(6)
    ]
    for ticket in opened:
        await handlers.read_ticket(AGENT, ReadTicket(ticket.ticket_id))
        await handlers.post_message(AGENT, PostMessage(ticket.ticket_id, "پیش فاکتور پیوست شد."))
    for n, ticket in enumerate(opened):
        await handlers.post_message(customer(n), PostMessage(ticket.ticket_id, "ممنون از شما"))
        if n % 2:
            await handlers.close_ticket(AGENT, CloseTicket(ticket.ticket_id, reason="رفع شد"))
    return store, [ticket.ticket_id for ticket in opened]


async def everything(read_model: ReadModel, ticket_ids: list[str]) -> object:
    """What the read model answers about each ticket, the brand's counters, the checkpoint."""
    views = {t: await read_model.ticket_with_messages("acme", t) for t in ticket_ids}
    return views, await read_model.counters(ADMIN), await read_model.checkpoint()


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def index_names(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        return {name for (name,) in rows}


@pytest.mark.parametrize(("batch_size", "recent_views"), [(1, 1), (4, 2), (5000, 5000)])
async def test_a_rebuild_into_a_new_file_answers_as_a_fresh_fold_does(
    tmp_path: Path, batch_size: int, recent_views: int
) -> None:
    store, tickets = await helpdesk()
    expected = InMemoryReadModel()
    await rebuild(expected, StoreFeed(store), progress=lambda *_: None)
    read_model = SqliteReadModel(tmp_path / "query.db")
    await read_model.apply(ProjectionBatch([], [], 999))  # left over from an older history
    try:
        reached = await rebuild(
            read_model,
            StoreFeed(store),
            progress=lambda *_: None,
            batch_size=batch_size,
            recent_views=recent_views,
        )
        assert reached == await store.head_position()
        assert await everything(read_model, tickets) == await everything(expected, tickets)
    finally:
        await read_model.close()
    fresh = SqliteReadModel(tmp_path / "fresh.db")
    await (await fresh.open()).close()
    assert index_names(tmp_path / "query.db") == index_names(tmp_path / "fresh.db")
    with sqlite3.connect(tmp_path / "query.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert not (tmp_path / "query.db.rebuild").exists()


class BrokenFeed:
    """The store's feed, failing after `good` batches (a bad disk, a bug in a fold)."""

    def __init__(self, feed: EventFeed, good: int) -> None:
        self._feed, self._good = feed, good

    async def batches(self, *, after: int, max_events: int = 1000) -> AsyncIterator[FeedBatch]:
        given = 0
        async for batch in self._feed.batches(after=after, max_events=max_events):
            if given == self._good:
                raise OSError("disk I/O error")
            given += 1
            yield batch

    async def head(self) -> int:
        return await self._feed.head()


async def test_a_rebuild_that_fails_half_way_leaves_the_old_read_model_serving(
    tmp_path: Path,
) -> None:
    store, tickets = await helpdesk()
    read_model = SqliteReadModel(tmp_path / "query.db")
    try:
        await rebuild(read_model, StoreFeed(store), progress=lambda *_: None)
        before = await everything(read_model, tickets)
        with pytest.raises(OSError, match="disk I/O error"):
            await rebuild(
                read_model,
                BrokenFeed(StoreFeed(store), good=3),
                progress=lambda *_: None,
                batch_size=4,
            )
        assert await everything(read_model, tickets) == before
    finally:
        await read_model.close()
    assert not (tmp_path / "query.db.rebuild").exists()
    reopened = SqliteReadModel(tmp_path / "query.db")
    try:
        assert await everything(reopened, tickets) == before
    finally:
        await reopened.close()


async def test_a_half_made_file_left_by_a_crashed_rebuild_is_thrown_away_by_the_next(
    tmp_path: Path,
) -> None:
    store, _ = await helpdesk()
    (tmp_path / "query.db.rebuild").write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)
    (tmp_path / "query.db.rebuild-journal").write_bytes(b"\x00" * 512)
    read_model = SqliteReadModel(tmp_path / "query.db")
    try:
        await rebuild(read_model, StoreFeed(store), progress=lambda *_: None, batch_size=3)
        assert (await read_model.counters(ADMIN)).total == 6
    finally:
        await read_model.close()
    assert files_in(tmp_path) == ["query.db"]


def cache_kib(connection: sqlite3.Connection) -> int:
    pages_or_kib = connection.execute("PRAGMA cache_size").fetchone()[0]
    assert pages_or_kib < 0, "a cache given in pages"
    return int(-pages_or_kib)


async def test_the_serving_connections_keep_a_few_mib_of_pages_not_64_each(
    tmp_path: Path,
) -> None:
    """Each connection's page cache fills up as the file grows and stays resident: at 64 MiB
    each, the writer and two readers held ~200 MiB of the server at 1M events."""
    read_model = await SqliteReadModel(tmp_path / "query.db", readers=2).open()
    try:
        writer = await read_model._write(cache_kib)
        readers = [await read_model._read(cache_kib) for _ in range(4)]
    finally:
        await read_model.close()
    assert writer <= 8 * 1024
    assert max(readers) <= 4 * 1024
    assert writer + 2 * max(readers) <= 16 * 1024


async def test_the_projector_keeps_the_last_two_thousand_views_it_wrote_not_ten_thousand() -> None:
    """~5 KB a view with its words: 10,000 kept views were ~50 MB of the server's memory."""
    store, tickets = await helpdesk()
    model = InMemoryReadModel()
    await rebuild(model, StoreFeed(store), progress=lambda *_: None)
    view = await model.get("acme", tickets[0])
    assert view is not None
    recent = RecentViews()
    recent.put(dataclasses.replace(view, ticket_id=f"{n:032x}") for n in range(3000))
    known, unknown = recent.take(("acme", f"{n:032x}") for n in range(3000))
    assert len(known) == 2000
    assert unknown == [("acme", f"{n:032x}") for n in range(1000)]
