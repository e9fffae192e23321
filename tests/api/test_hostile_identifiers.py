"""Identifiers with a trailing newline or a NUL, over HTTP, in the app `make run` serves: always
a clean 4xx problem, never a 200 with nothing or a 500 (an attack run's `"brand": "acme\\n"`)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
import pytest
from ticketing_tickets.settings import DEV_JWT_SECRET

from .composition import Composed, composed
from .conftest import NEW_TICKET
from .query_fixtures import customer


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Composed]:
    async with composed(tmp_path, on_disk=True) as made:
        yield made


def bearer(**claims: object) -> dict[str, str]:
    base = {"sub": "cust-1", "role": "customer", "brand": "acme", "exp": int(time.time()) + 600}
    return {"Authorization": f"Bearer {jwt.encode({**base, **claims}, DEV_JWT_SECRET)}"}


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "claims",
    [
        {"brand": "acme\n"},
        {"brand": "acme\x00"},
        {"sub": "cust-1\n"},
        {"sub": "cust\x001"},
        {"sub": "cust-1\ud800"},  # a lone surrogate: JSON carries it, UTF-8 cannot
        {"name": "مریم\udfff"},
        {"customers": ["cust-1\ud800"], "role": "representative"},
    ],
    ids=repr,
)
async def test_a_token_whose_ids_end_in_a_newline_or_hold_a_nul_is_refused(
    world: Composed, claims: dict[str, str]
) -> None:
    who = bearer(**claims)
    assert_problem(await world.client.post("/v1/tickets", json=NEW_TICKET, headers=who), 401)
    for path in ("/v1/tickets", "/v1/notifications", "/v1/counters"):
        assert_problem(await world.client.get(path, headers=who), 401)


async def test_ids_in_paths_and_headers_with_a_trailing_newline_are_refused(
    world: Composed,
) -> None:
    who = customer()
    opened = await world.desk.open(who)
    ticket = opened["ticket_id"]
    newline = "%0A"
    assert_problem(await world.client.get(f"/v1/tickets/{ticket}{newline}", headers=who), 404)
    posted = await world.client.post(
        f"/v1/tickets/{ticket}{newline}/messages", json={"body": "سلام"}, headers=who
    )
    assert_problem(posted, 404)
    for query in ("q=%ED%A0%80", "cursor=%ED%A0%80", "q=%00", "status=1%0A"):
        listed = await world.client.get(f"/v1/tickets?{query}", headers=who)
        assert listed.status_code in (200, 422), (query, listed.text)
    by_code = await world.client.get("/v1/tickets/by-tracking-code/%ED%A0%80", headers=who)
    assert_problem(by_code, 404)
    marked = await world.client.post(f"/v1/notifications/{'a' * 32}{newline}/read", headers=who)
    assert_problem(marked, 404)
