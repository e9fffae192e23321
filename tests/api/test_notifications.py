"""The in-app notifications API: lists, read flags, isolation, admin views."""

from __future__ import annotations

from typing import Any

import httpx
from ticketing_feed import FeedBatch

from .notification_fixtures import Notifications, Story, bearer

SARA = bearer("customer", "cust-1")
ALI_FINANCE = bearer("agent", "agent-ali", departments=["finance"])
MINA_TECHNICAL = bearer("agent", "agent-mina", departments=["technical"])
REZA_ALL = bearer("agent", "agent-reza")
ADMIN = bearer("admin", "admin-1")


async def _fed(n: Notifications, *events: Any) -> None:
    await n.service.consumer.apply(FeedBatch(list(events), max(e.position for e in events)))


async def _list(client: httpx.AsyncClient, who: dict[str, str], **params: Any) -> Any:
    response = await client.get("/v1/notifications", headers=who, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_agent_reply_shows_in_the_customers_list_with_the_tracking_code(
    notifications: Notifications,
) -> None:
    story = Story()
    await _fed(notifications, story.opened(), story.message(by="agent"))
    page = await _list(notifications.client, SARA)
    [item] = page["items"]
    assert page["next_cursor"] is None
    assert item["tracking_code"] == "87831491"
    assert item["kind"] == "agent_replied"
    assert "87831491" in item["text"]
    assert item["read"] is False
    assert set(item) >= {"notification_id", "ticket_id", "created_at"}


async def test_department_notifications_reach_every_agent_covering_it_with_own_read_flags(
    notifications: Notifications,
) -> None:
    await _fed(notifications, Story().opened())
    client = notifications.client
    [for_ali] = (await _list(client, ALI_FINANCE))["items"]
    assert (await _list(client, MINA_TECHNICAL))["items"] == []
    assert len((await _list(client, REZA_ALL))["items"]) == 1
    assert len((await _list(client, ADMIN))["items"]) == 1
    assert (await _list(client, SARA))["items"] == []
    read = await client.post(
        f"/v1/notifications/{for_ali['notification_id']}/read", headers=ALI_FINANCE
    )
    assert read.status_code == 200
    assert (await _list(client, ALI_FINANCE))["items"][0]["read"] is True
    assert (await _list(client, REZA_ALL))["items"][0]["read"] is False


async def test_read_all_marks_every_notification_of_the_caller(
    notifications: Notifications,
) -> None:
    first, second = Story(), Story("b" * 32, start=10)
    await _fed(notifications, first.opened(), first.message(by="agent"))
    await _fed(notifications, second.opened(), second.message(by="agent"))
    response = await notifications.client.post("/v1/notifications/read-all", headers=SARA)
    assert response.status_code == 200
    assert [i["read"] for i in (await _list(notifications.client, SARA))["items"]] == [True, True]


async def test_the_list_pages_newest_first_with_a_keyset_cursor(
    notifications: Notifications,
) -> None:
    story = Story()
    await _fed(notifications, story.opened(), *[story.message(by="agent") for _ in range(5)])
    first = await _list(notifications.client, SARA, limit=2)
    second = await _list(notifications.client, SARA, limit=2, cursor=first["next_cursor"])
    third = await _list(notifications.client, SARA, limit=2, cursor=second["next_cursor"])
    ids = [i["notification_id"] for p in (first, second, third) for i in p["items"]]
    assert len(set(ids)) == 5
    assert third["next_cursor"] is None
    stamps = [i["created_at"] for p in (first, second, third) for i in p["items"]]
    assert stamps == sorted(stamps, reverse=True)


async def test_a_bad_cursor_or_limit_is_422(notifications: Notifications) -> None:
    for params in ({"cursor": "نه"}, {"cursor": "bjEuYWI"}, {"limit": 0}, {"limit": 101}):
        response = await notifications.client.get("/v1/notifications", headers=SARA, params=params)
        assert response.status_code == 422, params


async def test_a_notification_the_caller_may_not_see_is_404(notifications: Notifications) -> None:
    story = Story()
    await _fed(notifications, story.opened(), story.message(by="agent"))
    [item] = (await _list(notifications.client, SARA))["items"]
    path = f"/v1/notifications/{item['notification_id']}/read"
    for stranger in (
        bearer("customer", "cust-2"),
        bearer("customer", "cust-1", brand="other"),
        ALI_FINANCE,
        ADMIN,
    ):
        assert (await notifications.client.post(path, headers=stranger)).status_code == 404
    assert (
        await notifications.client.post("/v1/notifications/نه/read", headers=SARA)
    ).status_code == 404
    assert (await _list(notifications.client, SARA))["items"][0]["read"] is False


async def test_a_representative_sees_the_notifications_of_its_customers_only(
    notifications: Notifications,
) -> None:
    mine, theirs = Story(), Story("b" * 32, start=10)
    await _fed(notifications, mine.opened(), mine.message(by="agent"))
    await _fed(notifications, theirs.opened(customer="cust-9"), theirs.message(by="agent"))
    rep = bearer("representative", "rep-1", customers=["cust-1"])
    assert len((await _list(notifications.client, rep))["items"]) == 1


async def test_requests_without_a_token_are_401(notifications: Notifications) -> None:
    assert (await notifications.client.get("/v1/notifications")).status_code == 401
    assert (await notifications.client.post("/v1/notifications/read-all")).status_code == 401


async def test_dead_letters_and_unconfirmed_sends_are_for_admins_only(
    notifications: Notifications,
) -> None:
    for path in ("/v1/notifications/dead-letters", "/v1/notifications/unconfirmed"):
        assert (await notifications.client.get(path, headers=ADMIN)).json() == []
        for other in (SARA, ALI_FINANCE):
            assert (await notifications.client.get(path, headers=other)).status_code == 403


async def test_after_a_transfer_the_old_departments_agents_lose_the_tickets_notifications(
    notifications: Notifications,
) -> None:
    story = Story()
    await _fed(notifications, story.opened())
    client = notifications.client
    [item] = (await _list(client, ALI_FINANCE))["items"]
    moved = story.event(
        "TicketTransferred",
        "agent",
        "agent-ali",
        from_department="finance",
        to_department="technical",
    )
    await _fed(notifications, moved)

    page = await _list(client, ALI_FINANCE)
    assert (page["items"], page["unread_count"]) == ([], 0)
    read = await client.post(
        f"/v1/notifications/{item['notification_id']}/read", headers=ALI_FINANCE
    )
    assert read.status_code == 404
    now_technical = await _list(client, MINA_TECHNICAL)
    assert [i["notification_id"] for i in now_technical["items"]] == [item["notification_id"]]
    assert now_technical["unread_count"] == 1
