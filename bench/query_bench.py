"""The query side: list and counter latency on a large read model, and write-to-visible lag.

Goals (issue 3): with 100k tickets in the read model, `list` and `counters` answer with a p99 of
at most 20 ms each; under a steady 200 commands/s, a command's effect is visible to a read that
asks for it (`X-Min-Position`) within 50 ms at the p99.

Part 1, the read model (the port, `SqliteReadModel`, no HTTP):
- Fill: a fresh `query.db` in a scratch directory under `<repo>/var` (or BENCH_TMPDIR), deleted
  afterwards. 100k tickets of one brand, ~5k customers (skewed: a few customers hold a thousand
  tickets, most a handful), 6 departments (weighted), opened over a year. Each ticket's history
  (opening, agent views, replies both ways, reads, internal notes, transfers, assignments,
  priority changes, closing; older tickets mostly closed, the newest often cut short, so unread
  on either side) is generated as `EventIn`s and folded with the real `fold` and the real search
  `tokens`; the resulting views and messages are applied as `ProjectionBatch`es of 5,000
  tickets. Titles and bodies are Persian, from a few dozen sentences plus order numbers.
- Queries, each `samples` (1,000) times after 50 untimed calls, with a random caller each time
  (seeded): a customer's first page (limit 21: the HTTP layer asks for one more than its page of
  20), an agent's first page for one department and for all departments, a page deep in a keyset
  walk (a cursor at a random rank 1,000..50,000 of all departments, or 500..10,000 of one
  department), `unread=true` (a customer's, a department agent's), a search (`terms`: a
  customer's, and across all departments), and `counters` for a customer, a one-department agent
  and an admin. Each call is `await read_model.list(...)`/`counters(...)` as the HTTP layer makes
  it, including the hop to a reader thread. p50/p99/max per query, the mean number of rows, and
  the `EXPLAIN QUERY PLAN` of each list query for one representative caller.

Part 2, lag over HTTP: `ticketing run` (embedded: tickets, query, projector in one process) in a
subprocess with a fresh TICKETING_DATA_DIR and TICKETING_LOG_LEVEL=WARNING. 200 tickets are
opened first (200 customers, 16 at a time). Then an open-loop scheduler fires commands at fixed
intervals (200/s for 2 s of warm-up + 20 s), each on a connection from a pool (a new keep-alive
connection when none is free): 30% agent replies (a fifth of them internal notes, a third
follow-ups), 25% customer replies, 25% reads (half each side), 20% new tickets, on random tickets
of ~1,000 customers. As soon as a command's response arrives, the same connection sends
`GET /v1/tickets/{id}` as the same caller with `X-Min-Position: <position from the response>`;
lag = arrival of that GET's response - arrival of the command's. The GET's `version` is checked
against the command's (a smaller one is a stale read). Then the baseline: the same load for 10 s
with the GET sent without the header (so it is the plain detail latency under the same load).
Finally, if not skipped, `GET /v1/tickets` and `/v1/counters` over HTTP on that small data set,
one request at a time.

The HTTP pieces (server process, tokens, the raw keep-alive client) are bench/http_bench.py's.

Part 3, the larger sizes of issue 12 (`bench/query_scale.py`: 1M tickets in one brand, 100
brands of 10k) and part 4, `/v1/events` of a small brand among a million events
(`bench/history_bench.py`); their docstrings are their method.

Run alone: `.venv/bin/python -m bench.query_bench [--tickets 100000] [--samples 1000]
[--duration 20] [--rate 200] [--no-http] [--sizes 1m,100x10k|none] [--no-history]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from bench.http_bench import (
    BRAND,
    LOG_LEVEL,
    REPO,
    RawConnection,
    Server,
    _cpu_seconds,
    _json,
    _server_env,
    _serving,
)

TICKETS = 100_000
CUSTOMERS = 5_000
SAMPLES = 1_000
WARM_CALLS = 50
BATCH_TICKETS = 5_000
RATE = 200.0
WARMUP_S = 2.0
DURATION_S = 20.0
BASELINE_S = 10.0
HTTP_CUSTOMERS = 1_000
HTTP_OPENED = 200

#: Department codes (the seeds' defaults) with how often a ticket goes to each.
DEPARTMENTS = {
    "technical": 35,
    "finance": 20,
    "upgrade": 15,
    "refunds": 10,
    "documents": 10,
    "feedback": 10,
}
PRIORITIES = ("low", "normal", "normal", "normal", "high", "urgent")
REQUEST_TYPES = ("technical", "financial", "general", "complaint")
TITLES = (
    "پنل پیامکی از دیروز پیامک ارسال نمی‌کند",
    "فاکتور اسفند صادر نشده است",
    "درخواست بازگشت وجه سفارش",
    "خطای درگاه پرداخت هنگام تمدید سرویس",
    "درخواست ارتقای سرویس میزبانی",
    "تغییر شماره تماس حساب کاربری",
    "ارسال مدارک احراز هویت",
    "پیشنهاد برای بهبود اپلیکیشن موبایل",
    "کد تایید ورود دریافت نمی‌شود",
    "قطعی سرور از بامداد امروز",
    "درخواست پیش فاکتور ارتقای پنل",
    "کسر مبلغ از حساب بدون ثبت سفارش",
    "مشکل در اتصال به ایمیل سازمانی",
    "گواهی امنیتی دامنه منقضی شده",
    "انتقاد از زمان پاسخگویی پشتیبانی",
    "درخواست تمدید قرارداد سالانه",
)
SENTENCES = (
    "سلام، از دیروز عصر هیچ پیامکی از پنل ارسال نمی‌شود.",
    "مشتریان ما کد تایید ورود را دریافت نمی‌کنند.",
    "اعتبار حساب کافی است و خطایی هم در گزارش‌ها دیده نمی‌شود.",
    "پرداخت ناموفق بود ولی مبلغ از حسابم کسر شد.",
    "لطفاً پیش فاکتور ارتقا به پلن سازمانی را بفرستید.",
    "فاکتور رسمی با کد اقتصادی شرکت لازم داریم.",
    "مدارک خواسته شده را پیوست کردم، لطفاً بررسی کنید.",
    "سرور از ساعت سه بامداد در دسترس نیست و سایت بالا نمی‌آید.",
    "گواهی امنیتی دامنه دیروز منقضی شد و مرورگرها هشدار می‌دهند.",
    "لطفاً بررسی کنید و نتیجه را اطلاع دهید.",
    "ممنون از پیگیری شما.",
    "مشکل برطرف شد، لطفاً دوباره امتحان کنید.",
    "درخواست شما به واحد فنی ارجاع شد و به زودی بررسی می‌شود.",
    "مبلغ تا ۷۲ ساعت کاری به حساب شما بازگردانده می‌شود.",
    "برای ادامه، تصویر کارت ملی و آخرین قبض را ارسال کنید.",
    "تنظیمات ایمیل را مطابق راهنمای پیوست تغییر دهید.",
    "زمان پاسخگویی بسیار طولانی است و از این وضعیت راضی نیستیم.",
)
NOTES = (
    "مشتری ویژه است، با اولویت پیگیری شود.",
    "لاگ سرور بررسی شد؛ مشکل از سمت اپراتور است.",
    "با واحد مالی هماهنگ شد.",
)
#: What people type in the search box (`{order}`: an order number, `{code}`: a tracking code).
SEARCHES = (
    "پیامک",
    "فاکتور اسفند",
    "درگاه پرداخت",
    "بازگشت وجه",
    "کد تایید",
    "سرور",
    "پیش",
    "گواهی امنیتی",
    "ایمیل سازمانی",
    "سفارش {order}",
    "{code}",
    "{order}",
)


# --- part 1: the read model -----------------------------------------------------------------


@dataclass
class Filled:
    """What the fill made, kept for choosing callers and cursors."""

    views: list[Any]
    customers: list[str]
    order_numbers: list[str]
    events: int
    messages: int
    seconds: float
    by_department: dict[str, int] = field(default_factory=dict)
    last_position: int = 0


def _conversation(rng: random.Random, n: int, total: int) -> list[tuple[str, dict[str, Any], str]]:
    """(event type, data, author side) of one ticket's history, oldest first."""
    age = 1 - n / total  # 0: the newest ticket, 1: the oldest
    order = f"{rng.randrange(10_000, 99_999)}"
    by_customer = rng.random() < 0.95
    body = " ".join(rng.sample(SENTENCES, rng.randint(1, 3)))
    if rng.random() < 0.3:
        body += f" شماره‌ی سفارش {order}"
    steps: list[tuple[str, dict[str, Any], str]] = [
        (
            "TicketOpened",
            {
                "title": rng.choice(TITLES),
                "body": body,
                "opened_by_side": "customer" if by_customer else "agent",
                "order": order,
            },
            "customer" if by_customer else "agent",
        )
    ]

    def message(side: str, *, internal: bool = False, follow_up: bool = False) -> None:
        text = rng.choice(NOTES) if internal else " ".join(rng.sample(SENTENCES, rng.randint(1, 2)))
        data = {"body": text, "internal": internal, "follow_up": follow_up, "author_side": side}
        steps.append(("MessagePosted", data, side))

    for turn in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
        if rng.random() < 0.9:
            steps.append(("AgentViewed", {}, "agent"))
        if turn == 0 and rng.random() < 0.4:
            steps.append(("TicketAssigned", {"assignee_id": f"agent-{rng.randrange(40)}"}, "agent"))
        if turn == 0 and rng.random() < 0.05:
            to = rng.choices(list(DEPARTMENTS), list(DEPARTMENTS.values()))[0]
            steps.append(("TicketTransferred", {"to_department": to}, "agent"))
        if rng.random() < 0.05:
            steps.append(("PriorityChanged", {"to_priority": rng.choice(PRIORITIES)}, "agent"))
        if rng.random() < 0.1:
            message("agent", internal=True)
        if rng.random() < 0.85:
            message("agent", follow_up=rng.random() < 0.3)
        if rng.random() < 0.8:
            steps.append(("CustomerRead", {}, "customer"))
        if rng.random() < 0.6:
            message("customer")
    if age > 0.03:
        if rng.random() < 0.85:
            if rng.random() < 0.95:  # the agent closing it has usually looked at it first
                steps.append(("AgentViewed", {}, "agent"))
            steps.append(("TicketClosed", {}, "agent"))
            if rng.random() < 0.03:
                steps.append(("TicketReopened", {}, "customer"))
                message("customer")
    else:  # the newest 3%: conversations in progress, often cut short
        steps = steps[: rng.randint(1, len(steps))]
        if rng.random() < 0.25:
            steps.append(("TicketClosed", {}, "agent"))
    return steps


def _typed(event_type: str, data: dict[str, Any]) -> Any:
    """The generated data as the event's typed model, fields the fold never reads left blank."""
    from ticketing_contracts import EVENT_MODELS

    model = EVENT_MODELS[event_type]
    blank: dict[str, Any] = {"attachment_ids": [], "internal": False, "follow_up": False}
    return model.model_construct(**{f: data.get(f, blank.get(f)) for f in model.model_fields})


@dataclass(frozen=True, slots=True)
class Listed:
    """What the cases and figures read of a ticket: kept instead of its view at the larger sizes
    (a million views with their word sets would take gigabytes)."""

    brand_id: str
    ticket_id: str
    last_activity_at: datetime
    department: str
    customer_id: str
    tracking_code: str
    agent_state: Any
    customer_read: bool
    closed: bool

    @classmethod
    def of(cls, view: Any) -> Listed:
        return cls(
            view.brand_id,
            view.ticket_id,
            view.last_activity_at,
            view.department,
            view.customer_id,
            view.tracking_code,
            view.agent_state,
            view.customer_read,
            view.closed,
        )


async def fill(
    read_model: Any,
    tickets: int,
    customers: int,
    seed: int = 3,
    *,
    brand: str = BRAND,
    first_position: int = 0,
    keep_views: bool = True,
    distinct: int | None = None,
) -> Filled:
    """Generate, fold and apply `tickets` tickets of `brand` (see the module docstring); events
    are numbered from `first_position` + 1. Without `keep_views`, `Filled.views` holds `Listed`
    records instead of the views. With `distinct`, only about that many histories are generated
    and folded, evenly through the year; every other ticket is a copy of the last one folded
    (so of the same age) under its own id, tracking code (in its words too), customer and time,
    without messages (lists, searches and counters never read them): the larger sizes then fill
    in minutes instead of an hour."""
    from dataclasses import replace

    from ticketing_query.application.ports import ProjectionBatch
    from ticketing_query.domain.search import tokens
    from ticketing_query.domain.view import EventIn, fold

    words = lru_cache(maxsize=65_536)(lambda text: tuple(tokens(text)))
    rng = random.Random(seed)
    started = time.perf_counter()
    year_start = datetime(2025, 3, 21, tzinfo=UTC)
    spread = timedelta(days=365) / tickets
    codes = rng.sample(range(10_000_000, 100_000_000), tickets)
    departments, weights = list(DEPARTMENTS), list(DEPARTMENTS.values())
    position, events, message_count = first_position, 0, 0
    views: list[Any] = []
    orders: list[str] = []
    stride = max(1, tickets // distinct) if distinct else 1
    base: Any = None
    for first in range(0, tickets, BATCH_TICKETS):
        batch_views, batch_messages = [], []
        for n in range(first, min(first + BATCH_TICKETS, tickets)):
            customer = f"cust-{int(customers * rng.random() ** 2):05d}"
            ticket_id = f"{rng.getrandbits(128):032x}"
            at = year_start + spread * n + timedelta(seconds=rng.randrange(600))
            if n % stride:
                shift = at - base.created_at
                position += base.version
                events += base.version
                orders.append(orders[-1])
                words_of_copy = base.public_words - {base.tracking_code} | {str(codes[n])}
                batch_views.append(
                    replace(
                        base,
                        brand_id=brand,
                        ticket_id=ticket_id,
                        tracking_code=str(codes[n]),
                        customer_id=customer,
                        created_at=at,
                        last_activity_at=base.last_activity_at + shift,
                        closed_at=None if base.closed_at is None else base.closed_at + shift,
                        position=position,
                        public_words=words_of_copy,
                    )
                )
                continue
            view = None
            steps = _conversation(rng, n, tickets)
            orders.append(steps[0][1]["order"])
            for version, (event_type, data, side) in enumerate(steps, start=1):
                position += 1
                actor = customer if side == "customer" else f"agent-{rng.randrange(40)}"
                if event_type == "TicketOpened":
                    data = {
                        **data,
                        "tracking_code": str(codes[n]),
                        "department": rng.choices(departments, weights)[0],
                        "request_type": rng.choice(REQUEST_TYPES),
                        "priority": rng.choice(PRIORITIES),
                        "customer_id": customer,
                        "attachment_ids": [],
                    }
                if event_type in ("TicketOpened", "MessagePosted"):
                    data = {**data, "message_id": f"{rng.getrandbits(128):032x}"}
                event = EventIn(
                    position=position,
                    brand_id=brand,
                    ticket_id=ticket_id,
                    stream_version=version,
                    occurred_at=at,
                    actor_id=actor,
                    actor_role=side,
                    event=_typed(event_type, data),
                )
                folded = fold(view, event, words)
                view = folded.view
                if folded.message is not None:
                    batch_messages.append(folded.message)
                at += timedelta(seconds=rng.expovariate(1 / 7200))
            events += len(steps)
            assert view is not None  # every history starts with its opening
            batch_views.append(view)
            base = view
        await read_model.apply(ProjectionBatch(batch_views, batch_messages, position))
        views += batch_views if keep_views else [Listed.of(v) for v in batch_views]
        message_count += len(batch_messages)
    return Filled(
        views=views,
        customers=sorted({v.customer_id for v in views}),
        order_numbers=orders,
        events=events,
        messages=message_count,
        seconds=time.perf_counter() - started,
        by_department=dict(Counter(v.department for v in views)),
        last_position=position,
    )


def _stats(latencies: Sequence[float]) -> dict[str, float]:
    if len(latencies) < 2:
        nan = float("nan")
        return {"p50_ms": nan, "p99_ms": nan, "max_ms": nan}
    cuts = statistics.quantiles(latencies, n=100)
    return {"p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000, "max_ms": max(latencies) * 1000}


@dataclass(frozen=True)
class Case:
    """One query kind: `make(rng)` draws a random caller's arguments."""

    name: str
    kind: str  # "list" | "counters"
    make: Callable[[random.Random], tuple[Any, ...]]


def _cases(filled: Filled, brand: str = BRAND) -> list[Case]:
    from ticketing_query.application.ports import Cursor, Scope, TicketFilter
    from ticketing_query.domain.search import query_terms

    views = filled.views
    order = sorted(views, key=lambda v: (v.last_activity_at, v.ticket_id), reverse=True)
    by_department: dict[str, list[Any]] = {}
    for v in order:
        by_department.setdefault(v.department, []).append(v)
    departments = list(DEPARTMENTS)
    no_filter = TicketFilter()

    def customer(rng: random.Random) -> Scope:
        return Scope(brand, "customer", customer_ids=frozenset([rng.choice(filled.customers)]))

    def agent(rng: random.Random) -> tuple[Scope, str]:
        department = rng.choice(departments)
        return Scope(brand, "agent", departments=frozenset([department])), department

    admin = Scope(brand, "agent")

    def cursor_at(ranked: list[Any], low: int, high: int, rng: random.Random) -> Cursor:
        v = ranked[rng.randrange(min(low, len(ranked) - 1), min(high, len(ranked)))]
        return Cursor(v.last_activity_at, v.ticket_id)

    def search(rng: random.Random) -> TicketFilter:
        text = rng.choice(SEARCHES).format(
            order=rng.choice(filled.order_numbers), code=rng.choice(views).tracking_code
        )
        return TicketFilter(terms=query_terms(text))

    unread = TicketFilter(unread=True)
    return [
        Case("list_customer_first_page", "list", lambda r: (customer(r), no_filter, None)),
        Case("list_agent_department", "list", lambda r: (agent(r)[0], no_filter, None)),
        Case("list_agent_all_departments", "list", lambda _: (admin, no_filter, None)),
        Case(
            "list_deep_cursor_all",
            "list",
            lambda r: (admin, no_filter, cursor_at(order, 1_000, 50_000, r)),
        ),
        Case(
            "list_deep_cursor_department",
            "list",
            lambda r: (
                (a := agent(r))[0],
                no_filter,
                cursor_at(by_department[a[1]], 500, 10_000, r),
            ),
        ),
        Case("list_unread_customer", "list", lambda r: (customer(r), unread, None)),
        Case("list_unread_agent_department", "list", lambda r: (agent(r)[0], unread, None)),
        Case("list_search_customer", "list", lambda r: (customer(r), search(r), None)),
        Case("list_search_all_departments", "list", lambda r: (admin, search(r), None)),
        Case("counters_customer", "counters", lambda r: (customer(r),)),
        Case("counters_agent_department", "counters", lambda r: (agent(r)[0],)),
        Case("counters_admin", "counters", lambda _: (admin,)),
    ]


async def _time_case(read_model: Any, case: Case, samples: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    latencies: list[float] = []
    cpu: list[float] = []
    rows = 0
    slowest: tuple[float, Any] = (0.0, None)
    for i in range(WARM_CALLS + samples):
        args = case.make(rng)
        started, cpu_started = time.perf_counter(), time.process_time()
        if case.kind == "list":
            found = await read_model.list(args[0], args[1], limit=21, after=args[2])
        else:
            found = await read_model.counters(args[0])
        took = time.perf_counter() - started
        if i >= WARM_CALLS:
            latencies.append(took)
            cpu.append(time.process_time() - cpu_started)
            rows += len(found) if case.kind == "list" else 1
            if took > slowest[0]:
                slowest = (took, args)
    cpu_stats = _stats(cpu)
    return {
        "samples": len(latencies),
        **_stats(latencies),
        # The process's CPU time per call (one call at a time: the query on its reader thread and
        # the event loop's hop): steadier than wall time when other programs share the cores.
        "cpu_p50_ms": cpu_stats["p50_ms"],
        "cpu_p99_ms": cpu_stats["p99_ms"],
        "mean_rows": rows / max(1, len(latencies)),
        "slowest_call": _describe(slowest[1]),
    }


def _describe(args: Any) -> str:
    if args is None:
        return ""
    scope = args[0]
    parts = [scope.side]
    if scope.customer_ids:
        parts.append(",".join(sorted(scope.customer_ids)))
    if scope.departments:
        parts.append(",".join(sorted(scope.departments)))
    if len(args) > 1:
        where = args[1]
        if where.unread is not None:
            parts.append(f"unread={where.unread}")
        if where.terms:
            parts.append("terms=" + " ".join(where.terms))
        if args[2] is not None:
            parts.append("after=" + args[2].last_activity_at.isoformat(timespec="seconds"))
    return " ".join(parts)


class _Recorder:
    """A stand-in connection that keeps the SQL a query function runs (for EXPLAIN)."""

    def __init__(self, real: sqlite3.Connection) -> None:
        self.real = real
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        self.statements.append((sql, tuple(params)))
        return self.real.execute(sql, params)


def _plans(path: Path, cases: list[Case], seed: int) -> dict[str, dict[str, Any]]:
    """EXPLAIN QUERY PLAN of each list case for one random caller."""
    from ticketing_query.adapters import readmodel_sqlite_queries as queries

    plans: dict[str, dict[str, Any]] = {}
    connection = sqlite3.connect(path)
    try:
        for case in cases:
            if case.kind != "list":
                continue
            args = case.make(random.Random(seed))
            recorder = _Recorder(connection)
            queries.tickets(recorder, args[0], args[1], 21, args[2])  # type: ignore[arg-type]
            # A search may run more than one statement (the plan chosen by what the first finds).
            steps = [
                {
                    "plan": [
                        row[3] for row in connection.execute("EXPLAIN QUERY PLAN " + sql, params)
                    ],
                    "sql": sql,
                }
                for sql, params in recorder.statements
            ]
            plans[case.name] = {"caller": _describe(args), **steps[-1], "statements": steps}
    finally:
        connection.close()
    return plans


async def read_model_part(
    scratch: Path, tickets: int, customers: int, samples: int, seed: int
) -> dict[str, Any]:
    from ticketing_query.adapters.readmodel_sqlite import SqliteReadModel

    path = scratch / "query.db"
    read_model = await SqliteReadModel(path).open()
    try:
        filled = await fill(read_model, tickets, customers, seed)
        print(
            f"[query] filled {tickets:,} tickets ({filled.events:,} events,"
            f" {filled.messages:,} messages) in {filled.seconds:.1f}s; timing queries ...",
            flush=True,
        )
        cases = _cases(filled)
        results: dict[str, Any] = {}
        for i, case in enumerate(cases):
            results[case.name] = await _time_case(read_model, case, samples, seed + i)
    finally:
        await read_model.close()
    plans = _plans(path, cases, seed)
    per_customer = Counter(v.customer_id for v in filled.views)
    lists = [r["p99_ms"] for n, r in results.items() if n.startswith("list_")]
    counts = [r["p99_ms"] for n, r in results.items() if n.startswith("counters_")]
    return {
        "tickets": tickets,
        "events": filled.events,
        "messages": filled.messages,
        "customers": len(filled.customers),
        "tickets_per_customer_max": max(per_customer.values()),
        "tickets_per_customer_median": statistics.median(per_customer.values()),
        "by_department": filled.by_department,
        "unread_agent_side": sum(v.agent_state.value == "not_seen" for v in filled.views),
        "unread_customer_side": sum(not v.customer_read for v in filled.views),
        "closed": sum(v.closed for v in filled.views),
        "fill_seconds": filled.seconds,
        "queries": results,
        "worst_list_p99_ms": max(lists),
        "worst_counters_p99_ms": max(counts),
        "plans": plans,
    }


# --- part 2: over HTTP ----------------------------------------------------------------------


class GetConnection(RawConnection):
    """http_bench's keep-alive connection, able to send GETs too."""

    async def get(self, path: str, headers: bytes) -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            await self.connect()
        assert self.reader is not None
        assert self.writer is not None
        self.writer.write(
            b"GET %s HTTP/1.1\r\n%s%s\r\n" % (path.encode(), self.host_header, headers)
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        # RawConnection.request reads its response the same way; it only sends POSTs.
        status, length = int(head[9:12]), 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length) if length else b""


class Pool:
    """Free connections, most recently used first; a new one whenever none is free (the load is
    open-loop). One idle for over 2 s is dropped: uvicorn closes keep-alive connections idle for
    5 s (`timeout_keep_alive`), and a request written just then would fail."""

    IDLE_S = 2.0

    def __init__(self, port: int) -> None:
        self.port = port
        self.free: list[tuple[GetConnection, float]] = []
        self.made = 0

    async def take(self) -> GetConnection:
        while self.free:
            conn, since = self.free.pop()
            if time.perf_counter() - since < self.IDLE_S:
                return conn
            await conn.close()
        self.made += 1
        conn = GetConnection("127.0.0.1", self.port)
        await conn.connect()
        return conn

    def give(self, conn: GetConnection) -> None:
        self.free.append((conn, time.perf_counter()))

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c, _ in self.free), return_exceptions=True)


def _auth(token: str, *, json_body: bool = True) -> bytes:
    kind = b"Content-Type: application/json\r\n" if json_body else b""
    return b"Authorization: Bearer %s\r\n%s" % (token.encode(), kind)


@dataclass
class Actors:
    customers: list[str]  # tokens, index = customer number
    agent: str
    admin: str


def _actors(count: int) -> Actors:
    from ticketing_tickets.settings import DEV_JWT_SECRET
    from ticketing_web.auth import mint_token

    now = int(time.time())

    def token(sub: str, role: Any) -> str:
        return mint_token(
            secret=DEV_JWT_SECRET, sub=sub, role=role, brand=BRAND, ttl_seconds=7200, now=now
        )

    return Actors(
        [token(f"bench-cust-{i:04d}", "customer") for i in range(count)],
        token("bench-agent-1", "agent"),
        token("bench-admin-1", "admin"),
    )


@dataclass
class Ticket:
    ticket_id: str
    customer: int


@dataclass
class LoadTally:
    measure_from: float
    measure_to: float
    lags: list[float] = field(default_factory=list)
    commands: dict[str, list[float]] = field(default_factory=dict)
    slips: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    stale: int = 0
    invisible: int = 0
    errors: int = 0
    fired: int = 0

    def fail(self, what: str) -> None:
        self.errors += 1
        if len(self.failures) < 10:
            self.failures.append(what)


def _open_body(rng: random.Random) -> bytes:
    return _json(
        {
            "title": rng.choice(TITLES),
            "department": rng.choice(list(DEPARTMENTS)),
            "priority": "normal",
            "body": " ".join(rng.sample(SENTENCES, 2)),
        }
    )


def _command(
    rng: random.Random, actors: Actors, tickets: list[Ticket]
) -> tuple[str, str, bytes, bytes, Ticket]:
    """(label, path, headers, body, ticket) of one random command (an opening's ticket id: "")."""
    roll = rng.random()
    if roll < 0.2:
        customer = rng.randrange(len(actors.customers))
        opening = Ticket("", customer)  # its id comes with the response
        return "open", "/v1/tickets", _auth(actors.customers[customer]), _open_body(rng), opening
    ticket = rng.choice(tickets)
    customer_token, path = actors.customers[ticket.customer], f"/v1/tickets/{ticket.ticket_id}"
    if roll < 0.5:
        internal = rng.random() < 0.2
        reply: dict[str, object] = {"body": rng.choice(NOTES if internal else SENTENCES)}
        reply["internal"] = internal
        if not internal:
            reply["follow_up"] = rng.random() < 0.33
        return "agent_reply", path + "/messages", _auth(actors.agent), _json(reply), ticket
    if roll < 0.75:
        body = _json({"body": rng.choice(SENTENCES)})
        return "customer_reply", path + "/messages", _auth(customer_token), body, ticket
    token = customer_token if roll < 0.875 else actors.agent
    return "read", path + "/read", _auth(token), b"", ticket


async def _one(
    pool: Pool,
    tally: LoadTally,
    command: tuple[str, str, bytes, bytes, Ticket],
    tickets: list[Ticket],
    *,
    wait_header: bool,
) -> None:
    label, path, headers, body, ticket = command
    conn = await pool.take()
    try:
        started = time.perf_counter()
        status, payload = await conn.request(path, headers, body)
        answered = time.perf_counter()
        counted = tally.measure_from <= started and answered <= tally.measure_to
        tally.statuses[f"{label} {status}"] += 1
        if not 200 <= status < 300:
            tally.fail(f"{label} {path} -> {status}: {payload[:300].decode(errors='replace')}")
            pool.give(conn)
            return
        written = json.loads(payload)
        if not ticket.ticket_id:
            ticket = Ticket(written["ticket_id"], ticket.customer)
            tickets.append(ticket)
        get_headers = headers.replace(b"Content-Type: application/json\r\n", b"")
        if wait_header:
            get_headers += b"X-Min-Position: %d\r\n" % written["position"]
        got, detail = await conn.get(f"/v1/tickets/{ticket.ticket_id}", get_headers)
        seen = time.perf_counter()
        tally.statuses[f"get {got}"] += 1
        if got == 200:
            tally.stale += json.loads(detail)["version"] < written["version"]
        elif got == 404 and label == "open" and not wait_header:
            tally.invisible += 1  # not projected yet: what X-Min-Position is for
        else:
            tally.fail(f"GET after {label} -> {got}: {detail[:300].decode(errors='replace')}")
        if counted:
            tally.commands.setdefault(label, []).append(answered - started)
            if got == 200 and seen <= tally.measure_to:
                tally.lags.append(seen - answered)
        pool.give(conn)
    except Exception as exc:  # a failed request is a figure, not a crash
        tally.statuses["exception"] += 1
        tally.fail(f"{label} {path} -> {exc!r}")
        await conn.close()


async def _open_first(pool: Pool, actors: Actors, count: int, rng: random.Random) -> list[Ticket]:
    tickets: list[Ticket] = []
    queue = list(range(count))

    async def worker() -> None:
        conn = await pool.take()
        while queue:
            customer = queue.pop()
            headers = _auth(actors.customers[customer])
            status, payload = await conn.request("/v1/tickets", headers, _open_body(rng))
            if status != 201:
                raise RuntimeError(f"opening failed: {status} {payload[:300]!r}")
            tickets.append(Ticket(json.loads(payload)["ticket_id"], customer))
        pool.give(conn)

    await asyncio.gather(*(worker() for _ in range(16)))
    return tickets


async def _load(
    server: Server,
    pool: Pool,
    actors: Actors,
    tickets: list[Ticket],
    *,
    rate: float,
    warmup: float,
    duration: float,
    wait_header: bool,
    seed: int,
) -> dict[str, Any]:
    """Fire commands at `rate`/s, open-loop, each followed by its GET; the figures."""
    assert server.proc is not None
    rng = random.Random(seed)
    start = time.perf_counter()
    tally = LoadTally(start + warmup, start + warmup + duration)
    tasks: set[asyncio.Task[None]] = set()
    cpu0 = wall0 = 0.0
    n = 0
    while True:
        due = start + n / rate
        if due >= tally.measure_to:
            break
        now = time.perf_counter()
        if due > now:
            await asyncio.sleep(due - now)
        fired = time.perf_counter()
        if cpu0 == 0.0 and fired >= tally.measure_from:
            cpu0, wall0 = _cpu_seconds(server.proc.pid), fired
        if fired >= tally.measure_from:
            tally.slips.append(fired - due)
            tally.fired += 1
        command = _command(rng, actors, tickets)
        task = asyncio.create_task(_one(pool, tally, command, tickets, wait_header=wait_header))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        n += 1
    cpu1, wall1 = _cpu_seconds(server.proc.pid), time.perf_counter()
    if tasks:
        await asyncio.wait(tasks, timeout=15)
    every = [x for values in tally.commands.values() for x in values]
    return {
        "commands_fired": tally.fired,
        "commands_per_s": len(every) / duration,
        "target_per_s": rate,
        "schedule_slip_p99_ms": _stats(tally.slips)["p99_ms"],
        "schedule_slip_max_ms": _stats(tally.slips)["max_ms"],
        "command": {"count": len(every), **_stats(every)},
        "by_command": {
            k: {"count": len(v), **_stats(v)} for k, v in sorted(tally.commands.items())
        },
        "get": {"count": len(tally.lags), **_stats(tally.lags)},
        # GETs whose ticket `version` is below the command's (with the header: must be 0)
        "stale_reads": tally.stale,
        "not_found_after_open": tally.invisible,
        "statuses": dict(tally.statuses),
        "errors": tally.errors,  # non-2xx commands, exceptions, unexpected GET statuses
        "failures": tally.failures,
        "connections": pool.made,
        "server_cpu_pct": 100 * (cpu1 - cpu0) / (wall1 - wall0),
    }


async def _http_queries(pool: Pool, actors: Actors, tickets: list[Ticket], samples: int) -> Any:
    """GET /v1/tickets and /v1/counters one at a time, on the small data set."""
    rng = random.Random(11)
    conn = await pool.take()
    cases: dict[str, Callable[[], Awaitable[tuple[int, bytes]]]] = {
        "list_customer": lambda: conn.get(
            "/v1/tickets", _auth(actors.customers[rng.choice(tickets).customer], json_body=False)
        ),
        "list_admin": lambda: conn.get("/v1/tickets", _auth(actors.admin, json_body=False)),
        "counters_customer": lambda: conn.get(
            "/v1/counters", _auth(actors.customers[rng.choice(tickets).customer], json_body=False)
        ),
        "counters_admin": lambda: conn.get("/v1/counters", _auth(actors.admin, json_body=False)),
    }
    out: dict[str, Any] = {}
    for name, call in cases.items():
        latencies, statuses = [], Counter[int]()
        for i in range(WARM_CALLS + samples):
            started = time.perf_counter()
            status, _ = await call()
            if i >= WARM_CALLS:
                latencies.append(time.perf_counter() - started)
                statuses[status] += 1
        out[name] = {"samples": samples, **_stats(latencies), "statuses": dict(statuses)}
    pool.give(conn)
    return out


async def _http_drive(
    server: Server, rate: float, warmup: float, duration: float, baseline: float, samples: int
) -> dict[str, Any]:
    actors = _actors(HTTP_CUSTOMERS)
    pool = Pool(server.port)
    try:
        tickets = await _open_first(pool, actors, HTTP_OPENED, random.Random(5))
        lag = await _load(
            server, pool, actors, tickets, rate=rate, warmup=warmup, duration=duration,
            wait_header=True, seed=6,
        )  # fmt: skip
        plain = await _load(
            server, pool, actors, tickets, rate=rate, warmup=warmup, duration=baseline,
            wait_header=False, seed=7,
        )  # fmt: skip
        queries = await _http_queries(pool, actors, tickets, samples) if samples else {}
    finally:
        await pool.close()
    return {"lag": lag, "baseline": plain, "queries": queries, "tickets_at_end": len(tickets)}


def http_part(
    scratch: Path, rate: float, warmup: float, duration: float, baseline: float, samples: int
) -> dict[str, Any]:
    import uvloop
    from ticketing_tickets.settings import DEV_JWT_SECRET

    data_dir = scratch / "data"
    server = Server(
        "embedded app (ticketing run)",
        [sys.executable, "-m", "ticketing.cli", "run", "--host", "127.0.0.1", "--port", "0"],
        _server_env(
            TICKETING_DATA_DIR=str(data_dir),
            TICKETING_LOG_LEVEL=LOG_LEVEL,
            TICKETING_JWT_SECRET=DEV_JWT_SECRET,
        ),
        scratch / "embedded.log",
    )
    with _serving(server), asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        result = runner.run(_http_drive(server, rate, warmup, duration, baseline, samples))
    lines = server.log_lines()
    result["server_log_lines"] = len(lines)
    if lines:
        result["server_log_tail"] = lines[-20:]
    return result


# --- both -----------------------------------------------------------------------------------


def run(
    tickets: int = TICKETS,
    customers: int = CUSTOMERS,
    samples: int = SAMPLES,
    rate: float = RATE,
    warmup: float = WARMUP_S,
    duration: float = DURATION_S,
    baseline: float = BASELINE_S,
    http: bool = True,
    seed: int = 3,
    sizes: list[str] | None = None,
    history: bool = True,
) -> dict[str, Any]:
    """Both parts at `tickets`, then the larger sizes (`query_scale`; None: its default sizes,
    or BENCH_QUERY_SIZES, where "none" skips them) and `/v1/events` (`history_bench`)."""
    import uvloop

    from bench import history_bench, query_scale

    base = Path(os.environ.get("BENCH_TMPDIR") or REPO / "var")
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-query-", dir=base))
    figures: dict[str, Any] = {}
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            figures["read_model"] = runner.run(
                read_model_part(scratch, tickets, customers, samples, seed)
            )
        files = scratch.glob("query.db*")
        figures["read_model"]["db_bytes"] = sum(p.stat().st_size for p in files)
        if http:
            print(f"[query] HTTP: {rate:g} commands/s for {warmup:g}+{duration:g}s ...", flush=True)
            figures["http"] = http_part(
                scratch, rate, warmup, duration, baseline, min(samples, 1000)
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if sizes is None:
        sizes = query_scale.sizes_from(os.environ.get("BENCH_QUERY_SIZES"))
    figures["scale"] = {
        size: query_scale.run_size(size, min(samples, 1000), seed, keep=None) for size in sizes
    }
    if history:
        figures["history"] = history_bench.run()
    figures["method"] = {
        "samples": samples,
        "rate_per_s": rate,
        "warmup_s": warmup,
        "duration_s": duration,
        "baseline_s": baseline,
        "scratch_under": str(base),
    }
    return figures


def query_scale_sizes(text: str) -> list[str]:
    from bench import query_scale

    return query_scale.sizes_from(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.query_bench", description=__doc__)
    parser.add_argument("--tickets", type=int, default=TICKETS)
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--rate", type=float, default=RATE)
    parser.add_argument("--warmup", type=float, default=WARMUP_S)
    parser.add_argument("--duration", type=float, default=DURATION_S)
    parser.add_argument("--baseline", type=float, default=BASELINE_S)
    parser.add_argument("--no-http", dest="http", action="store_false")
    parser.add_argument("--sizes", default=None, help="larger sizes: 1m,100x10k (none: skip)")
    parser.add_argument("--no-history", dest="history", action="store_false")
    args = parser.parse_args(argv)
    figures = run(
        args.tickets,
        args.customers,
        args.samples,
        args.rate,
        args.warmup,
        args.duration,
        args.baseline,
        args.http,
        sizes=None if args.sizes is None else query_scale_sizes(args.sizes),
        history=args.history,
    )
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
