"""InMemoryReadModel: the unit-test fake of the read model port, dicts scanned on every query.

It passes the same contract suite as the SQLite (and later MongoDB) adapters. Lists and
counters are computed by scanning every ticket, which is what a fake may do and a real adapter
may not; search and counters use the domain's own `matches` and `counters.total`, so the fake is
also the reference the real adapters are compared with.
"""

from __future__ import annotations

from collections.abc import Sequence

from ticketing_model import Scope

from ticketing_query.application.ports import (
    Cursor,
    InPlaceRebuild,
    ProjectionBatch,
    ReadModelRebuild,
    TicketFilter,
)
from ticketing_query.domain.counters import Counters, total
from ticketing_query.domain.search import matches
from ticketing_query.domain.view import CUSTOMER_SIDE, MessageView, TicketView

Key = tuple[str, str]


class InMemoryReadModel:
    """Views, messages and the checkpoint held in dicts. Not durable; one event loop."""

    def __init__(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self._views: dict[Key, TicketView] = {}
        self._messages: dict[Key, dict[str, MessageView]] = {}  # by ticket, then message id
        self._message_ids: set[Key] = set()  # (brand_id, message_id)
        self._checkpoint = 0

    async def apply(self, batch: ProjectionBatch) -> None:
        """Keep each view whose version is above the stored one, each message once."""
        for view in batch.views:
            key = (view.brand_id, view.ticket_id)
            stored = self._views.get(key)
            if stored is None or view.version > stored.version:
                self._views[key] = view
        for message in batch.messages:
            if (message.brand_id, message.message_id) in self._message_ids:
                continue
            self._message_ids.add((message.brand_id, message.message_id))
            ticket = self._messages.setdefault((message.brand_id, message.ticket_id), {})
            ticket[message.message_id] = message
        self._checkpoint = max(self._checkpoint, batch.position)

    async def checkpoint(self) -> int:
        return self._checkpoint

    async def load(self, keys: Sequence[Key]) -> dict[Key, TicketView]:
        return {key: self._views[key] for key in keys if key in self._views}

    async def get(self, brand_id: str, ticket_id: str) -> TicketView | None:
        return self._views.get((brand_id, ticket_id))

    async def by_tracking_code(self, brand_id: str, tracking_code: str) -> TicketView | None:
        return next(
            (
                view
                for view in self._views.values()
                if view.brand_id == brand_id and view.tracking_code == tracking_code
            ),
            None,
        )

    async def messages(self, brand_id: str, ticket_id: str) -> list[MessageView]:
        found = self._messages.get((brand_id, ticket_id), {}).values()
        return sorted(found, key=lambda m: m.position)

    async def ticket_with_messages(
        self, brand_id: str, ticket_id: str
    ) -> tuple[TicketView, list[MessageView]] | None:
        view = await self.get(brand_id, ticket_id)
        return None if view is None else (view, await self.messages(brand_id, ticket_id))

    async def list(
        self, scope: Scope, where: TicketFilter, *, limit: int, after: Cursor | None
    ) -> list[TicketView]:
        found = [
            view
            for view in self._views.values()
            if scope.admits(view)
            and passes(view, where, scope.side)
            and (after is None or order_key(view) < (after.last_activity_at, after.ticket_id))
        ]
        found.sort(key=order_key, reverse=True)
        return found[:limit]

    async def counters(self, scope: Scope) -> Counters:
        return total((v for v in self._views.values() if scope.admits(v)), scope.side)

    async def reset(self) -> None:
        self._clear()

    async def rebuilding(self) -> ReadModelRebuild:
        """One copy only: reset, then the rebuild writes here."""
        return await InPlaceRebuild.begin(self)

    async def close(self) -> None:
        return None


def order_key(view: TicketView) -> tuple[object, str]:
    """The list order, as a key sorted descending: newest activity first, then ticket id."""
    return (view.last_activity_at, view.ticket_id)


def passes(view: TicketView, where: TicketFilter, side: str) -> bool:
    """Whether the ticket meets every filter of `where`, read from `side`."""
    if where.statuses and view.code not in where.statuses:
        return False
    if where.unread is not None and view.unread_for(side)[0] != where.unread:
        return False
    if where.department is not None and view.department != where.department:
        return False
    if where.priority is not None and view.priority != where.priority:
        return False
    if where.closed is not None and view.closed != where.closed:
        return False
    if where.assignee is not None and view.assignee_id != where.assignee:
        return False
    if not where.terms:
        return True
    words = view.public_words if side == CUSTOMER_SIDE else view.public_words | view.internal_words
    return matches(where.terms, set(words))
