"""What a distributed run must end with, read straight from where each process keeps its state.

- `caught_up`: every consumer has applied the event store's head (the query read model, the
  notifications store with its outbox drained, the attachments catalog).
- `read_model_matches_a_rebuild`: the query service's read model (MongoDB) holds exactly what
  folding the event store's history from scratch into a memory read model gives: every ticket
  view, every message list, the counters of many scopes.
- `notifications_exactly_once`: the in-app items are exactly those the consumer's rules give
  for the history (so once per event and recipient), and no email or SMS went out twice.
- `attachments_referenced`: the agent may download every receipt a ticket refers to, which the
  attachments service allows only once its consumer has seen the reference.
- `all_arrived`: all of it, in that order, each step bounded in time (a wedged engine fails the
  run instead of hanging it); the failure tests and bench/distributed_bench.py end with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from ticketing_attachments.bootstrap import catalog_from_url
from ticketing_eventstore import open_event_store
from ticketing_eventstore.ports import EventStore
from ticketing_feed import EventFeed
from ticketing_feed.store import StoreFeed
from ticketing_model import Scope
from ticketing_notifications.adapters.store_memory import InMemoryNotificationStore
from ticketing_notifications.application.consumer import Consumer
from ticketing_notifications.application.ports import Item, Job, NotificationStore, Viewer
from ticketing_notifications.application.render import Renderer
from ticketing_notifications.bootstrap import store_from_url
from ticketing_notifications.domain.rules import CUSTOMER, DEPARTMENT
from ticketing_query.adapters.readmodel_memory import InMemoryReadModel
from ticketing_query.application.ports import Cursor, ReadModel, TicketFilter
from ticketing_query.application.rebuild import rebuild
from ticketing_query.bootstrap import read_model_from_url

from ticketing.distributed import Supervisor, Topology

from .distributed_load import DEPARTMENTS, Load, People

BATCH = 5000
PROBE_SECONDS = 15.0
CATCH_UP_SECONDS = 180.0
COMPARE_SECONDS = 180.0


@dataclass(frozen=True)
class Places:
    """Where one topology's processes keep their state (from the environment it gives them)."""

    events_url: str
    read_model_url: str
    notifications_db: Path
    outbox: Path
    sms_log: Path
    attachments_db: Path
    link_base: str
    query_url: str

    @classmethod
    def of(cls, topology: Topology) -> Places:
        notifications = topology.environment("notifications")
        data = Path(notifications["TICKETING_DATA_DIR"])
        attachments = Path(topology.environment("attachments")["TICKETING_DATA_DIR"])
        return cls(
            events_url=topology.environment("tickets")["TICKETING_EVENT_STORE_URL"],
            read_model_url=topology.environment("query")["TICKETING_READ_MODEL_URL"],
            notifications_db=data / "notifications.db",  # NotificationsSettings' defaults
            outbox=data / "outbox",
            sms_log=data / "sms.log",
            attachments_db=attachments / "attachments.db",  # AttachmentsSettings' default
            link_base=notifications["TICKETING_PANEL_BASE_URL"],
            query_url=topology.process("query").url,
        )


@contextlib.asynccontextmanager
async def _event_store(places: Places) -> AsyncIterator[EventStore]:
    store = open_event_store(places.events_url)
    try:
        yield store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def _read_model(url: str) -> AsyncIterator[ReadModel]:
    read_model = read_model_from_url(url)
    try:
        yield read_model
    finally:
        await read_model.close()


@contextlib.asynccontextmanager
async def _notifications(places: Places) -> AsyncIterator[NotificationStore]:
    store = store_from_url(f"sqlite:///{places.notifications_db}")
    try:
        yield store
    finally:
        await store.close()


async def store_head(places: Places) -> int:
    async with _event_store(places) as store:
        return await store.head_position()


async def read_model_checkpoint(places: Places) -> int:
    async with _read_model(places.read_model_url) as read_model:
        return await asyncio.wait_for(read_model.checkpoint(), PROBE_SECONDS)


async def caught_up(places: Places, head: int, *, within: float) -> float:
    """Wait until every consumer has applied `head` and the outbox is empty; the seconds it
    took. Fails naming what lags."""
    started = time.monotonic()
    catalog = catalog_from_url(f"sqlite:///{places.attachments_db}")
    try:
        async with _read_model(places.read_model_url) as rm, _notifications(places) as notes:
            while True:
                state = {
                    "query": await _or_error(rm.checkpoint()),
                    "notifications": await _or_error(notes.checkpoint()),
                    "attachments": await _or_error(catalog.checkpoint()),
                }
                outbox_due = await asyncio.wait_for(notes.next_due(), PROBE_SECONDS)
                behind = {k: v for k, v in state.items() if not isinstance(v, int) or v < head}
                if not behind and outbox_due is None:
                    return time.monotonic() - started
                if time.monotonic() - started > within:
                    raise AssertionError(
                        f"not caught up with {head} in {within:.0f} s: {behind}, "
                        f"outbox due {outbox_due}"
                    )
                await asyncio.sleep(0.2)
    finally:
        await catalog.close()


async def _or_error(value: Any) -> int | str:
    """The awaited value, or what went wrong (an engine still coming back, or wedged: each look
    is bounded, so a hung engine fails the wait instead of hanging it)."""
    try:
        result: int = await asyncio.wait_for(value, PROBE_SECONDS)
    except Exception as error:  # reported in the timeout message, retried until then
        return f"{type(error).__name__}: {error}"
    return result


async def all_arrived(
    supervisor: Supervisor,
    places: Places,
    cast: People,
    *loads: Load,
    catch_up_seconds: float = CATCH_UP_SECONDS,
    compare_seconds: float = COMPARE_SECONDS,
) -> dict[str, int]:
    """Every consumer caught up with the store's head, nothing died, and then every check of
    this module; what `notifications_exactly_once` counted."""
    await caught_up(places, await store_head(places), within=catch_up_seconds)
    supervisor.check()  # nothing died on its own
    gateway = supervisor.topology.gateway_url
    async with asyncio.timeout(compare_seconds):  # a wedged engine fails the run, not hangs it
        for load in loads:
            await tickets_shown_at_their_last_version(gateway, cast, load)
            await attachments_referenced(gateway, cast, load)
        opened = sum(len(load.tickets) for load in loads)
        await read_model_matches_a_rebuild(places, cast, tickets=opened)
        return await notifications_exactly_once(places, cast)


# -- the read model ---------------------------------------------------------------------------


async def read_model_matches_a_rebuild(places: Places, cast: People, *, tickets: int) -> None:
    """The live read model equals a rebuild from the store's history (at least `tickets`)."""
    rebuilt = InMemoryReadModel()
    async with _event_store(places) as store, _read_model(places.read_model_url) as live:
        head = await store.head_position()
        await rebuild(rebuilt, StoreFeed(store), progress=lambda *_: None, batch_size=BATCH)
        expected, actual = await everything(rebuilt, cast), await everything(live, cast)
        assert await live.checkpoint() >= head
    assert len(expected["views"]) >= tickets, f"{len(expected['views'])} tickets, not {tickets}"
    for part in ("views", "messages", "counters"):
        want, got = expected[part], actual[part]
        missing = sorted(str(k) for k in want.keys() - got.keys())[:5]
        extra = sorted(str(k) for k in got.keys() - want.keys())[:5]
        differ = sorted((k for k in want.keys() & got.keys() if want[k] != got[k]), key=str)
        assert not missing, f"{part} missing from the read model: {missing}"
        assert not extra, f"{part} not in the rebuild: {extra}"
        assert not differ, (
            f"{len(differ)} {part} different from the rebuild, e.g. {differ[0]}:\n"
            f"rebuilt: {want[differ[0]]}\nlive:    {got[differ[0]]}"
        )


async def everything(read_model: ReadModel, cast: People) -> dict[str, dict[Any, Any]]:
    """Every view and message list of the brand, and the counters of many scopes."""
    brand = cast.brand
    views: dict[Any, Any] = {}
    messages: dict[Any, Any] = {}
    counters: dict[Any, Any] = {}
    after: Cursor | None = None
    while page := await read_model.list(
        Scope(brand, "agent"), TicketFilter(), limit=100, after=after
    ):
        for view in page:
            views[view.ticket_id] = view
            messages[view.ticket_id] = await read_model.messages(brand, view.ticket_id)
        after = Cursor(page[-1].last_activity_at, page[-1].ticket_id)
    scopes = [
        Scope(brand, "agent"),
        Scope(brand, "customer"),
        *(Scope(brand, "agent", departments=frozenset({d})) for d in DEPARTMENTS),
        *(Scope(brand, "customer", customer_ids=frozenset({c})) for c in cast.customers),
    ]
    for scope in scopes:
        counters[scope] = await read_model.counters(scope)
    return {"views": views, "messages": messages, "counters": counters}


# -- notifications ----------------------------------------------------------------------------


async def notifications_exactly_once(places: Places, cast: People) -> dict[str, int]:
    """In-app items exactly as the rules give them for the history; email and SMS never twice
    (a send cut by a crash between its claim and its confirmation may be missing: the sender
    never repeats it blindly). Returns what was counted."""
    expected_items, expected_jobs = await _expected(places, cast)
    async with _notifications(places) as store:
        items = await _items(store, cast.brand)
        unconfirmed = await store.unconfirmed(cast.brand, except_owner="")
        dead = await store.dead_letters(cast.brand, limit=10)
        due = await store.next_due()
    assert dead == [], f"dead-lettered sends: {dead}"
    assert due is None, f"the outbox still holds jobs (next due {due})"
    assert sorted(map(_item_key, items)) == sorted(map(_item_key, expected_items)), (
        f"in-app items: {len(items)} stored, {len(expected_items)} expected"
    )
    render = Renderer(places.link_base)
    expected = Counter(_message_key(job, render) for job in expected_jobs)
    uncertain = {(u.event_id, u.channel, u.recipient) for u in unconfirmed}
    maybe_missing = Counter(_message_key(j, render) for j in expected_jobs if j.key in uncertain)
    sent = _sent(places)
    twice = sent - expected
    assert not twice, f"sent more often than the history asks: {sorted(twice.items())[:5]}"
    missing = expected - sent
    assert not (missing - maybe_missing), f"never sent: {sorted(missing.items())[:5]}"
    return {
        "in_app": len(items),
        "email": sum(n for (channel, *_), n in sent.items() if channel == "email"),
        "sms": sum(n for (channel, *_), n in sent.items() if channel == "sms"),
        "unconfirmed": len(unconfirmed),
    }


async def _expected(places: Places, cast: People) -> tuple[list[Item], list[Job]]:
    """The items and jobs the consumer's rules give for the whole history, folded once."""
    memory = InMemoryNotificationStore()
    for customer, preferences in cast.customers.items():
        await memory.save_preferences(cast.brand, customer, preferences)
    async with _event_store(places) as store:
        feed = StoreFeed(store)
        consumer = Consumer(store=memory)
        await _fold(feed, await store.head_position(), consumer)
    items = await _items(memory, cast.brand)
    jobs = await memory.due_jobs(datetime.max.replace(tzinfo=UTC), limit=10**9)
    return items, [j for j in jobs if j.brand_id == cast.brand]


async def _fold(feed: EventFeed, head: int, consumer: Consumer) -> None:
    if head == 0:
        return
    async for batch in feed.batches(after=0, max_events=BATCH):
        await consumer.apply(batch)
        if batch.reached >= head:
            return


async def _items(store: NotificationStore, brand: str) -> list[Item]:
    found: list[Item] = []
    for audience in (CUSTOMER, DEPARTMENT):
        viewer = Viewer(brand, "failure-test", audience, None)
        before: int | None = None
        while page := await store.items(viewer, limit=500, before=before):
            found += page
            before = page[-1].seq
    return found


def _item_key(item: Item) -> tuple[Any, ...]:
    return (
        item.notification_id,
        item.event_id,
        item.audience,
        item.recipient,
        item.ticket_id,
        item.tracking_code,
        item.kind,
        item.text,
        item.created_at,
    )


def _message_key(job: Job, render: Renderer) -> tuple[str, str, str]:
    message = render(job)
    return (job.channel, message.address, message.text.strip())


def _sent(places: Places) -> Counter[tuple[str, str, str]]:
    """Every email file in the outbox and every line of the SMS log."""
    sent: Counter[tuple[str, str, str]] = Counter()
    for path in sorted(places.outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        assert body is not None, f"{path.name} has no plain text part"
        sent["email", str(message["To"]), body.get_content().strip()] += 1
    if places.sms_log.exists():
        for line in places.sms_log.read_text(encoding="utf-8").splitlines():
            sms = json.loads(line)
            sent["sms", sms["to"], sms["text"].strip()] += 1
    return sent


# -- through the API --------------------------------------------------------------------------


async def tickets_shown_at_their_last_version(gateway_url: str, cast: People, load: Load) -> None:
    """Each ticket the load touched, read by the admin at the load's last position, shows the
    last version a command of the load was answered with."""
    at = {**cast.admin, "X-Min-Position": str(load.last_position)}
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        for ticket, version in load.versions.items():
            response = await http.get(f"/v1/tickets/{ticket}", headers=at)
            assert response.status_code == 200, response.text
            assert response.json()["version"] >= version, (ticket, response.json()["version"])


async def attachments_referenced(gateway_url: str, cast: People, load: Load) -> int:
    """The agent downloads every receipt a ticket refers to; how many there were."""
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        for attachment in load.attachments:
            response = await http.get(f"/v1/attachments/{attachment}", headers=cast.agent)
            assert response.status_code == 200, (attachment, response.status_code, response.text)
    return len(load.attachments)


async def projection_lag(query_url: str) -> float:
    """The query service's `projection_lag_events` metric."""
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(f"{query_url}/metrics")).text
    for line in text.splitlines():
        if line.startswith("projection_lag_events "):
            return float(line.split()[1])
    raise AssertionError("no projection_lag_events in /metrics")
