"""Inbox, the notifications API's use cases: pages with the unread total, read flags that only
touch the caller's own items, and who may see preferences, dead letters and unconfirmed sends."""

from __future__ import annotations

import pytest
from ticketing_feed import FeedBatch
from ticketing_notifications.adapters.store_memory import InMemoryNotificationStore
from ticketing_notifications.application.consumer import Consumer
from ticketing_notifications.application.inbox import Inbox, NotAllowed
from ticketing_notifications.application.ports import Preferences, Viewer
from ticketing_notifications.domain.rules import DEPARTMENT

from .events import Story

FINANCE = Viewer("acme", "agent-finance", DEPARTMENT, frozenset({"finance"}))
REFUNDS = Viewer("acme", "agent-refunds", DEPARTMENT, frozenset({"refunds"}))


async def _inbox_with_three_items() -> Inbox:
    store = InMemoryNotificationStore()
    story = Story()
    events = [story.opened(), story.message(by="customer"), story.message(by="customer")]
    await Consumer(store=store).apply(FeedBatch(events, events[-1].position))
    return Inbox(store, sender_owner="sender-1")


async def test_pages_follow_one_another_and_each_carries_the_unread_total() -> None:
    inbox = await _inbox_with_three_items()
    first = await inbox.page(FINANCE, limit=2, before=None, unread_only=False)
    assert len(first.items) == 2
    assert first.next_before == first.items[-1].seq
    assert first.unread_count == 3
    last = await inbox.page(FINANCE, limit=2, before=first.next_before, unread_only=False)
    assert len(last.items) == 1
    assert last.next_before is None


async def test_an_item_is_marked_read_only_for_a_viewer_who_sees_it() -> None:
    inbox = await _inbox_with_three_items()
    newest = (await inbox.page(FINANCE, limit=1, before=None, unread_only=False)).items[0]

    assert await inbox.mark_read(REFUNDS, newest.notification_id) is False
    assert await inbox.mark_read(FINANCE, "../" + newest.notification_id) is False
    assert (await inbox.page(FINANCE, limit=5, before=None, unread_only=True)).unread_count == 3
    assert await inbox.mark_read(FINANCE, newest.notification_id) is True
    assert (await inbox.page(FINANCE, limit=5, before=None, unread_only=True)).unread_count == 2
    await inbox.mark_all_read(FINANCE)
    assert (await inbox.page(FINANCE, limit=5, before=None, unread_only=True)).items == []


async def test_a_customer_without_stored_preferences_has_in_app_only() -> None:
    inbox = await _inbox_with_three_items()
    found = await inbox.preferences(role="customer", brand_id="acme", customer_id="cust-1")
    assert found == Preferences()


@pytest.mark.parametrize("role", ["agent", "admin", "representative"])
async def test_only_customers_have_preferences(role: str) -> None:
    inbox = await _inbox_with_three_items()
    with pytest.raises(NotAllowed, match="Only customers"):
        await inbox.preferences(role=role, brand_id="acme", customer_id="cust-1")
    with pytest.raises(NotAllowed, match="Only customers"):
        await inbox.save_preferences(
            role=role, brand_id="acme", customer_id="cust-1", preferences=Preferences()
        )


@pytest.mark.parametrize("role", ["customer", "representative", "agent"])
async def test_only_admins_see_failed_and_unconfirmed_sends(role: str) -> None:
    inbox = await _inbox_with_three_items()
    with pytest.raises(NotAllowed, match="Only admins"):
        await inbox.dead_letters(role=role, brand_id="acme", limit=10)
    with pytest.raises(NotAllowed, match="Only admins"):
        await inbox.unconfirmed(role=role, brand_id="acme")
    assert await inbox.dead_letters(role="admin", brand_id="acme", limit=10) == []
