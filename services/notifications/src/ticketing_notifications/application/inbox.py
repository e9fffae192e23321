"""What a person reads and sets through the notifications API: their in-app items, page by
page with the unread total, read flags, a customer's channels, and for admins the sends given
up on or never confirmed. Over the NotificationStore port; the routes only translate HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass

from .consumer import is_notification_id
from .ports import DeadLetter, Item, NotificationStore, Preferences, Unconfirmed, Viewer


class NotAllowed(Exception):
    """The caller's role may not use this (HTTP 403); the message says who may."""


@dataclass(frozen=True, slots=True)
class ItemPage:
    """Up to a page of items, newest first; `next_before` resumes after the last (None: the last
    page); `unread_count` is the caller's unread total, whatever the filter."""

    items: list[Item]
    next_before: int | None
    unread_count: int


class Inbox:
    """The notifications API's use cases (API.md, Notifications)."""

    def __init__(self, store: NotificationStore, *, sender_owner: str) -> None:
        self._store = store
        self._sender_owner = sender_owner  # this process's claims are not "unconfirmed"

    async def page(
        self, viewer: Viewer, *, limit: int, before: int | None, unread_only: bool
    ) -> ItemPage:
        """The viewer's items before `before`; one more is fetched to know if a page follows."""
        found = await self._store.items(
            viewer, limit=limit + 1, before=before, unread_only=unread_only
        )
        items = found[:limit]
        more = len(found) > limit
        unread = await self._store.unread_count(viewer)
        return ItemPage(items, items[-1].seq if more else None, unread)

    async def mark_read(self, viewer: Viewer, notification_id: str) -> bool:
        """Mark one of the viewer's items read; False when the viewer has no such item (a
        malformed id included: the same answer, nothing hints at another's item)."""
        if not is_notification_id(notification_id):
            return False
        if await self._store.find(viewer, notification_id) is None:
            return False
        await self._store.mark_read(viewer, [notification_id])
        return True

    async def mark_all_read(self, viewer: Viewer) -> None:
        """Mark every item the viewer sees read (its own flags only)."""
        await self._store.mark_read(viewer, None)

    @staticmethod
    def require_customer(role: str) -> None:
        """Raise NotAllowed unless `role` has preferences (customers only)."""
        if role != "customer":
            raise NotAllowed("Only customers have notification preferences.")

    async def preferences(self, *, role: str, brand_id: str, customer_id: str) -> Preferences:
        """The customer's channels (none stored: in-app only)."""
        self.require_customer(role)
        return await self._store.preferences(brand_id, customer_id) or Preferences()

    async def save_preferences(
        self, *, role: str, brand_id: str, customer_id: str, preferences: Preferences
    ) -> None:
        self.require_customer(role)
        await self._store.save_preferences(brand_id, customer_id, preferences)

    @staticmethod
    def _require_admin(role: str) -> None:
        if role != "admin":
            raise NotAllowed("Only admins see failed and unconfirmed sends.")

    async def dead_letters(self, *, role: str, brand_id: str, limit: int) -> list[DeadLetter]:
        """The brand's emails and SMS given up on, newest first (admins only)."""
        self._require_admin(role)
        return await self._store.dead_letters(brand_id, limit=limit)

    async def unconfirmed(self, *, role: str, brand_id: str) -> list[Unconfirmed]:
        """The brand's sends claimed by another process and never confirmed (admins only)."""
        self._require_admin(role)
        return await self._store.unconfirmed(brand_id, except_owner=self._sender_owner)
