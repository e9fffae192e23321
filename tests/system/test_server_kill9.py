"""Every command the server acknowledged survives `kill -9` of the server, mid-load.

The real server (`python -m ticketing.cli run`) serves many concurrent clients that open tickets
and reply; it is killed without warning, restarted on the same data directory, and its history
(`GET /v1/events`) must hold every acknowledged write where it was acknowledged, with no hole in
any ticket stream. The restarted server then carries on from the stored versions.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from ticketing_contracts.topics import ticket_stream_id

from .servers import BRAND, Server, headers_for, killed_at_exit

pytestmark = pytest.mark.slow

CUSTOMERS = 16  # each opens tickets and replies to them
AGENTS = 6  # all reply to one shared ticket
LOAD_SECONDS = 1.5
MIN_ACKNOWLEDGED = 100

NEW_TICKET = {
    "title": "قطعی سرویس پیامک",
    "department": "technical",
    "priority": "high",
    "body": "سلام، از صبح امروز هیچ پیامکی ارسال نشده است.",
}


@dataclass
class Load:
    """What the clients saw: acknowledged writes (stream, version, position), and the rest."""

    acknowledged: list[tuple[str, int, int]] = field(default_factory=list)
    tickets: dict[str, str] = field(default_factory=dict)  # ticket id -> owner
    refused: list[tuple[int, str]] = field(default_factory=list)
    interrupted: int = 0
    stopped: bool = False

    def ack(self, ticket_id: str, body: dict[str, Any]) -> None:
        stream = ticket_stream_id(BRAND, ticket_id)
        self.acknowledged.append((stream, body["version"], body["position"]))


async def customer(url: str, n: int, load: Load) -> None:
    sub = f"cust-{n}"
    async with httpx.AsyncClient(base_url=url, headers=headers_for("customer", sub)) as client:
        try:
            while not load.stopped:
                opened = await client.post("/v1/tickets", json=NEW_TICKET)
                if opened.status_code != 201:
                    load.refused.append((opened.status_code, opened.text))
                    continue
                ticket_id = opened.json()["ticket_id"]
                load.tickets[ticket_id] = sub
                load.ack(ticket_id, opened.json())
                for i in range(4):
                    reply = await client.post(
                        f"/v1/tickets/{ticket_id}/messages",
                        json={"body": f"پیگیری شماره {i + 1}: هنوز مشکل پابرجاست."},
                    )
                    if reply.status_code != 201:
                        load.refused.append((reply.status_code, reply.text))
                        continue
                    load.ack(ticket_id, reply.json())
        except httpx.TransportError:
            load.interrupted += 1


async def agent(url: str, n: int, ticket_id: str, load: Load) -> None:
    async with httpx.AsyncClient(base_url=url, headers=headers_for("agent", f"agent-{n}")) as c:
        try:
            while not load.stopped:
                reply = await c.post(
                    f"/v1/tickets/{ticket_id}/messages",
                    json={"body": f"کارشناس {n}: در حال بررسی هستیم.", "follow_up": True},
                )
                if reply.status_code != 201:
                    load.refused.append((reply.status_code, reply.text))
                    continue
                load.ack(ticket_id, reply.json())
        except httpx.TransportError:
            load.interrupted += 1


async def history(url: str) -> list[dict[str, Any]]:
    """Every event of the brand, paging through `GET /v1/events`."""
    events: list[dict[str, Any]] = []
    async with httpx.AsyncClient(base_url=url, headers=headers_for("admin", "admin-1")) as c:
        while True:
            after = events[-1]["position"] if events else 0
            page = await c.get("/v1/events", params={"after": after, "limit": 1000})
            assert page.status_code == 200, page.text
            batch = [json.loads(line) for line in page.text.splitlines() if line]
            if not batch:
                return events
            events += batch


async def test_every_acknowledged_command_survives_kill_9_of_the_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = Server(data_dir, tmp_path / "first.log")
    second = Server(data_dir, tmp_path / "second.log")
    with killed_at_exit(first, second):
        first.start()
        await first.wait_healthy()
        async with httpx.AsyncClient(
            base_url=first.url, headers=headers_for("customer", "cust-0")
        ) as c:
            shared = await c.post("/v1/tickets", json=NEW_TICKET)
        assert shared.status_code == 201, shared.text
        shared_id = shared.json()["ticket_id"]
        load = Load(tickets={shared_id: "cust-0"})
        load.ack(shared_id, shared.json())

        clients = [
            asyncio.create_task(customer(first.url, n, load)) for n in range(1, CUSTOMERS + 1)
        ]
        clients += [
            asyncio.create_task(agent(first.url, n, shared_id, load)) for n in range(AGENTS)
        ]
        started = time.monotonic()
        while (
            time.monotonic() - started < LOAD_SECONDS or len(load.acknowledged) < MIN_ACKNOWLEDGED
        ):
            assert time.monotonic() - started < 10, f"only {len(load.acknowledged)} acks in 10 s"
            assert not any(t.done() for t in clients), "a client stopped before the kill"
            await asyncio.sleep(0.05)
        first.kill()  # mid-load: the clients are still sending
        load.stopped = True
        await asyncio.gather(*clients)

        assert load.refused == []  # no 5xx (nor anything but 201) before the kill
        assert load.interrupted > 0, "the kill caught no request in flight"

        second.start()
        await second.wait_healthy()
        events = await history(second.url)
        stored = {(e["stream_id"], e["stream_version"]): e["position"] for e in events}
        lost = [ack for ack in load.acknowledged if stored.get(ack[:2]) != ack[2]]
        assert lost == [], f"{len(lost)} of {len(load.acknowledged)} acknowledged writes lost"
        versions: dict[str, list[int]] = {}
        for event in events:
            versions.setdefault(event["stream_id"], []).append(event["stream_version"])
        holes = {s: v for s, v in versions.items() if v != list(range(1, len(v) + 1))}
        assert holes == {}
        positions = [e["position"] for e in events]
        assert positions == sorted(set(positions))

        # The restarted server carries on from the stored versions.
        async def reply_after_restart(ticket_id: str, owner: str) -> tuple[int, int]:
            async with httpx.AsyncClient(
                base_url=second.url, headers=headers_for("customer", owner)
            ) as c:
                reply = await c.post(
                    f"/v1/tickets/{ticket_id}/messages", json={"body": "پس از راه‌اندازی دوباره"}
                )
            assert reply.status_code == 201, reply.text
            stream = ticket_stream_id(BRAND, ticket_id)
            return reply.json()["version"], len(versions[stream]) + 1

        results = await asyncio.gather(
            *(reply_after_restart(t, owner) for t, owner in load.tickets.items())
        )
        assert all(got == expected for got, expected in results), results
