"""The consumer: decides who to tell about each ticket event, and records it durably.

At-least-once and idempotent. It resumes after the store's checkpoint; a ticket's facts record
the version of the last event folded in, so an event seen before decides nothing again; and
even when it does (facts and checkpoint lost together), in-app items are keyed by (event,
recipient) and outbox jobs by (event, channel, recipient), so a redelivered event adds nothing.
The command path never waits for any of this: the service's `ticketing_feed.Subscription` runs
it in the background (resuming after `checkpoint`), and reads carrying `X-Min-Position` wait on
that subscription's applied position, woken as each batch is recorded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from ticketing_contracts.catalog import BrandCatalogs
from ticketing_contracts.topics import is_hex_id
from ticketing_feed import EventIn, FeedBatch
from ticketing_model import TicketFacts

from ticketing_notifications.domain.rules import CUSTOMER, Notice, decide
from ticketing_notifications.domain.texts import in_app_text

from .ports import (
    Consumed,
    Item,
    Job,
    NotificationStore,
    Preferences,
    event_key,
)


def is_notification_id(value: str) -> bool:
    """Whether `value` has the shape `notification_id` gives (32 lowercase hex characters)."""
    return is_hex_id(value)


def notification_id(event_id: str, audience: str, recipient: str) -> str:
    """The same id for the same (event, recipient), every time the event is delivered."""
    digest = hashlib.sha256(f"{event_id}\n{audience}\n{recipient}".encode()).hexdigest()
    return digest[:32]


class Consumer:
    def __init__(
        self,
        *,
        store: NotificationStore,
        on_items: Callable[[], None] | None = None,
        on_jobs: Callable[[], None] | None = None,
        catalogs: BrandCatalogs | None = None,
    ) -> None:
        self._catalogs = catalogs or BrandCatalogs()
        self._store = store
        self._on_items = on_items
        self._on_jobs = on_jobs

    async def checkpoint(self) -> int:
        """The position recorded so far (a restart resumes after it)."""
        return await self._store.checkpoint()

    async def apply(self, batch: FeedBatch) -> list[str]:
        """Decide and record one feed batch; returns the ids of the in-app items it added."""
        keys = list(dict.fromkeys((e.brand_id, e.ticket_id) for e in batch.events))
        known = await self._store.facts(keys) if keys else {}
        changed: dict[tuple[str, str], TicketFacts] = {}
        items: list[Item] = []
        jobs: list[Job] = []
        preferences: dict[tuple[str, str], Preferences | None] = {}
        for event in batch.events:
            key = (event.brand_id, event.ticket_id)
            before = known.get(key)
            decision = decide(before, event)
            if decision.facts is None or decision.facts == before:
                continue
            known[key] = changed[key] = decision.facts
            for notice in decision.notices:
                wants = None
                if notice.audience == CUSTOMER:
                    who = (event.brand_id, notice.recipient)
                    if who not in preferences:
                        preferences[who] = await self._store.preferences(*who)
                    wants = preferences[who]
                self._notify(event, decision.facts, notice, wants, items, jobs)
        added = await self._store.record(
            Consumed(list(changed.values()), items, jobs, batch.reached)
        )
        if added and self._on_items is not None:
            self._on_items()
        if jobs and self._on_jobs is not None:
            self._on_jobs()
        return added

    def _notify(
        self,
        event: EventIn,
        facts: TicketFacts,
        notice: Notice,
        wants: Preferences | None,
        items: list[Item],
        jobs: list[Job],
    ) -> None:
        """The in-app item and the email/SMS jobs of one notice (no preferences: in-app only)."""
        eid = event_key(event)
        catalog = self._catalogs.catalog_for(facts.brand_id)
        text = in_app_text(
            notice.kind,
            code=facts.tracking_code,
            title=facts.title,
            department=catalog.department_label(facts.department),
        )
        if wants is None or wants.in_app:
            items.append(
                Item(
                    notification_id=notification_id(eid, notice.audience, notice.recipient),
                    event_id=eid,
                    brand_id=facts.brand_id,
                    audience=notice.audience,
                    recipient=notice.recipient,
                    ticket_id=facts.ticket_id,
                    tracking_code=facts.tracking_code,
                    kind=notice.kind,
                    text=text,
                    created_at=event.occurred_at,
                )
            )
        if not notice.external or wants is None:
            return
        addresses = []
        if wants.email and wants.email_address:
            addresses.append(("email", wants.email_address))
        if wants.sms and wants.phone:
            addresses.append(("sms", wants.phone))
        for channel, address in addresses:
            jobs.append(
                Job(
                    event_id=eid,
                    channel=channel,
                    recipient=notice.recipient,
                    address=address,
                    brand_id=facts.brand_id,
                    ticket_id=facts.ticket_id,
                    tracking_code=facts.tracking_code,
                    kind=notice.kind,
                    occurred_at=event.occurred_at,
                    next_at=event.occurred_at,
                    title=facts.title,
                )
            )
