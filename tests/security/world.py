"""The world every security test attacks: the embedded composition (`make run`'s app, every
service, consumers running, in memory) holding two brands, two customers, a representative, two
departments and an internal note with its own attachment, each carrying marker strings that say
whose they are. A response shown to someone must carry none of the markers of what that person
may not see."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from ticketing_attachments.settings import AttachmentsSettings
from ticketing_notifications.settings import NotificationsSettings
from ticketing_query.settings import QuerySettings
from ticketing_tickets.settings import DEV_JWT_SECRET, TicketsSettings
from ticketing_web.auth import mint_token
from unit.attachments.samples import pdf, png

from ticketing.embedded import create_embedded_app

MAX_UPLOAD_BYTES = 64 * 1024  # small, so "just over the limit" is cheap to send


def token(role: str, sub: str, brand: str = "acme", **claims: Any) -> str:
    return mint_token(
        secret=DEV_JWT_SECRET,
        sub=sub,
        role=role,  # type: ignore[arg-type]
        brand=brand,
        ttl_seconds=600,
        now=int(time.time()),
        **claims,
    )


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


# Who calls, and the marker groups each may see. A group is a party's things: "A" the ticket of
# acme's customer Ali (technical), "A_NOTE" the internal note on it and the note's attachment,
# "B" the ticket of acme's customer Sara (finance) and her loose upload, "G" the ticket of
# globex's customer who has Ali's very user id.
CALLERS: dict[str, tuple[dict[str, Any], frozenset[str]]] = {
    "ali": ({"role": "customer", "sub": "cust-ali"}, frozenset({"A"})),
    "sara": ({"role": "customer", "sub": "cust-sara"}, frozenset({"B"})),
    "rep_of_ali": (
        {"role": "representative", "sub": "rep-1", "customers": ["cust-ali"]},
        frozenset({"A"}),
    ),
    "rep_of_nobody": ({"role": "representative", "sub": "rep-2", "customers": []}, frozenset()),
    "agent_tech": (
        {"role": "agent", "sub": "agent-tech", "departments": ["technical"]},
        frozenset({"A", "A_NOTE"}),
    ),
    "agent_fin": (
        {"role": "agent", "sub": "agent-fin", "departments": ["finance"]},
        frozenset({"B"}),
    ),
    "admin": ({"role": "admin", "sub": "admin-acme"}, frozenset({"A", "A_NOTE", "B"})),
    "globex_ali": ({"role": "customer", "sub": "cust-ali", "brand": "globex"}, frozenset({"G"})),
    "globex_admin": ({"role": "admin", "sub": "admin-globex", "brand": "globex"}, frozenset({"G"})),
}
GROUPS = ("A", "A_NOTE", "B", "G")


@dataclass
class Party:
    """One party's ticket (and what hangs on it), and the strings that betray it."""

    ticket_id: str = ""
    tracking_code: str = ""
    upload_id: str = ""
    loose_id: str = ""  # an upload no ticket references
    markers: set[str] = field(default_factory=set)


@dataclass
class World:
    app: FastAPI
    client: httpx.AsyncClient
    headers: dict[str, dict[str, str]]
    parties: dict[str, Party]
    position: int = 0
    notification_ids: dict[str, list[str]] = field(default_factory=dict)

    def who(self, caller: str) -> dict[str, str]:
        return dict(self.headers[caller])

    def forbidden(self, caller: str | None) -> set[str]:
        """Every marker `caller` may not see (all of them for an anonymous caller)."""
        allowed = CALLERS[caller][1] if caller else frozenset()
        found: set[str] = set()
        for group in GROUPS:
            if group not in allowed:
                found |= self.parties[group].markers
        return found

    def reading(self, caller: str) -> dict[str, str]:
        """The caller's headers, reading at the world's last write."""
        return {**self.who(caller), "X-Min-Position": str(self.position)}


async def _created(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def _upload(client: httpx.AsyncClient, who: dict[str, str], name: str, data: bytes) -> str:
    kind = "application/pdf" if data.startswith(b"%PDF") else "image/png"
    response = await client.post("/v1/attachments", files={"file": (name, data, kind)}, headers=who)
    return str((await _created(response))["attachment_id"])


async def _populate(world: World) -> None:
    client, who = world.client, world.who
    a, note, b, g = (world.parties[k] for k in GROUPS)

    async def write(path: str, caller: str, body: Any, status: int = 201) -> dict[str, Any]:
        written = await _created(await client.post(path, json=body, headers=who(caller)), status)
        world.position = max(world.position, int(written["position"]))
        return written

    a.upload_id = await _upload(client, who("ali"), "zqAliFile رسید علی.pdf", pdf())
    opened = await write(
        "/v1/tickets",
        "ali",
        {
            "title": "zqAliTitle خطا در ارسال پیامک",
            "department": "technical",
            "priority": "high",
            "body": "zqAliBody پیامک‌های انبوه ارسال نمی‌شوند.",
            "attachment_ids": [a.upload_id],
        },
    )
    a.ticket_id, a.tracking_code = opened["ticket_id"], opened["tracking_code"]
    a.markers |= {"zqAliTitle", "zqAliBody", "zqAliFile", a.ticket_id, a.tracking_code}
    a.markers.add(a.upload_id)

    note.upload_id = await _upload(client, who("agent_tech"), "zqNoteFile گزارش داخلی.png", png())
    await write(
        f"/v1/tickets/{a.ticket_id}/messages",
        "agent_tech",
        {
            "body": "zqNoteBody یادداشت داخلی: مشتری بدهکار است",
            "internal": True,
            "attachment_ids": [note.upload_id],
        },
    )
    note.markers |= {"zqNoteBody", "zqNoteFile", note.upload_id}
    await write(
        f"/v1/tickets/{a.ticket_id}/messages",
        "agent_tech",
        {"body": "zqAliReply در حال بررسی هستیم."},
    )
    a.markers.add("zqAliReply")

    b.upload_id = await _upload(client, who("sara"), "zqSaraFile فاکتور سارا.pdf", pdf())
    opened = await write(
        "/v1/tickets",
        "sara",
        {
            "title": "zqSaraTitle درخواست پیش فاکتور",
            "department": "finance",
            "priority": "normal",
            "body": "zqSaraBody لطفاً پیش فاکتور را بفرستید.",
            "attachment_ids": [b.upload_id],
        },
    )
    b.ticket_id, b.tracking_code = opened["ticket_id"], opened["tracking_code"]
    b.markers |= {"zqSaraTitle", "zqSaraBody", "zqSaraFile", b.ticket_id, b.tracking_code}
    b.markers.add(b.upload_id)
    await write(
        f"/v1/tickets/{b.ticket_id}/messages", "agent_fin", {"body": "zqSaraReply ارسال شد."}
    )
    b.markers.add("zqSaraReply")
    loose = await _upload(client, who("sara"), "zqSaraLoose بی‌مرجع.pdf", pdf())
    b.markers |= {"zqSaraLoose", loose}
    b.loose_id = loose

    g.upload_id = await _upload(client, who("globex_ali"), "zqGlobexFile.pdf", pdf())
    opened = await write(
        "/v1/tickets",
        "globex_ali",
        {
            "title": "zqGlobexTitle قطعی سرویس",
            "department": "technical",
            "priority": "urgent",
            "body": "zqGlobexBody سرویس از صبح قطع است.",
            "attachment_ids": [g.upload_id],
        },
    )
    g.ticket_id, g.tracking_code = opened["ticket_id"], opened["tracking_code"]
    g.markers |= {"zqGlobexTitle", "zqGlobexBody", "zqGlobexFile", g.ticket_id, g.tracking_code}
    g.markers.add(g.upload_id)
    await write(
        f"/v1/tickets/{g.ticket_id}/messages",
        "globex_admin",
        {"body": "zqGlobexReply پیگیری می‌کنیم."},
    )
    g.markers.add("zqGlobexReply")

    for caller in CALLERS:
        listed = await client.get("/v1/notifications", headers=world.reading(caller))
        assert listed.status_code == 200, listed.text
        world.notification_ids[caller] = [n["notification_id"] for n in listed.json()["items"]]


@asynccontextmanager
async def built_world(tmp_path: Path, *, on_disk: bool = False) -> AsyncIterator[World]:
    """Everything in memory, or everything on SQLite files and blobs in a directory (where
    search is FTS5, with a query syntax of its own to attack)."""

    def url(name: str) -> str:
        return f"sqlite:///{tmp_path / name}" if on_disk else "memory://"

    app = create_embedded_app(
        TicketsSettings(data_dir=tmp_path, event_store_url=url("events.db")),
        QuerySettings(
            data_dir=tmp_path, read_model_url=url("query.db"), min_position_wait_seconds=2
        ),
        AttachmentsSettings(
            data_dir=tmp_path,
            attachments_catalog_url=url("attachments.db"),
            attachments_blob_dir="" if on_disk else "memory://",
            attachments_max_bytes=MAX_UPLOAD_BYTES,
            min_position_wait_seconds=2,
        ),
        NotificationsSettings(
            data_dir=tmp_path,
            notifications_store_url=url("notifications.db"),
            min_position_wait_seconds=2,
        ),
    )
    headers = {name: bearer(token(**claims)) for name, (claims, _) in CALLERS.items()}
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://ticketing.test") as client,
    ):
        world = World(app, client, headers, {k: Party() for k in GROUPS})
        await _populate(world)
        yield world
