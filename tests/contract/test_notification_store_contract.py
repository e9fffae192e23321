"""One contract for every notification store adapter (memory, SQLite)."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ticketing_model import AgentState, TicketFacts
from ticketing_notifications.adapters.store_memory import InMemoryNotificationStore
from ticketing_notifications.adapters.store_sqlite import SqliteNotificationStore
from ticketing_notifications.application.ports import (
    Claim,
    Consumed,
    Item,
    Job,
    NotificationStore,
    Preferences,
    Viewer,
)
from ticketing_notifications.domain.rules import CUSTOMER, DEPARTMENT

T0 = datetime(2025, 6, 20, 7, 5, tzinfo=UTC)
STORES: dict[str, Callable[[Path], NotificationStore]] = {
    "memory": lambda _: InMemoryNotificationStore(),
    "sqlite": lambda d: SqliteNotificationStore(d / "notifications.db"),
}


@pytest.fixture(params=list(STORES))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[NotificationStore]:
    made = STORES[request.param](tmp_path)
    yield made
    await made.close()


def _item(
    n: int, *, audience: str = CUSTOMER, recipient: str = "cust-1", brand: str = "acme"
) -> Item:
    return Item(
        notification_id=f"{n:032x}",
        event_id=f"{brand}/t{n}/1",
        brand_id=brand,
        audience=audience,
        recipient=recipient,
        ticket_id=f"{n:032x}",
        tracking_code=f"8783149{n}",
        kind="agent_replied",
        text=f"پشتیبانی به تیکت 8783149{n} پاسخ داد.",
        created_at=T0 + timedelta(minutes=n),
    )


def _job(channel: str = "email", brand: str = "acme") -> Job:
    return Job(
        event_id=f"{brand}/t1/2",
        channel=channel,
        recipient="cust-1",
        address="sara@example.ir",
        brand_id=brand,
        ticket_id="a" * 32,
        tracking_code="87831491",
        kind="agent_replied",
        occurred_at=T0,
        next_at=T0,
    )


FACTS = TicketFacts(
    brand_id="acme",
    ticket_id="a" * 32,
    customer_id="cust-1",
    department="finance",
    tracking_code="87831491",
    title="درخواست پیش فاکتور",
    priority="normal",
    version=1,
)
SARA = Viewer("acme", "cust-1", CUSTOMER, frozenset({"cust-1"}))


async def test_a_new_store_has_consumed_nothing(store: NotificationStore) -> None:
    assert await store.checkpoint() == 0
    assert await store.facts([("acme", "a" * 32)]) == {}
    assert await store.next_due() is None


async def test_record_keeps_facts_items_jobs_and_the_checkpoint(store: NotificationStore) -> None:
    added = await store.record(Consumed([FACTS], [_item(1)], [_job()], 7))
    assert added == [_item(1).notification_id]
    assert await store.checkpoint() == 7
    assert await store.facts([("acme", "a" * 32)]) == {("acme", "a" * 32): FACTS}
    assert [j.key for j in await store.due_jobs(T0, limit=5)] == [_job().key]


async def test_recording_the_same_items_and_jobs_again_adds_nothing(
    store: NotificationStore,
) -> None:
    await store.record(Consumed([FACTS], [_item(1)], [_job()], 7))
    assert await store.record(Consumed([FACTS], [_item(1)], [_job()], 7)) == []
    assert len(await store.items(SARA, limit=10)) == 1
    assert len(await store.due_jobs(T0, limit=10)) == 1


async def test_older_facts_never_overwrite_newer_ones(store: NotificationStore) -> None:
    newer = dataclasses.replace(FACTS, department="refunds", version=3)
    await store.record(Consumed([newer], [], [], 3))
    await store.record(Consumed([FACTS], [], [], 3))
    assert (await store.facts([("acme", "a" * 32)]))[("acme", "a" * 32)].department == "refunds"


async def test_items_page_newest_first_and_stream_oldest_first(store: NotificationStore) -> None:
    await store.record(Consumed([], [_item(n) for n in range(1, 6)], [], 5))
    newest = await store.items(SARA, limit=2)
    assert [i.notification_id for i in newest] == [
        _item(5).notification_id,
        _item(4).notification_id,
    ]
    older = await store.items(SARA, limit=10, before=newest[-1].seq)
    assert [i.notification_id for i in older] == [_item(n).notification_id for n in (3, 2, 1)]
    later = await store.items(SARA, limit=10, after=older[0].seq)
    assert [i.notification_id for i in later] == [_item(n).notification_id for n in (4, 5)]


async def test_nobody_sees_another_customers_or_brands_items(store: NotificationStore) -> None:
    await store.record(
        Consumed([], [_item(1), _item(2, recipient="cust-2"), _item(3, brand="other")], [], 3)
    )
    assert [i.notification_id for i in await store.items(SARA, limit=10)] == [
        _item(1).notification_id
    ]
    assert await store.find(SARA, _item(2).notification_id) is None
    assert await store.find(SARA, _item(3).notification_id) is None


async def test_department_items_carry_read_flags_per_agent(store: NotificationStore) -> None:
    await store.record(Consumed([], [_item(1, audience=DEPARTMENT, recipient="finance")], [], 1))
    ali = Viewer("acme", "agent-ali", DEPARTMENT, frozenset({"finance"}))
    reza = Viewer("acme", "agent-reza", DEPARTMENT, None)
    technical = Viewer("acme", "agent-mina", DEPARTMENT, frozenset({"technical"}))
    await store.mark_read(ali, [_item(1).notification_id])
    assert [i.read for i in await store.items(ali, limit=5)] == [True]
    assert [i.read for i in await store.items(reza, limit=5)] == [False]
    assert await store.items(technical, limit=5) == []
    await store.mark_read(reza, None)
    assert [i.read for i in await store.items(reza, limit=5)] == [True]


async def test_preferences_are_kept_per_brand_and_customer(store: NotificationStore) -> None:
    wants = Preferences(email=True, sms=False, in_app=True, email_address="sara@example.ir")
    await store.save_preferences("acme", "cust-1", wants)
    assert await store.preferences("acme", "cust-1") == wants
    assert await store.preferences("other", "cust-1") is None


async def test_a_claim_is_taken_once_and_a_confirmed_send_is_never_claimed_again(
    store: NotificationStore,
) -> None:
    await store.record(Consumed([], [], [_job()], 1))
    assert await store.claim(_job(), owner="run-1", now=T0) is Claim.CLAIMED
    assert await store.claim(_job(), owner="run-1", now=T0) is Claim.UNCONFIRMED
    await store.confirm(_job())
    assert await store.claim(_job(), owner="run-2", now=T0) is Claim.SENT
    assert await store.next_due() is None


async def test_a_failed_send_is_released_and_scheduled_again(store: NotificationStore) -> None:
    await store.record(Consumed([], [], [_job()], 1))
    await store.claim(_job(), owner="run-1", now=T0)
    later = T0 + timedelta(seconds=4)
    await store.retry_later(_job(), error="ConnectionError", next_at=later)
    assert await store.due_jobs(T0, limit=5) == []
    [job] = await store.due_jobs(later, limit=5)
    assert (job.attempts, job.last_error) == (1, "ConnectionError")
    assert await store.claim(job, owner="run-1", now=later) is Claim.CLAIMED


async def test_dead_letters_keep_the_reason_per_brand(store: NotificationStore) -> None:
    await store.record(Consumed([], [], [_job()], 1))
    await store.claim(_job(), owner="run-1", now=T0)
    await store.dead_letter(_job(), reason="5 attempts failed", now=T0)
    [dead] = await store.dead_letters("acme", limit=5)
    assert (dead.reason, dead.job.address) == ("5 attempts failed", "sara@example.ir")
    assert await store.dead_letters("other", limit=5) == []
    assert await store.next_due() is None


async def test_unconfirmed_claims_are_listed_except_those_under_way(
    store: NotificationStore,
) -> None:
    await store.record(Consumed([], [], [_job(), _job("sms")], 1))
    await store.claim(_job(), owner="run-1", now=T0)
    await store.claim(_job("sms"), owner="run-2", now=T0)
    left = await store.unconfirmed("acme", except_owner="run-2")
    assert [u.channel for u in left] == ["email"]
    assert await store.unconfirmed("other", except_owner="run-2") == []


async def test_sqlite_keeps_everything_across_a_reopen(tmp_path: Path) -> None:
    first = SqliteNotificationStore(tmp_path / "n.db")
    await first.record(Consumed([FACTS], [_item(1)], [_job()], 9))
    await first.claim(_job(), owner="run-1", now=T0)
    await first.close()
    again = SqliteNotificationStore(tmp_path / "n.db")
    assert await again.checkpoint() == 9
    assert len(await again.items(SARA, limit=5)) == 1
    assert await again.claim(_job(), owner="run-2", now=T0) is Claim.UNCONFIRMED
    await again.close()


async def test_unread_items_and_the_unread_count_are_per_reader(store: NotificationStore) -> None:
    items = [_item(n, audience=DEPARTMENT, recipient="finance") for n in (1, 2, 3)]
    await store.record(Consumed([], items, [], 3))
    ali = Viewer("acme", "agent-ali", DEPARTMENT, frozenset({"finance"}))
    reza = Viewer("acme", "agent-reza", DEPARTMENT, None)
    await store.mark_read(ali, [_item(2).notification_id])
    unread = await store.items(ali, limit=10, unread_only=True)
    assert [i.notification_id for i in unread] == [
        _item(3).notification_id,
        _item(1).notification_id,
    ]
    assert all(not i.read for i in unread)
    assert await store.unread_count(ali) == 2
    assert await store.unread_count(reza) == 3
    [newest] = await store.items(ali, limit=1, unread_only=True)
    page = await store.items(ali, limit=1, before=newest.seq, unread_only=True)
    assert [i.notification_id for i in page] == [_item(1).notification_id]
    await store.mark_read(ali, None)
    assert await store.items(ali, limit=10, unread_only=True) == []
    assert await store.unread_count(ali) == 0
    assert await store.unread_count(Viewer("other", "agent-ali", DEPARTMENT, None)) == 0


async def test_facts_keep_the_support_sides_state_and_jobs_their_title(
    store: NotificationStore,
) -> None:
    reviewing = dataclasses.replace(
        FACTS,
        agent_state=AgentState.REVIEWING,
        customer_read=True,
        closed=True,
        agent_unread=2,
        assignee_id="agent-ali",
    )
    titled = dataclasses.replace(_job(), title="درخواست پیش فاکتور")
    await store.record(Consumed([reviewing], [], [titled], 1))
    assert (await store.facts([("acme", "a" * 32)]))[("acme", "a" * 32)] == reviewing
    [due] = await store.due_jobs(T0, limit=5)
    assert due.title == "درخواست پیش فاکتور"
    await store.dead_letter(due, reason="550 mailbox unavailable", now=T0)
    [dead] = await store.dead_letters("acme", limit=5)
    assert dead.job.title == "درخواست پیش فاکتور"


async def test_an_sqlite_store_file_from_before_gets_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:  # the tables as the first release made them
        db.executescript(
            "CREATE TABLE tickets (brand_id TEXT NOT NULL, ticket_id TEXT NOT NULL,"
            " customer_id TEXT NOT NULL, department TEXT NOT NULL, tracking_code TEXT NOT NULL,"
            " title TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (brand_id, ticket_id))"
            " WITHOUT ROWID;"
            "INSERT INTO tickets VALUES ('acme', 'aaaa', 'cust-1', 'finance', '87831491',"
            " 'درخواست پیش فاکتور', 3);"
            "CREATE TABLE outbox (event_id TEXT NOT NULL, channel TEXT NOT NULL,"
            " recipient TEXT NOT NULL, address TEXT NOT NULL, brand_id TEXT NOT NULL,"
            " ticket_id TEXT NOT NULL, tracking_code TEXT NOT NULL, kind TEXT NOT NULL,"
            " occurred_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
            " next_at TEXT NOT NULL, last_error TEXT,"
            " PRIMARY KEY (event_id, channel, recipient)) WITHOUT ROWID;"
        )
    store = SqliteNotificationStore(path)
    try:
        [old] = (await store.facts([("acme", "aaaa")])).values()
        # Kept before the state was: taken as reviewing, so the next AgentViewed announces nothing.
        assert (old.version, old.agent_state) == (3, AgentState.REVIEWING)
        await store.record(Consumed([], [], [_job()], 1))
        [due] = await store.due_jobs(T0, limit=5)
        assert due.title == ""
    finally:
        await store.close()


async def test_a_departments_items_of_a_ticket_transferred_away_are_not_its_agents_any_more(
    store: NotificationStore,
) -> None:
    opened = _item(1, audience=DEPARTMENT, recipient="technical")
    stays = _item(2, audience=DEPARTMENT, recipient="technical")
    here = dataclasses.replace(FACTS, ticket_id=opened.ticket_id, department="technical")
    await store.record(Consumed([here], [opened, stays], [], 2))
    moved = dataclasses.replace(here, department="refunds", version=2)
    await store.record(Consumed([moved], [], [], 3))
    maryam = Viewer("acme", "agent-maryam", DEPARTMENT, frozenset({"technical"}))
    assert [i.notification_id for i in await store.items(maryam, limit=10)] == [
        stays.notification_id
    ]
    assert await store.unread_count(maryam) == 1
    assert await store.find(maryam, opened.notification_id) is None
    both = Viewer("acme", "agent-neda", DEPARTMENT, frozenset({"technical", "refunds"}))
    assert len(await store.items(both, limit=10)) == 2
    admin = Viewer("acme", "admin-neda", DEPARTMENT, None)
    assert await store.unread_count(admin) == 2
