"""What the read model contract suite builds on: the adapters, and ticket stories told as events.

A new adapter is one entry in READ_MODELS (a real engine's with `marks=pytest.mark.integration`).
Events are the projector's `EventIn`, folded by the real `fold`, so the views the suite stores
are the views production stores.

MongoDB (read_model_mongodb): the server at MONGODB_URL (FerretDB here), twice: as the adapter
chooses for the server at hand, and with the version guard in the update's filter (the way it
writes on MongoDB; on FerretDB it checks the stored versions first), so that both ways pass the
suite here; and a real MongoDB in a container where a container engine answers.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from read_model_mongodb import CONTAINER, dropper, maker
from ticketing_feed import EventIn
from ticketing_model import Scope
from ticketing_query.adapters.readmodel_memory import InMemoryReadModel
from ticketing_query.adapters.readmodel_sqlite import SqliteReadModel
from ticketing_query.application.ports import Cursor, ProjectionBatch, ReadModel, TicketFilter
from ticketing_query.application.projector import fold_batch
from ticketing_query.domain.counters import Counters, total
from ticketing_query.domain.search import matches
from ticketing_query.domain.view import (
    AGENT_SIDE,
    CUSTOMER_SIDE,
    MessageView,
    TicketView,
)

from tests import engines
from tests.typed_events import event_in


async def _nothing_to_discard(_: Path) -> None:
    return None


@dataclass(frozen=True)
class ReadModelAdapter:
    """How the suite makes an adapter's read model in a test's scratch directory, and throws
    away what it left behind outside that directory once the test is over."""

    make: Callable[[Path], ReadModel]
    durable: bool = False
    discard: Callable[[Path], Awaitable[None]] = _nothing_to_discard
    marks: tuple[pytest.MarkDecorator, ...] = ()


READ_MODELS = {
    "memory": ReadModelAdapter(make=lambda _: InMemoryReadModel()),
    "sqlite": ReadModelAdapter(make=lambda d: SqliteReadModel(d / "query.db"), durable=True),
    "mongodb": ReadModelAdapter(
        make=maker(engines.mongodb_url),
        durable=True,
        discard=dropper(engines.mongodb_url),
        marks=(pytest.mark.integration,),
    ),
    "mongodb_guard_in_filter": ReadModelAdapter(
        make=maker(engines.mongodb_url, guard_in_filter=True),
        durable=True,
        discard=dropper(engines.mongodb_url),
        marks=(pytest.mark.integration,),
    ),
    "mongodb_container": ReadModelAdapter(
        make=maker(CONTAINER.url),
        durable=True,
        discard=dropper(CONTAINER.url),
        marks=(pytest.mark.integration,),
    ),
}
ADAPTER_PARAMS = [
    pytest.param(name, id=name, marks=adapter.marks) for name, adapter in READ_MODELS.items()
]

NO_FILTER = TicketFilter()
START = datetime(2025, 6, 20, 10, 35, tzinfo=UTC)


class Clock:
    """Global positions and event times shared by every story of a test."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start
        self._positions = itertools.count(1)

    def tick(self, seconds: float = 60) -> tuple[int, datetime]:
        self.now += timedelta(seconds=seconds)
        return next(self._positions), self.now


@dataclass
class Story:
    """One ticket's history, event by event, as the tickets service would write it."""

    clock: Clock
    brand_id: str = "acme"
    customer_id: str = "cust-1"
    department: str = "technical"
    ticket_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    tracking_code: str = "10000017"
    version: int = 0
    events: list[EventIn] = field(default_factory=list)

    def _event(
        self, event_type: str, data: dict[str, Any], *, actor: tuple[str, str], seconds: float = 60
    ) -> EventIn:
        position, at = self.clock.tick(seconds)
        self.version += 1
        event = event_in(
            position=position,
            brand_id=self.brand_id,
            ticket_id=self.ticket_id,
            stream_version=self.version,
            event_type=event_type,
            occurred_at=at,
            actor_id=actor[0],
            actor_role=actor[1],
            data=data,
        )
        self.events.append(event)
        return event

    def opened(
        self,
        title: str = "خطا در ارسال پیامک انبوه",
        body: str = "سلام، پیامک‌های انبوه از دیروز ارسال نمی‌شوند",
        *,
        by_agent: bool = False,
        priority: str = "normal",
        seconds: float = 60,
        name: str | None = None,
    ) -> EventIn:
        data = {
            "ticket_id": self.ticket_id,
            "tracking_code": self.tracking_code,
            "customer_id": self.customer_id,
            "title": title,
            "department": self.department,
            "request_type": "technical",
            "priority": priority,
            "message_id": uuid.uuid4().hex,
            "body": body,
            "attachment_ids": [],
            "opened_by_side": AGENT_SIDE if by_agent else CUSTOMER_SIDE,
            "opened_by_name": name,
        }
        actor = ("agent-1", "agent") if by_agent else (self.customer_id, "customer")
        return self._event("TicketOpened", data, actor=actor, seconds=seconds)

    def customer_reply(self, body: str = "هنوز مشکل پابرجاست", **kw: Any) -> EventIn:
        return self._message(body, internal=False, follow_up=False, side=CUSTOMER_SIDE, **kw)

    def agent_reply(
        self, body: str = "مشکل برطرف شد", *, follow_up: bool = False, **kw: Any
    ) -> EventIn:
        return self._message(body, internal=False, follow_up=follow_up, side=AGENT_SIDE, **kw)

    def internal_note(self, body: str = "ارجاع به تیم زیرساخت", **kw: Any) -> EventIn:
        return self._message(body, internal=True, follow_up=False, side=AGENT_SIDE, **kw)

    def _message(
        self,
        body: str,
        *,
        internal: bool,
        follow_up: bool,
        side: str,
        attachment_ids: Sequence[str] = (),
        seconds: float = 60,
        name: str | None = None,
    ) -> EventIn:
        data = {
            "message_id": uuid.uuid4().hex,
            "body": body,
            "attachment_ids": list(attachment_ids),
            "internal": internal,
            "follow_up": follow_up,
            "author_side": side,
            "author_name": name,
        }
        actor = (self.customer_id, "customer") if side == CUSTOMER_SIDE else ("agent-1", "agent")
        return self._event("MessagePosted", data, actor=actor, seconds=seconds)

    def agent_viewed(self) -> EventIn:
        return self._event("AgentViewed", {}, actor=("agent-1", "agent"))

    def customer_read(self) -> EventIn:
        return self._event("CustomerRead", {}, actor=(self.customer_id, "customer"))

    def closed(
        self,
        seconds: float = 60,
        *,
        reason: str | None = None,
        name: str | None = None,
        by: tuple[str, str] = ("agent-1", "agent"),
    ) -> EventIn:
        data = {"reason": reason, "closed_by_name": name}
        return self._event("TicketClosed", data, actor=by, seconds=seconds)

    def reopened(self) -> EventIn:
        return self._event("TicketReopened", {}, actor=(self.customer_id, "customer"))

    def transferred(self, to: str) -> EventIn:
        data = {"from_department": self.department, "to_department": to}
        self.department = to
        return self._event("TicketTransferred", data, actor=("agent-1", "agent"))

    def priority_changed(self, to: str) -> EventIn:
        data = {"from_priority": "normal", "to_priority": to}
        return self._event("PriorityChanged", data, actor=("agent-1", "agent"))

    def assigned(self, assignee_id: str | None) -> EventIn:
        data = {"assignee_id": assignee_id, "previous_assignee_id": None}
        return self._event("TicketAssigned", data, actor=("admin-1", "admin"))


# -- folding, the way the projector does ------------------------------------------------------


def folded(
    events: Iterable[EventIn],
) -> tuple[dict[tuple[str, str], TicketView], list[MessageView]]:
    """Every ticket's view and every message, folded from scratch in event order."""
    views: dict[tuple[str, str], TicketView] = {}
    _, messages = fold_batch(views, sorted(events, key=lambda e: e.position))
    return views, messages


async def project(read_model: ReadModel, events: Sequence[EventIn]) -> None:
    """Fold `events` (one batch) onto what `read_model` holds, and apply the result."""
    keys = list(dict.fromkeys((e.brand_id, e.ticket_id) for e in events))
    views = await read_model.load(keys)
    stored = {key: view.version for key, view in views.items()}  # as the projector passes them
    changed, messages = fold_batch(views, events)
    position = max((e.position for e in events), default=0)
    await read_model.apply(ProjectionBatch(changed, messages, position, stored))


# -- the reference the adapters are compared with ----------------------------------------------


def visible(view: TicketView, scope: Scope) -> bool:
    """Who sees what, as the shared model says (each adapter's translation is held to it)."""
    return scope.admits(view)


def expected_list(
    views: Iterable[TicketView], scope: Scope, where: TicketFilter = NO_FILTER
) -> list[str]:
    """Ticket ids of the scope matching `where`, in list order, computed from scratch."""

    def keep(v: TicketView) -> bool:
        words = v.public_words | (v.internal_words if scope.side == AGENT_SIDE else frozenset())
        return (
            visible(v, scope)
            and (not where.statuses or v.code in where.statuses)
            and (where.unread is None or v.unread_for(scope.side)[0] == where.unread)
            and (where.department is None or v.department == where.department)
            and (where.priority is None or v.priority == where.priority)
            and (where.closed is None or v.closed == where.closed)
            and (where.assignee is None or v.assignee_id == where.assignee)
            and matches(where.terms, set(words))
        )

    kept = sorted(
        (v for v in views if keep(v)), key=lambda v: (v.last_activity_at, v.ticket_id), reverse=True
    )
    return [v.ticket_id for v in kept]


def expected_counters(views: Iterable[TicketView], scope: Scope) -> Counters:
    return total((v for v in views if visible(v, scope)), scope.side)


async def listed(
    read_model: ReadModel, scope: Scope, where: TicketFilter = NO_FILTER, *, page: int = 100
) -> list[str]:
    """Every ticket id of the list, page by page through the cursor."""
    ids: list[str] = []
    after: Cursor | None = None
    while True:
        batch = await read_model.list(scope, where, limit=page, after=after)
        ids += [v.ticket_id for v in batch]
        if len(batch) < page:
            return ids
        after = Cursor(batch[-1].last_activity_at, batch[-1].ticket_id)
