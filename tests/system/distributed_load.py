"""A seeded stream of commands through the distributed deployment's gateway, for the failure
tests and the distributed benchmark.

A brand of the run's own, with customers who chose email and/or SMS (so agents' replies go out
on both channels) and an agent of every department. Each worker is one customer working on its
own tickets: it opens tickets (a few with an uploaded receipt), writes, and lets the agent reply,
write internal notes, read, close, reopen, transfer and reassign them. Every HTTP call is one
command. A 502/503/504 or a broken connection (a service killed or restarting) is retried until
it is accepted; any other refusal is recorded, and the tests expect none.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from ticketing_notifications.application.ports import Preferences
from ticketing_tickets.settings import DEV_JWT_SECRET
from ticketing_web.auth import mint_token

DEPARTMENTS = ("technical", "finance", "refunds")
TITLES = ("خطا در ارسال پیامک انبوه", "فاکتور اسفند صادر نشده", "درخواست بازگشت وجه")
BODIES = (
    "سلام، پنل کار نمی‌کند",
    "پرداخت ناموفق بود؛ شماره‌ی سفارش ۴۵۸۲۱",
    "ممنون از پیگیری شما",
    "بررسی شد، لطفاً دوباره امتحان کنید",
)
RECEIPT = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
RETRYABLE = frozenset({502, 503, 504})
RETRY_FOR_SECONDS = 120.0


@dataclass(frozen=True)
class People:
    """Who acts in one run: a brand of its own, its customers with their channels, an agent."""

    brand: str
    customers: dict[str, Preferences]
    customer_headers: dict[str, dict[str, str]]
    agent: dict[str, str]
    admin: dict[str, str]


def people(customers: int = 8, *, brand: str | None = None) -> People:
    """Customers alternate email+SMS, email only, SMS only, in-app only."""
    brand = brand or f"fail_{secrets.token_hex(4)}"

    def bearer(role: str, sub: str) -> dict[str, str]:
        token = mint_token(
            secret=DEV_JWT_SECRET,
            sub=sub,
            role=role,  # type: ignore[arg-type]
            brand=brand,
            ttl_seconds=4 * 3600,
            now=int(time.time()),
        )
        return {"Authorization": f"Bearer {token}"}

    chosen: dict[str, Preferences] = {}
    for n in range(customers):
        email, sms = [(True, True), (True, False), (False, True), (False, False)][n % 4]
        chosen[f"cust-{n}"] = Preferences(
            email=email,
            sms=sms,
            in_app=True,
            email_address=f"cust-{n}@example.com" if email else None,
            phone=f"+98912{n:07d}" if sms else None,
        )
    return People(
        brand=brand,
        customers=chosen,
        customer_headers={c: bearer("customer", c) for c in chosen},
        agent=bearer("agent", "agent-1"),
        admin=bearer("admin", "admin-1"),
    )


async def save_preferences(http: httpx.AsyncClient, cast: People) -> None:
    """Each customer's channels, before any of their tickets (the consumer reads them when it
    decides)."""
    for customer, p in cast.customers.items():
        body = {
            "email": p.email,
            "sms": p.sms,
            "in_app": p.in_app,
            "email_address": p.email_address,
            "phone": p.phone,
        }
        response = await http.put(
            "/v1/notifications/preferences", json=body, headers=cast.customer_headers[customer]
        )
        assert response.status_code == 200, response.text


@dataclass
class Ack:
    """One accepted command: when it was sent and answered, and the position it wrote (0 for
    an upload, which writes no event)."""

    sent: float
    answered: float
    position: int


@dataclass
class Load:
    """What the workers did."""

    total: int
    issued: int = 0
    acks: list[Ack] = field(default_factory=list)
    refused: list[tuple[str, int, str]] = field(default_factory=list)
    retries: int = 0
    tickets: dict[str, str] = field(default_factory=dict)  # ticket id -> customer
    versions: dict[str, int] = field(default_factory=dict)  # ticket id -> last acked version
    attachments: dict[str, str] = field(default_factory=dict)  # attachment id -> ticket id

    @property
    def done(self) -> int:
        return len(self.acks) + len(self.refused)

    @property
    def last_position(self) -> int:
        return max((a.position for a in self.acks), default=0)

    async def reached(self, commands: int) -> None:
        """Until `commands` commands are done (or the load is over)."""
        while self.done < min(commands, self.total):  # noqa: ASYNC110 - workers count up
            await asyncio.sleep(0.005)


class _Pacer:
    """Hands out command slots: at `rate` per second from the start, or at once without one."""

    def __init__(self, load: Load, rate: float | None) -> None:
        self._load = load
        self._rate = rate
        self._start = time.monotonic()

    async def next(self) -> bool:
        load = self._load
        if load.issued >= load.total:
            return False
        slot = load.issued
        load.issued += 1
        if self._rate:
            delay = self._start + slot / self._rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        return True


async def run_commands(
    gateway_url: str,
    cast: People,
    commands: int,
    *,
    seed: int,
    workers: int = 8,
    rate: float | None = None,
    attachments: bool = True,
    load: Load | None = None,
) -> Load:
    """Issue `commands` commands through the gateway with `workers` customers at once (at
    `rate` per second, or as fast as they are answered); `load` (when given) shows the
    progress to others meanwhile."""
    load = load or Load(total=commands)
    load.total = commands
    pacer = _Pacer(load, rate)
    names = list(cast.customers)
    limits = httpx.Limits(max_connections=workers * 2)
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30, limits=limits) as http:
        team = [
            _Worker(http, cast, names[n % len(names)], load, random.Random(f"{seed}/{n}"))
            for n in range(workers)
        ]
        await asyncio.gather(*(worker.run(pacer, attachments=attachments) for worker in team))
    return load


class _Worker:
    def __init__(
        self, http: httpx.AsyncClient, cast: People, customer: str, load: Load, rng: random.Random
    ) -> None:
        self.http = http
        self.cast = cast
        self.me = cast.customer_headers[customer]
        self.customer = customer
        self.load = load
        self.rng = rng
        self.mine: list[str] = []

    async def run(self, pacer: _Pacer, *, attachments: bool) -> None:
        pending_receipt: str | None = None
        while await pacer.next():
            rng = self.rng
            if attachments and pending_receipt is None and rng.random() < 0.02:
                pending_receipt = await self._upload()
            elif not self.mine or rng.random() < 0.15 or pending_receipt is not None:
                await self._open(pending_receipt)
                pending_receipt = None
            else:
                await self._act(rng.choice(self.mine))

    async def _upload(self) -> str | None:
        files = {"file": ("رسید واریز.pdf", RECEIPT, "application/pdf")}
        body = await self._send("upload", "POST", "/v1/attachments", self.me, files=files)
        return None if body is None else str(body["attachment_id"])

    async def _open(self, receipt: str | None) -> None:
        rng = self.rng
        new: dict[str, Any] = {
            "title": rng.choice(TITLES),
            "department": rng.choice(DEPARTMENTS),
            "priority": rng.choice(("low", "normal", "high")),
            "body": rng.choice(BODIES),
        }
        if receipt is not None:
            new["attachment_ids"] = [receipt]
        body = await self._send("open", "POST", "/v1/tickets", self.me, json=new)
        if body is not None:
            ticket = str(body["ticket_id"])
            self.mine.append(ticket)
            self.load.tickets[ticket] = self.customer
            if receipt is not None:
                self.load.attachments[receipt] = ticket

    async def _act(self, ticket: str) -> None:
        rng, me, agent = self.rng, self.me, self.cast.agent
        path = f"/v1/tickets/{ticket}"
        match rng.choices(range(8), weights=(20, 25, 5, 10, 10, 10, 8, 12))[0]:
            case 0:
                await self._send("reply", "POST", f"{path}/messages", me, json=_says(rng))
            case 1:
                reply = {**_says(rng), "follow_up": rng.random() < 0.3}
                await self._send("answer", "POST", f"{path}/messages", agent, json=reply)
            case 2:
                note = {"body": "یادداشت داخلی برای تیم مالی", "internal": True}
                await self._send("note", "POST", f"{path}/messages", agent, json=note)
            case 3:
                await self._send("read", "POST", f"{path}/read", me)
            case 4:
                await self._send("view", "POST", f"{path}/read", agent)
            case 5:
                await self._send("close", "POST", f"{path}/close", agent, json={})
            case 6:
                who = rng.choice((me, agent))
                await self._send("reopen", "POST", f"{path}/reopen", who)
            case _:
                change = {
                    "department": rng.choice(DEPARTMENTS),
                    "priority": rng.choice(("low", "normal", "high", "urgent")),
                    "assignee_id": rng.choice((None, "agent-1", "agent-2")),
                }
                await self._send("change", "PATCH", path, agent, json=change)

    async def _send(
        self, what: str, method: str, path: str, headers: dict[str, str], **kwargs: Any
    ) -> dict[str, Any] | None:
        """The accepted answer's body (retrying while a service is away), else None."""
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        while True:
            sent = time.monotonic()
            status, text = 0, ""
            with contextlib.suppress(httpx.TransportError):
                response = await self.http.request(method, path, headers=headers, **kwargs)
                status, text = response.status_code, response.text
                if response.is_success:
                    body: dict[str, Any] = response.json()
                    self._acked(sent, body, path)
                    return body
            if (status and status not in RETRYABLE) or time.monotonic() > deadline:
                self.load.refused.append((f"{what} {method} {path}", status, text[:300]))
                return None
            self.load.retries += 1
            await asyncio.sleep(0.2)

    def _acked(self, sent: float, body: dict[str, Any], path: str) -> None:
        position = int(body.get("position", 0))
        self.load.acks.append(Ack(sent, time.monotonic(), position))
        if "version" in body:
            ticket = str(body.get("ticket_id") or path.split("/")[3])
            self.load.versions[ticket] = max(self.load.versions.get(ticket, 0), body["version"])


def _says(rng: random.Random) -> dict[str, Any]:
    return {"body": rng.choice(BODIES)}
