"""Reading what a caller may read: pages, details, counters.

Who sees what is `ticketing_model.Scope` (from the token's claims, `Scope.for_identity`; on a
ticket, `scope.admits`); the read model adapters translate a Scope into their queries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ticketing_contracts.tracking_code import normalize_tracking_code
from ticketing_model import Scope

from ticketing_query.domain.counters import Counters
from ticketing_query.domain.view import CUSTOMER_SIDE, MessageView, TicketView

from .ports import AttachmentCatalog, AttachmentInfo, Cursor, ReadModel, TicketFilter


@dataclass(frozen=True, slots=True)
class Page:
    items: list[TicketView]
    next_after: Cursor | None  # None on the last page


@dataclass(frozen=True, slots=True)
class Detail:
    ticket: TicketView
    messages: list[MessageView]  # oldest first, only those the caller's side may see
    #: What the attachment catalogue says of these messages' files, by id (unknown ids absent).
    attachments: Mapping[str, AttachmentInfo] = field(default_factory=dict)


class TicketQueries:
    """The read side's use cases, over the read model port; a detail's files are described by
    `attachments` (the read model keeps only their ids; None: described as unknown)."""

    def __init__(self, read_model: ReadModel, *, attachments: AttachmentCatalog | None = None):
        self._read_model = read_model
        self.attachments = attachments

    async def page(
        self, scope: Scope, where: TicketFilter, *, limit: int, after: Cursor | None
    ) -> Page:
        """Up to `limit` tickets after `after`; one more is fetched to know if a page follows."""
        found = await self._read_model.list(scope, where, limit=limit + 1, after=after)
        items = found[:limit]
        more = len(found) > limit and bool(items)
        last = items[-1] if more else None
        return Page(items, Cursor(last.last_activity_at, last.ticket_id) if last else None)

    async def detail(self, scope: Scope, ticket_id: str) -> Detail | None:
        """The ticket and its messages, or None when the caller may not see it (read together:
        a ticket the caller may not see costs its messages' read, and is never shown)."""
        found = await self._read_model.ticket_with_messages(scope.brand_id, ticket_id)
        if found is None or not scope.admits(found[0]):
            return None
        return await self._shown(scope, *found)

    async def by_tracking_code(self, scope: Scope, typed: str) -> Detail | None:
        """The ticket a typed code names (Persian digits, spaces and hyphens allowed)."""
        code = normalize_tracking_code(typed)
        if code is None:
            return None
        view = await self._read_model.by_tracking_code(scope.brand_id, code)
        return await self._detail_of(scope, view)

    async def counters(self, scope: Scope) -> Counters:
        return await self._read_model.counters(scope)

    async def _detail_of(self, scope: Scope, view: TicketView | None) -> Detail | None:
        if view is None or not scope.admits(view):
            return None
        messages = await self._read_model.messages(view.brand_id, view.ticket_id)
        return await self._shown(scope, view, messages)

    async def _shown(self, scope: Scope, view: TicketView, messages: list[MessageView]) -> Detail:
        if scope.side == CUSTOMER_SIDE:
            messages = [m for m in messages if not m.internal]
        ids = [a for message in messages for a in message.attachment_ids]
        if not ids or self.attachments is None:
            return Detail(view, messages)
        return Detail(view, messages, await self.attachments.describe(view.brand_id, ids))
