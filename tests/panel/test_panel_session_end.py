"""When a panel session ends (logout), everything it opened ends with it: a live stream left
open in another tab must not go on relaying the person's notifications."""

from __future__ import annotations

import asyncio

import httpx
from ticketing_panel.asgi_stream import StreamingASGITransport

from .conftest import BASE, Site

STREAM = "/panel/notifications/stream"


async def test_the_bell_stream_of_a_session_that_signed_out_relays_nothing_more(
    site: Site,
) -> None:
    sara = await site.sign_in("customer", "c-sara", name="سارا محمدی")
    opened = await site.open_ticket(sara)
    maryam = await site.sign_in("agent", "a-maryam", departments=["technical"])
    live = httpx.AsyncClient(
        transport=StreamingASGITransport(site.app), base_url=BASE, cookies=sara.client.cookies
    )
    async with live, live.stream("GET", STREAM) as stream:
        assert stream.status_code == 200
        signed_out = await sara.submit("/panel/tickets", "/panel/logout")
        assert signed_out.status_code == 303
        page = f"/panel/tickets/{opened['ticket_id']}"
        replied = await maryam.submit(page, f"{page}/reply", {"body": "پاسخ پس از خروج"})
        assert replied.status_code == 303

        events: list[str] = []

        async def relayed() -> None:
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    events.append(line)

        try:
            await asyncio.wait_for(relayed(), timeout=4)
        except TimeoutError:
            events.append("the stream stayed open after the logout")
    assert events == []
