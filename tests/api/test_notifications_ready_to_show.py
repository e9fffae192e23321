"""Notifications ready to show (API.md, Notifications): Jalali times, texts naming the ticket
(and the department for agents), the unread filter and the bell's count, and the review notice
exactly once, over both stores."""

from __future__ import annotations

from typing import Any

import httpx
from ticketing_feed import FeedBatch

from .notification_fixtures import Notifications, Story, bearer

SARA = bearer("customer", "cust-1")
ALI_FINANCE = bearer("agent", "agent-ali", departments=["finance"])
REZA_ALL = bearer("agent", "agent-reza")
#: How every text names the ticket: its title (isolated) and its tracking code.
TICKET = "«\u2068درخواست پیش فاکتور\u2069» (کد پیگیری 87831491)"


async def _fed(n: Notifications, *events: Any) -> None:
    await n.service.consumer.apply(FeedBatch(list(events), max(e.position for e in events)))


async def _list(client: httpx.AsyncClient, who: dict[str, str], **params: Any) -> Any:
    response = await client.get("/v1/notifications", headers=who, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_each_item_has_its_time_in_jalali_tehran_time(notifications: Notifications) -> None:
    story = Story()
    await _fed(notifications, story.opened(), story.message(by="agent"))
    [item] = (await _list(notifications.client, SARA))["items"]
    # The reply happened 2025-06-20 10:37 UTC: 14:07 in Tehran, 30 Khordad 1404.
    assert item["created_at"] == "2025-06-20T10:37:00Z"
    assert item["created_at_jalali"] == "1404/03/30 14:07"


async def test_customer_texts_name_the_title_and_code_and_agent_texts_the_department_too(
    notifications: Notifications,
) -> None:
    story = Story()
    await _fed(notifications, story.opened(), story.message(by="agent"))
    await _fed(notifications, story.message(by="customer"))
    [to_sara] = (await _list(notifications.client, SARA))["items"]
    assert (
        to_sara["text"]
        == "پشتیبانی به تیکت «\u2068درخواست پیش فاکتور\u2069» (کد پیگیری 87831491) پاسخ داد."
    )
    to_ali = [i["text"] for i in (await _list(notifications.client, ALI_FINANCE))["items"]]
    assert to_ali == [
        f"مشتری به تیکت {TICKET} در بخش امور مالی پاسخ داد.",
        f"تیکت تازه‌ی {TICKET} در بخش امور مالی در انتظار پاسخ است.",
    ]


async def test_unread_true_lists_only_unread_items_and_unread_count_is_the_callers_total(
    notifications: Notifications,
) -> None:
    first, second = Story(), Story("b" * 32, start=10)
    await _fed(notifications, first.opened(), first.message(by="agent"))
    await _fed(notifications, second.opened(), second.message(by="agent"))
    await _fed(notifications, first.message(by="agent"))
    page = await _list(notifications.client, SARA)
    assert (len(page["items"]), page["unread_count"]) == (3, 3)
    newest = page["items"][0]["notification_id"]
    read = await notifications.client.post(f"/v1/notifications/{newest}/read", headers=SARA)
    assert read.status_code == 200
    unread = await _list(notifications.client, SARA, unread="true")
    assert [i["read"] for i in unread["items"]] == [False, False]
    assert newest not in [i["notification_id"] for i in unread["items"]]
    assert unread["unread_count"] == 2
    small = await _list(notifications.client, SARA, unread="true", limit=1)
    assert small["unread_count"] == 2  # the total, not the page
    rest = await _list(notifications.client, SARA, unread="true", cursor=small["next_cursor"])
    assert [i["notification_id"] for i in small["items"] + rest["items"]] == [
        i["notification_id"] for i in unread["items"]
    ]
    everything = await _list(notifications.client, SARA)
    assert (len(everything["items"]), everything["unread_count"]) == (3, 2)


async def test_each_agent_has_its_own_unread_count(notifications: Notifications) -> None:
    await _fed(notifications, Story().opened(), Story("b" * 32, start=10).opened())
    await notifications.client.post("/v1/notifications/read-all", headers=ALI_FINANCE)
    assert (await _list(notifications.client, ALI_FINANCE))["unread_count"] == 0
    assert (await _list(notifications.client, ALI_FINANCE, unread="true"))["items"] == []
    assert (await _list(notifications.client, REZA_ALL))["unread_count"] == 2
    assert (await _list(notifications.client, SARA))["unread_count"] == 0


async def test_a_bad_unread_value_is_a_422_naming_it(notifications: Notifications) -> None:
    response = await notifications.client.get(
        "/v1/notifications", headers=SARA, params={"unread": "maybe"}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["unread"]


async def test_taking_a_ticket_under_review_tells_the_customer_once_whatever_the_redeliveries(
    notifications: Notifications,
) -> None:
    story = Story()
    opened, viewed = story.opened(), story.event("AgentViewed", "agent", "agent-ali")
    await _fed(notifications, opened, viewed)
    await _fed(notifications, opened, viewed)  # the same batch delivered again
    await _fed(notifications, viewed)
    await _fed(notifications, story.event("AgentViewed", "agent", "agent-reza"))  # still reviewing
    items = (await _list(notifications.client, SARA))["items"]
    assert [(i["kind"], i["text"]) for i in items] == [
        ("ticket_under_review", f"تیکت {TICKET} ملاحظه شد و در حال بررسی است.")
    ]
    assert (await _list(notifications.client, SARA))["unread_count"] == 1


async def test_a_replay_of_the_history_after_a_reply_adds_no_second_review_notice(
    notifications: Notifications,
) -> None:
    story = Story()
    opened, viewed = story.opened(), story.event("AgentViewed", "agent", "agent-ali")
    internal = story.message(by="agent", internal=True)
    await _fed(notifications, opened)
    await _fed(notifications, viewed, internal)
    # The stored facts are past both events now: replaying them decides nothing again.
    await notifications.service.consumer.apply(FeedBatch([opened, viewed], viewed.position))
    kinds = [i["kind"] for i in (await _list(notifications.client, SARA))["items"]]
    assert kinds == ["ticket_under_review"]
