"""The notification bar in the panel: newest first, mark one or all read, the customer's
preferences form, and the bell's live stream relayed with the session (no token in a URL)."""

from __future__ import annotations

import asyncio
import json
import re

from .conftest import Person, Site, hidden_fields

NOTIFICATIONS = "/panel/notifications"


async def _agent_replies(site: Site, ticket_id: str, body: str) -> None:
    maryam = await site.sign_in("agent", "a-maryam", departments=["technical"])
    page = f"/panel/tickets/{ticket_id}"
    answer = await maryam.submit(page, f"{page}/reply", {"body": body})
    assert answer.status_code == 303


async def _unread(site: Site, who: Person) -> int:
    answer = await site.api.get("/v1/notifications", headers=who.bearer)
    return sum(1 for item in answer.json()["items"] if not item["read"])


async def _bell(page: str) -> str:
    found = re.search(r'<span class="bell-count" data-bell-count[^>]*>([^<]*)</span>', page)
    assert found
    return found.group(1)


async def test_a_reply_shows_in_the_list_and_the_bell_and_marking_one_read_counts_down(
    site: Site,
) -> None:
    sara = await site.sign_in("customer", "c-sara")
    opened = await site.open_ticket(sara)
    # the agent opens the ticket page (the review notice), then replies (the reply notice)
    await _agent_replies(site, opened["ticket_id"], "پاسخ کارشناس: مشکل برطرف شد")
    for _ in range(50):  # the notifications consumer follows the store
        if await _unread(site, sara) == 2:
            break
        await asyncio.sleep(0.05)
    page = await sara.get(NOTIFICATIONS)
    assert page.status_code == 200
    assert f'href="/panel/tickets/{opened["ticket_id"]}"' in page.text
    assert await _bell(page.text) == "۲"
    newest, _ = re.findall(r'action="(/panel/notifications/[^/"]+/read)"', page.text)
    answer = await sara.submit(NOTIFICATIONS, newest)
    assert answer.status_code == 303
    assert answer.headers["location"] == NOTIFICATIONS
    assert await _unread(site, sara) == 1
    page = await sara.get(NOTIFICATIONS)
    assert await _bell(page.text) == "۱"
    assert len(re.findall(r'action="(/panel/notifications/[^/"]+/read)"', page.text)) == 1


async def test_mark_all_read(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    for title in ("درخواست پیش فاکتور", "خطا در ورود به پنل"):
        opened = await site.open_ticket(sara, title=title)
        await _agent_replies(site, opened["ticket_id"], f"پاسخ به {title}")
    for _ in range(50):
        if await _unread(site, sara) == 4:  # a review notice and a reply for each
            break
        await asyncio.sleep(0.05)
    assert await _unread(site, sara) == 4
    answer = await sara.submit(NOTIFICATIONS, "/panel/notifications/read-all")
    assert answer.status_code == 303
    assert await _unread(site, sara) == 0


async def test_marking_a_foreign_or_malformed_notification_is_the_persian_404(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    page = await sara.get("/panel/tickets/new")
    hidden = hidden_fields(page.text, "/panel/tickets/new")  # a CSRF token and a form key
    for notification_id in ("0123456789abcdef0123456789abcdef", "a.b"):
        answer = await sara.client.post(f"/panel/notifications/{notification_id}/read", data=hidden)
        assert answer.status_code == 404


async def test_the_customer_saves_preferences_and_a_bad_phone_is_422_beside_its_field(
    site: Site,
) -> None:
    sara = await site.sign_in("customer", "c-sara")
    action = "/panel/notifications/preferences"
    bad = await sara.submit(
        NOTIFICATIONS,
        action,
        {"in_app": "on", "sms": "on", "phone": "abc", "email_address": "sara@example.com"},
    )
    assert bad.status_code == 422
    assert 'id="phone-error"' in bad.text
    assert 'value="sara@example.com"' in bad.text  # what was typed stays
    good = await sara.submit(
        NOTIFICATIONS,
        action,
        {"in_app": "on", "email": "on", "email_address": "sara@example.com"},
    )
    assert good.status_code == 303
    saved = await site.api.get("/v1/notifications/preferences", headers=sara.bearer)
    assert saved.json()["email"] is True
    assert saved.json()["email_address"] == "sara@example.com"
    assert saved.json()["sms"] is False


async def test_only_the_customer_has_a_preferences_form(site: Site) -> None:
    maryam = await site.sign_in("agent", "a-maryam")
    page = await maryam.get(NOTIFICATIONS)
    assert page.status_code == 200
    assert 'action="/panel/notifications/preferences"' not in page.text


async def test_the_bell_stream_relays_a_new_notification_with_the_session_alone(
    site: Site,
) -> None:
    sara = await site.sign_in("customer", "c-sara")
    opened = await site.open_ticket(sara)
    async with site.browser() as anonymous:
        refused = await anonymous.get(f"{NOTIFICATIONS}/stream")
        assert refused.status_code == 401

    import httpx
    from ticketing_panel.asgi_stream import StreamingASGITransport

    # httpx's ASGITransport buffers a whole answer; the stream never ends, so read it live.
    live = httpx.AsyncClient(
        transport=StreamingASGITransport(site.app),
        base_url="http://ticketing.test",
        cookies=sara.client.cookies,
    )
    async with live, live.stream("GET", f"{NOTIFICATIONS}/stream") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        await _agent_replies(site, opened["ticket_id"], "پاسخ زنده")

        async def first_event() -> dict[str, object]:
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    item: dict[str, object] = json.loads(line[5:])
                    return item
            raise AssertionError("the stream ended")

        item = await asyncio.wait_for(first_event(), timeout=5)
    assert item["ticket_id"] == opened["ticket_id"]
    assert item["read"] is False


async def test_the_bell_stream_relays_nothing_after_logout(site: Site) -> None:
    sara = await site.sign_in("customer", "c-sara")
    opened = await site.open_ticket(sara)
    import httpx
    from ticketing_panel.asgi_stream import StreamingASGITransport

    live = httpx.AsyncClient(
        transport=StreamingASGITransport(site.app),
        base_url="http://ticketing.test",
        cookies=sara.client.cookies,
    )
    async with live, live.stream("GET", f"{NOTIFICATIONS}/stream") as stream:
        assert stream.status_code == 200
        logged_out = await sara.submit("/panel/tickets", "/panel/logout")
        assert logged_out.status_code == 303
        await _agent_replies(site, opened["ticket_id"], "پاسخی که نباید دیده شود")

        async def anything_relayed() -> list[str]:
            return [line async for line in stream.aiter_lines() if line.startswith("data:")]

        relayed = await asyncio.wait_for(anything_relayed(), timeout=5)
    assert relayed == []  # the stream ended at the first thing after the logout, unrelayed
