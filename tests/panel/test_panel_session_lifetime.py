"""How long a panel session lives: when it ends (logout) everything it opened ends with it, and
nobody can end another person's session by signing in over and over."""

from __future__ import annotations

import asyncio
import time

import httpx
from ticketing_panel.asgi_stream import StreamingASGITransport
from ticketing_panel.sessions import SessionStore
from ticketing_web.auth import Identity

from .conftest import BASE, Site

STREAM = "/panel/notifications/stream"


def _identity(sub: str, brand: str) -> Identity:
    return Identity.model_validate(
        {"sub": sub, "role": "customer", "brand": brand, "exp": int(time.time()) + 600}
    )


def test_one_person_signing_in_again_and_again_never_signs_anyone_else_out() -> None:
    """The store is bounded and drops the oldest sign-in when full: one customer with one
    valid token replaying /panel/sso must not push every other brand's people out."""
    store = SessionStore(capacity=50)
    maryam = store.open(token="t-maryam", identity=_identity("a-maryam", "acme"))
    for _ in range(500):
        store.open(token="t-narges", identity=_identity("c-narges", "panah"))
    assert store.get(maryam.session_id) is maryam
    assert len(store) <= 50
    # her own latest sign-ins still work
    latest = store.open(token="t-narges", identity=_identity("c-narges", "panah"))
    assert store.get(latest.session_id) is latest


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
