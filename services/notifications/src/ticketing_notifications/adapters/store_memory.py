"""InMemoryNotificationStore: the unit-test fake of the store; passes the same contract suite."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from ticketing_notifications.application.ports import (
    Claim,
    Consumed,
    DeadLetter,
    Item,
    Job,
    Preferences,
    Unconfirmed,
    Viewer,
)
from ticketing_notifications.domain.rules import DEPARTMENT, TicketFacts

Key = tuple[str, str, str]


@dataclasses.dataclass
class _Ledger:
    status: str  # claimed | sent | failed
    owner: str
    job: Job
    claimed_at: datetime


class InMemoryNotificationStore:
    def __init__(self) -> None:
        self._checkpoint = 0
        self._facts: dict[tuple[str, str], TicketFacts] = {}
        self._items: dict[str, Item] = {}
        self._reads: set[tuple[str, str]] = set()  # (notification_id, reader_id)
        self._preferences: dict[tuple[str, str], Preferences] = {}
        self._outbox: dict[Key, Job] = {}
        self._ledger: dict[Key, _Ledger] = {}
        self._dead: list[DeadLetter] = []
        self._seq = 0

    async def checkpoint(self) -> int:
        return self._checkpoint

    async def facts(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], TicketFacts]:
        return {k: self._facts[k] for k in keys if k in self._facts}

    async def record(self, consumed: Consumed) -> list[str]:
        for facts in consumed.facts:
            key = (facts.brand_id, facts.ticket_id)
            stored = self._facts.get(key)
            if stored is None or facts.version > stored.version:
                self._facts[key] = facts
        added: list[str] = []
        for item in consumed.items:
            if item.notification_id not in self._items:
                self._seq += 1
                self._items[item.notification_id] = dataclasses.replace(item, seq=self._seq)
                added.append(item.notification_id)
        for job in consumed.jobs:
            self._outbox.setdefault(job.key, job)
        self._checkpoint = max(self._checkpoint, consumed.position)
        return added

    async def preferences(self, brand_id: str, customer_id: str) -> Preferences | None:
        return self._preferences.get((brand_id, customer_id))

    async def save_preferences(
        self, brand_id: str, customer_id: str, preferences: Preferences
    ) -> None:
        self._preferences[(brand_id, customer_id)] = preferences

    def _visible(self, viewer: Viewer, item: Item) -> bool:
        if item.brand_id != viewer.brand_id or item.audience != viewer.audience:
            return False
        if viewer.recipients is None:
            return True
        if viewer.audience == DEPARTMENT:
            # A ticket transferred out of the viewer's departments takes its items with it.
            now_in = self._facts.get((item.brand_id, item.ticket_id))
            if now_in is not None and now_in.department not in viewer.recipients:
                return False
        return item.recipient in viewer.recipients

    def _shown(self, viewer: Viewer, item: Item) -> Item:
        read = (item.notification_id, viewer.reader_id) in self._reads
        return dataclasses.replace(item, read=read)

    async def items(
        self,
        viewer: Viewer,
        *,
        limit: int,
        before: int | None = None,
        after: int | None = None,
        unread_only: bool = False,
    ) -> list[Item]:
        mine = [i for i in self._items.values() if self._visible(viewer, i)]
        if unread_only:
            mine = [i for i in mine if (i.notification_id, viewer.reader_id) not in self._reads]
        if after is not None:
            chosen = sorted((i for i in mine if i.seq > after), key=lambda i: i.seq)
        else:
            chosen = sorted(
                (i for i in mine if before is None or i.seq < before),
                key=lambda i: i.seq,
                reverse=True,
            )
        return [self._shown(viewer, i) for i in chosen[:limit]]

    async def unread_count(self, viewer: Viewer) -> int:
        return sum(
            1
            for i in self._items.values()
            if self._visible(viewer, i) and (i.notification_id, viewer.reader_id) not in self._reads
        )

    async def find(self, viewer: Viewer, notification_id: str) -> Item | None:
        item = self._items.get(notification_id)
        if item is None or not self._visible(viewer, item):
            return None
        return self._shown(viewer, item)

    async def mark_read(self, viewer: Viewer, notification_ids: Sequence[str] | None) -> None:
        if notification_ids is None:
            ids = [i.notification_id for i in self._items.values() if self._visible(viewer, i)]
        else:
            ids = [
                n
                for n in notification_ids
                if (i := self._items.get(n)) and self._visible(viewer, i)
            ]
        self._reads.update((n, viewer.reader_id) for n in ids)

    async def due_jobs(self, now: datetime, *, limit: int) -> list[Job]:
        due = [j for j in self._outbox.values() if j.next_at is None or j.next_at <= now]
        due.sort(key=lambda j: (j.next_at or j.occurred_at, j.key))
        return due[:limit]

    async def next_due(self) -> datetime | None:
        times = [j.next_at or j.occurred_at for j in self._outbox.values()]
        return min(times) if times else None

    async def claim(self, job: Job, *, owner: str, now: datetime) -> Claim:
        row = self._ledger.get(job.key)
        if row is not None and row.status == "sent":
            return Claim.SENT
        if row is not None and row.status == "claimed":
            return Claim.UNCONFIRMED
        self._ledger[job.key] = _Ledger("claimed", owner, job, now)
        return Claim.CLAIMED

    async def confirm(self, job: Job) -> None:
        self._ledger[job.key].status = "sent"
        self._outbox.pop(job.key, None)

    async def retry_later(self, job: Job, *, error: str, next_at: datetime) -> None:
        self._release(job)
        if job.key in self._outbox:
            self._outbox[job.key] = dataclasses.replace(
                job, attempts=job.attempts + 1, next_at=next_at, last_error=error
            )

    async def dead_letter(self, job: Job, *, reason: str, now: datetime) -> None:
        self._release(job)
        if self._outbox.pop(job.key, None) is not None:
            self._dead.append(DeadLetter(dataclasses.replace(job, last_error=reason), reason, now))

    async def drop(self, job: Job) -> None:
        self._outbox.pop(job.key, None)

    def _release(self, job: Job) -> None:
        row = self._ledger.get(job.key)
        if row is not None and row.status == "claimed":
            row.status = "failed"

    async def dead_letters(self, brand_id: str, *, limit: int) -> list[DeadLetter]:
        mine = [d for d in reversed(self._dead) if d.job.brand_id == brand_id]
        return mine[:limit]

    async def unconfirmed(self, brand_id: str, *, except_owner: str) -> list[Unconfirmed]:
        return [
            Unconfirmed(
                row.job.event_id,
                row.job.channel,
                row.job.recipient,
                row.job.address,
                row.job.brand_id,
                row.claimed_at,
            )
            for row in self._ledger.values()
            if row.status == "claimed"
            and row.owner != except_owner
            and row.job.brand_id == brand_id
        ]

    async def close(self) -> None:
        return None
