"""Two server processes on one data directory: one SQLite event store, two writers.

Without If-Match a command never fails because the other process wrote first (the handler
reloads and decides again); with If-Match a stale version is 412 whichever process answers.
The Idempotency-Key records live in a SQLite file in the same directory, so a key is honoured
across the two processes too.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .servers import BRAND, Server, headers_for, killed_at_exit

pytestmark = pytest.mark.slow

REPLIES = 40

NEW_TICKET = {
    "title": "عدم امکان ورود به پنل کاربری",
    "department": "technical",
    "priority": "urgent",
    "body": "با وجود وارد کردن رمز درست، پیام «نام کاربری یا رمز عبور اشتباه است» می‌آید.",
}


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[tuple[Server, Server]]:
    """Two servers started at once on the same (fresh) data directory."""
    pair = (
        Server(tmp_path / "data", tmp_path / "a.log"),
        Server(tmp_path / "data", tmp_path / "b.log"),
    )
    with killed_at_exit(*pair):
        for server in pair:
            server.start()
        await asyncio.gather(*(server.wait_healthy() for server in pair))
        # One at a time, the first write to each SQLite file (event store, Idempotency-Key
        # records): two first opens of a new file at once can fail with "database is locked"
        # (tests/contract/test_idempotency_contract.py, the xfail). Past that, all is concurrent.
        for server in pair:
            warm_up = await post(
                server.url, f"/v1/tickets/{'0' * 32}/read", {}, **{"Idempotency-Key": "warm-up"}
            )
            assert warm_up.status_code == 404, warm_up.text
        yield pair
    for server in pair:  # nothing went wrong that only the logs would tell
        log = server.log.read_text()
        assert "Traceback" not in log, log
        assert "database is locked" not in log, log


async def post(
    url: str, path: str, body: dict[str, Any], *, sub: str = "cust-1", **headers: str
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=url, headers=headers_for("customer", sub)) as client:
        return await client.post(path, json=body, headers=headers)


async def ticket_history(url: str, ticket_id: str) -> list[dict[str, Any]]:
    stream = f"ticket-{BRAND}-{ticket_id}"
    async with httpx.AsyncClient(base_url=url, headers=headers_for("admin", "admin-1")) as c:
        page = await c.get("/v1/events", params={"limit": 1000})
    assert page.status_code == 200, page.text
    events = [json.loads(line) for line in page.text.splitlines() if line]
    return [e for e in events if e["stream_id"] == stream]


async def test_replies_split_between_two_processes_all_land_with_gapless_versions(
    servers: tuple[Server, Server],
) -> None:
    a, b = servers
    opened = await post(a.url, "/v1/tickets", NEW_TICKET)
    assert opened.status_code == 201, opened.text
    ticket_id = opened.json()["ticket_id"]

    replies = await asyncio.gather(
        *(
            post(
                (a, b)[i % 2].url,
                f"/v1/tickets/{ticket_id}/messages",
                {"body": f"پیام شماره {i + 1}: هنوز نمی‌توانم وارد شوم."},
                **{"Idempotency-Key": f"reply-{i}-{uuid.uuid4().hex}"},
            )
            for i in range(REPLIES)
        )
    )

    assert [(r.status_code, r.text) for r in replies if r.status_code != 201] == []
    versions = sorted(r.json()["version"] for r in replies)
    assert versions == list(range(2, REPLIES + 2))
    assert len({r.json()["message_id"] for r in replies}) == REPLIES
    for url in (a.url, b.url):
        stored = await ticket_history(url, ticket_id)
        assert [e["stream_version"] for e in stored] == list(range(1, REPLIES + 2))
        assert {e["data"]["message_id"] for e in stored[1:]} == {
            r.json()["message_id"] for r in replies
        }


async def test_a_stale_if_match_is_412_from_either_process(
    servers: tuple[Server, Server],
) -> None:
    a, b = servers
    opened = await post(a.url, "/v1/tickets", NEW_TICKET)
    ticket_id = opened.json()["ticket_id"]
    path = f"/v1/tickets/{ticket_id}/messages"

    on_a = await post(a.url, path, {"body": "پاسخ از سرور اول"}, **{"If-Match": '"1"'})
    assert on_a.status_code == 201, on_a.text
    assert on_a.json()["version"] == 2

    for url in (b.url, a.url):
        stale = await post(url, path, {"body": "پاسخ دیرهنگام"}, **{"If-Match": "1"})
        assert stale.status_code == 412, stale.text
        assert stale.json()["current_version"] == 2
    on_b = await post(b.url, path, {"body": "پاسخ از سرور دوم"}, **{"If-Match": "2"})
    assert on_b.status_code == 201, on_b.text
    assert on_b.json()["version"] == 3
    assert len(await ticket_history(b.url, ticket_id)) == 3


async def test_an_idempotency_key_is_honoured_across_the_two_processes(
    servers: tuple[Server, Server],
) -> None:
    a, b = servers
    opened = await post(a.url, "/v1/tickets", NEW_TICKET)
    ticket_id = opened.json()["ticket_id"]
    path = f"/v1/tickets/{ticket_id}/messages"
    body = {"body": "لطفاً رمز عبور مرا بازنشانی کنید."}
    key = {"Idempotency-Key": f"reset-{uuid.uuid4().hex}"}

    racing = await asyncio.gather(*(post(s.url, path, body, **key) for s in (a, b, a, b)))
    replays = [await post(s.url, path, body, **key) for s in (a, b)]

    # the others saw it in flight (409) or, once it was done, got its response replayed
    assert {r.status_code for r in racing} <= {201, 409}, [r.text for r in racing]
    accepted = [r.json() for r in racing if r.status_code == 201]
    assert accepted, [r.text for r in racing]
    assert all(body == accepted[0] for body in accepted)
    assert [(r.status_code, r.json()) for r in replays] == [(201, accepted[0])] * 2
    assert all(r.headers.get("Idempotent-Replayed") == "true" for r in replays)
    different = await post(b.url, path, {"body": "متن دیگری"}, **key)
    assert different.status_code == 422, different.text
    assert len(await ticket_history(a.url, ticket_id)) == 2
