"""Notification latency: an agent's reply to the customer's in-app notification on its SSE stream.

Goal: p99 of (SSE event arrives - the reply's HTTP response arrives) is at most 100 ms, embedded.

- Server: `ticketing run` (embedded: tickets, query, attachments, notifications in one process)
  in a subprocess, as in bench/http_bench.py: a fresh TICKETING_DATA_DIR under `<repo>/var` (or
  BENCH_TMPDIR), deleted afterwards, TICKETING_LOG_LEVEL=WARNING, every other setting at its
  default (so the SSE poll is 1 s: a stream that is not woken by the in-process signal would show
  up as ~1 s latencies).
- Setup: `customers` (20) customers each open one ticket (which notifies the department, not the
  customer). Then each customer opens `GET /v1/notifications/stream?access_token=<its token>` on
  its own connection (a minimal asyncio reader of the chunked SSE body); a stream counts as open
  once its first line (`retry: 1000`) has arrived.
- Load: one agent (no department claim: all departments) replies to the tickets round-robin,
  open-loop at `rate` (20/s) for `warmup` (2 s) + `duration` (15 s), each reply on a free
  keep-alive connection of bench/query_bench.py's pool; so each ticket gets a reply every
  `customers / rate` seconds. After the last one the streams are read for `drain` (3 s) more.
- Matching: per ticket, replies ordered by the `position` their responses carry, SSE events of
  that ticket on its customer's stream in arrival order; the k-th event is the k-th reply's.
  Latency = event arrival - reply response arrival (can be negative: the event may beat the
  response), and event arrival - reply request sent. Replies sent during the warm-up count for
  delivery (missing/duplicates) but not for latency.
- Checks: every reply yields exactly one event on its customer's stream and nowhere else; an
  event beyond the replies of its ticket is an extra, a notification id seen twice a duplicate,
  an event on a stream whose customer does not own the ticket a misdelivery. The kinds seen are
  counted. Server CPU over the measured window; the bench process's CPU too.

Run alone: `.venv/bin/python -m bench.notifications_bench [--customers 20] [--rate 20]
[--duration 15]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.http_bench import (
    BRAND,
    LOG_LEVEL,
    REPO,
    Server,
    _cpu_seconds,
    _json,
    _server_env,
    _serving,
)
from bench.query_bench import Pool, _auth

CUSTOMERS = 20
RATE = 20.0
WARMUP_S = 2.0
DURATION_S = 15.0
DRAIN_S = 3.0

TITLE = "پنل پیامکی از دیروز پیامک ارسال نمی‌کند"
BODY = "سلام، از دیروز عصر هیچ پیامکی از پنل ارسال نمی‌شود. لطفاً بررسی کنید."
REPLY = "درخواست شما به واحد فنی ارجاع شد و به زودی بررسی می‌شود."


def _stats(values: Sequence[float]) -> dict[str, float]:
    if len(values) < 2:
        nan = float("nan")
        return {"p50_ms": nan, "p99_ms": nan, "max_ms": nan, "min_ms": nan}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "max_ms": max(values) * 1000,
        "min_ms": min(values) * 1000,
    }


@dataclass
class Event:
    arrived: float
    notification_id: str
    item: dict[str, Any]


@dataclass
class Stream:
    """One customer's SSE stream: events as they arrive, with their arrival times."""

    customer: str
    token: str
    port: int
    events: list[Event] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    status: int = 0
    error: str = ""
    comments: int = 0
    writer: asyncio.StreamWriter | None = None

    async def run(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a broken stream is a figure, not a crash
            self.error = repr(exc)
        finally:
            self.ready.set()

    async def _run(self) -> None:
        reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(
            b"GET /v1/notifications/stream?access_token=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
            b"Accept: text/event-stream\r\n\r\n" % (self.token.encode(), self.port)
        )
        head = await reader.readuntil(b"\r\n\r\n")
        self.status = int(head[9:12])
        lines = [line.lower() for line in head.split(b"\r\n")]
        if self.status != 200:
            self.error = head.decode(errors="replace")
            return
        if b"transfer-encoding: chunked" not in lines:
            raise RuntimeError(f"expected a chunked SSE body: {head!r}")
        text = b""
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            arrived = time.perf_counter()
            if size == 0:
                self.error = "the server ended the stream"
                return
            text += chunk[:-2]
            while b"\n\n" in text:
                block, text = text.split(b"\n\n", 1)
                self._block(block.decode(), arrived)

    def _block(self, block: str, arrived: float) -> None:
        ident, data = "", []
        for line in block.split("\n"):
            if line.startswith(":"):
                self.comments += 1
            elif line.startswith("id:"):
                ident = line[3:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            elif line.startswith("retry:"):
                self.ready.set()
        if data:
            self.events.append(Event(arrived, ident, json.loads("\n".join(data))))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@dataclass
class Reply:
    ticket_id: str
    sent: float
    answered: float = 0.0
    position: int = -1
    status: int = 0


def _tokens(customers: int) -> tuple[list[tuple[str, str]], str]:
    from ticketing_tickets.settings import DEV_JWT_SECRET
    from ticketing_web.auth import mint_token

    now = int(time.time())

    def token(sub: str, role: Any) -> str:
        return mint_token(
            secret=DEV_JWT_SECRET, sub=sub, role=role, brand=BRAND, ttl_seconds=7200, now=now
        )

    people = [(f"bench-notif-cust-{i:03d}", "") for i in range(customers)]
    people = [(sub, token(sub, "customer")) for sub, _ in people]
    return people, token("bench-notif-agent-1", "agent")


async def _open_tickets(pool: Pool, people: list[tuple[str, str]]) -> dict[str, str]:
    """ticket id -> customer sub; one ticket per customer, 8 at a time."""
    owners: dict[str, str] = {}
    queue = list(people)

    async def worker() -> None:
        conn = await pool.take()
        while queue:
            sub, token = queue.pop()
            body = _json(
                {"title": TITLE, "department": "technical", "priority": "normal", "body": BODY}
            )
            status, payload = await conn.request("/v1/tickets", _auth(token), body)
            if status != 201:
                raise RuntimeError(f"opening failed: {status} {payload[:300]!r}")
            owners[json.loads(payload)["ticket_id"]] = sub
        pool.give(conn)

    await asyncio.gather(*(worker() for _ in range(8)))
    return owners


async def _reply(pool: Pool, agent: str, reply: Reply, failures: list[str]) -> None:
    conn = await pool.take()
    try:
        reply.sent = time.perf_counter()
        status, payload = await conn.request(
            f"/v1/tickets/{reply.ticket_id}/messages", _auth(agent), _json({"body": REPLY})
        )
        reply.answered, reply.status = time.perf_counter(), status
        if status == 201:
            reply.position = json.loads(payload)["position"]
        elif len(failures) < 10:
            failures.append(f"reply {reply.ticket_id} -> {status}: {payload[:300]!r}")
        pool.give(conn)
    except Exception as exc:  # a failed request is a figure, not a crash
        reply.status = -1
        if len(failures) < 10:
            failures.append(f"reply {reply.ticket_id} -> {exc!r}")
        await conn.close()


def _match(
    replies: list[Reply], streams: list[Stream], owners: dict[str, str], measure_from: float
) -> dict[str, Any]:
    by_ticket: dict[str, list[Reply]] = defaultdict(list)
    for reply in replies:
        if reply.status == 201:
            by_ticket[reply.ticket_id].append(reply)
    for values in by_ticket.values():
        values.sort(key=lambda r: r.position)
    events: dict[str, list[Event]] = defaultdict(list)
    kinds: Counter[str] = Counter()
    ids: Counter[str] = Counter()
    misdelivered = 0
    for stream in streams:
        for event in stream.events:
            ticket = str(event.item.get("ticket_id"))
            kinds[str(event.item.get("kind"))] += 1
            ids[event.notification_id] += 1
            if owners.get(ticket) != stream.customer:
                misdelivered += 1
                continue
            events[ticket].append(event)
    after_response: list[float] = []
    after_request: list[float] = []
    missing = extra = 0
    for ticket in owners:
        sent, got = by_ticket.get(ticket, []), events.get(ticket, [])
        missing += max(0, len(sent) - len(got))
        extra += max(0, len(got) - len(sent))
        for reply, event in zip(sent, got, strict=False):
            if reply.sent >= measure_from:
                after_response.append(event.arrived - reply.answered)
                after_request.append(event.arrived - reply.sent)
    return {
        "replies_ok": sum(len(v) for v in by_ticket.values()),
        "events": sum(len(s.events) for s in streams),
        "measured": len(after_response),
        "response_to_sse": _stats(after_response),
        "request_to_sse": _stats(after_request),
        "over_1s": sum(x > 1.0 for x in after_response),
        "missing": missing,
        "extra": extra,
        "duplicate_ids": sum(n - 1 for n in ids.values() if n > 1),
        "misdelivered": misdelivered,
        "kinds": dict(kinds),
    }


async def _drive(
    server: Server, customers: int, rate: float, warmup: float, duration: float, drain: float
) -> dict[str, Any]:
    assert server.proc is not None
    people, agent = _tokens(customers)
    pool = Pool(server.port)
    streams = [Stream(sub, token, server.port) for sub, token in people]
    readers: list[asyncio.Task[None]] = []
    try:
        owners = await _open_tickets(pool, people)
        readers = [asyncio.create_task(s.run()) for s in streams]
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in streams)), 30)
        broken = [f"{s.customer}: {s.status} {s.error}" for s in streams if s.error]
        if broken:
            raise RuntimeError(f"streams did not open: {broken[:3]}")
        tickets = list(owners)
        replies: list[Reply] = []
        failures: list[str] = []
        tasks: set[asyncio.Task[None]] = set()
        slips: list[float] = []
        start = time.perf_counter()
        measure_from, measure_to = start + warmup, start + warmup + duration
        cpu0 = wall0 = 0.0
        client0 = 0.0
        n = 0
        while (due := start + n / rate) < measure_to:
            now = time.perf_counter()
            if due > now:
                await asyncio.sleep(due - now)
            fired = time.perf_counter()
            if cpu0 == 0.0 and fired >= measure_from:
                cpu0, wall0, client0 = _cpu_seconds(server.proc.pid), fired, time.process_time()
            if fired >= measure_from:
                slips.append(fired - due)
            reply = Reply(tickets[n % len(tickets)], fired)
            replies.append(reply)
            task = asyncio.create_task(_reply(pool, agent, reply, failures))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        cpu1, client1 = _cpu_seconds(server.proc.pid), time.process_time()
        wall1 = time.perf_counter()
        if tasks:
            await asyncio.wait(tasks, timeout=15)
        await asyncio.sleep(drain)
        statuses = Counter(str(r.status) for r in replies)
        result = _match(replies, streams, owners, measure_from)
        result |= {
            "replies_sent": len(replies),
            "replies_per_s": len(replies) / (warmup + duration),
            "reply_statuses": dict(statuses),
            "reply_errors": sum(n for s, n in statuses.items() if s != "201"),
            "reply": _stats([r.answered - r.sent for r in replies if r.status == 201]),
            "schedule_slip_p99_ms": _stats(slips)["p99_ms"],
            "failures": failures,
            "streams": len(streams),
            "streams_broken": [f"{s.customer}: {s.error}" for s in streams if s.error],
            "heartbeats": sum(s.comments for s in streams),
            "connections": pool.made,
            "server_cpu_pct": 100 * (cpu1 - cpu0) / (wall1 - wall0),
            "client_cpu_pct": 100 * (client1 - client0) / (wall1 - wall0),
        }
        return result
    finally:
        for s in streams:
            s.close()
        for task in readers:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*readers, return_exceptions=True)
        await pool.close()


def run(
    customers: int = CUSTOMERS,
    rate: float = RATE,
    warmup: float = WARMUP_S,
    duration: float = DURATION_S,
    drain: float = DRAIN_S,
) -> dict[str, Any]:
    import uvloop
    from ticketing_tickets.settings import DEV_JWT_SECRET

    base = Path(os.environ.get("BENCH_TMPDIR") or REPO / "var")
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-notifications-", dir=base))
    try:
        server = Server(
            "embedded app (ticketing run)",
            [sys.executable, "-m", "ticketing.cli", "run", "--host", "127.0.0.1", "--port", "0"],
            _server_env(
                TICKETING_DATA_DIR=str(scratch / "data"),
                TICKETING_LOG_LEVEL=LOG_LEVEL,
                TICKETING_JWT_SECRET=DEV_JWT_SECRET,
            ),
            scratch / "embedded.log",
        )
        with _serving(server), asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            figures = runner.run(_drive(server, customers, rate, warmup, duration, drain))
        lines = server.log_lines()
        figures["server_log_lines"] = len(lines)
        if lines:
            figures["server_log_tail"] = lines[-20:]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    figures["method"] = {
        "customers": customers,
        "rate_per_s": rate,
        "warmup_s": warmup,
        "duration_s": duration,
        "drain_s": drain,
        "scratch_under": str(base),
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.notifications_bench", description=__doc__)
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    parser.add_argument("--rate", type=float, default=RATE)
    parser.add_argument("--warmup", type=float, default=WARMUP_S)
    parser.add_argument("--duration", type=float, default=DURATION_S)
    parser.add_argument("--drain", type=float, default=DRAIN_S)
    args = parser.parse_args(argv)
    figures = run(args.customers, args.rate, args.warmup, args.duration, args.drain)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
