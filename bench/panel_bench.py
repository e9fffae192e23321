"""The panel's pages at 100k tickets (issue 10): how long the server takes to answer
`GET /panel/tickets` and a ticket page with 50 messages, for a customer and an agent, beside the
API calls each page makes; and the bytes a browser fetches on a first and a repeat visit.

- Fill: `query_bench.fill` writes 100k tickets of ~5k customers into a fresh `query.db` in a
  scratch directory under `<repo>/var` (or BENCH_TMPDIR), deleted afterwards. Its checkpoint is
  then cleared: those tickets have no history in the event store (they live only in the read
  model, which the list pages read), and the projector must apply the events this bench writes.
- Server: `ticketing run` (the embedded app, panel included) on that data directory.
- Setup over HTTP: the filled customer with the most tickets opens one more ticket in the
  `technical` department, and 49 messages follow (agent and customer in turn): 50 messages.
- Timing: one request at a time on one keep-alive connection (httpx), `samples` times each after
  20 untimed calls, wall time from sending to the last byte over loopback. Pages: the customer's
  and a one-department agent's `/panel/tickets` and `/panel/tickets/{id}`. API, with the same
  tokens: the calls those pages make (`GET /v1/tickets` with the page's limit, `GET
  /v1/counters`, `GET /v1/notifications?limit=1` for the bell, `POST /v1/tickets/{id}/read`,
  `GET /v1/tickets/{id}`); a page's time minus the sum of its calls' p50 is the rendering and
  the hops between them.
- Bytes (response bodies as sent, gzip when the server compresses): a first visit of the
  customer's tickets page is its HTML plus every file under /panel/static/ that the HTML and the
  stylesheet name; a repeat visit is the HTML again plus the files a browser may not keep (no
  `Cache-Control: max-age` of a day or more).

Run alone: `.venv/bin/python -m bench.panel_bench [--tickets 100000] [--samples 300]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from bench.http_bench import BRAND, LOG_LEVEL, REPO, Server, _free_port, _server_env, _serving
from bench.query_bench import CUSTOMERS, TICKETS, fill

SAMPLES = 300
WARMUP = 20
MESSAGES = 50
_STATIC = re.compile(r"""(?:href|src)="(/panel/static/[^"]+)\"""")
_CSS_URL = re.compile(r"""url\(["']?([^"')]+)["']?\)""")


def _token(role: str, sub: str, **claims: Any) -> str:
    from ticketing_tickets.settings import DEV_JWT_SECRET
    from ticketing_web.auth import mint_token

    return mint_token(
        secret=DEV_JWT_SECRET,
        sub=sub,
        role=role,  # type: ignore[arg-type]
        brand=BRAND,
        ttl_seconds=7200,
        now=int(time.time()),
        **claims,
    )


def _stats(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1000, "p99_ms": cuts[98] * 1000, "max_ms": max(latencies) * 1000}


def _timed(client: httpx.Client, method: str, url: str, samples: int) -> dict[str, float]:
    latencies = []
    for i in range(WARMUP + samples):
        started = time.perf_counter()
        response = client.request(method, url)
        elapsed = time.perf_counter() - started
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")
        if i >= WARMUP:
            latencies.append(elapsed)
    return _stats(latencies)


async def _filled(scratch: Path, tickets: int, customers: int) -> str:
    """Fill the read model; the customer with the most tickets."""
    from ticketing_query.adapters.readmodel_sqlite import SqliteReadModel

    read_model = await SqliteReadModel(scratch / "query.db").open()
    try:
        filled = await fill(read_model, tickets, customers)
    finally:
        await read_model.close()
    with sqlite3.connect(scratch / "query.db") as db:
        db.execute("DELETE FROM checkpoint")
    print(f"[panel] filled {tickets:,} tickets in {filled.seconds:.1f}s", flush=True)
    busiest, _ = Counter(v.customer_id for v in filled.views).most_common(1)[0]
    return busiest


def _thread(api: httpx.Client, customer: str, agent: str) -> tuple[str, int]:
    """One ticket of `customer` with MESSAGES messages; its id and the last write's position."""
    as_customer = {"Authorization": f"Bearer {customer}"}
    as_agent = {"Authorization": f"Bearer {agent}"}
    opened = api.post(
        "/v1/tickets",
        headers=as_customer,
        json={
            "title": "قطعی مکرر سرویس ایمیل سازمانی",
            "department": "technical",
            "priority": "high",
            "body": "از دیروز ایمیل‌های سازمانی با تأخیر می‌رسند و گاهی برگشت می‌خورند.",
        },
    ).json()
    ticket_id, position = opened["ticket_id"], opened["position"]
    for n in range(1, MESSAGES):
        headers = as_agent if n % 2 else as_customer
        body = {"body": f"پیام شمارهٔ {n}: نتیجهٔ بررسی و گام بعدی در این گفتگو ثبت شد."}
        answer = api.post(f"/v1/tickets/{ticket_id}/messages", headers=headers, json=body)
        position = answer.json()["position"]
    return ticket_id, position


def _signed_in(url: str, token: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    response = client.get("/panel/sso", params={"jwt": token, "return_to": "/panel/tickets"})
    if response.status_code != 303:
        raise RuntimeError(f"sign-in: {response.status_code} {response.text[:300]}")
    return client


def _visits(client: httpx.Client) -> dict[str, int]:
    """Bytes of a first and a repeat visit of the tickets page (see the module docstring)."""
    page = client.get("/panel/tickets")
    assets = set(_STATIC.findall(page.text))
    for css in [a for a in assets if a.endswith(".css")]:
        text = client.get(css).text
        assets |= {urljoin(css, u) for u in _CSS_URL.findall(text) if not u.startswith("data:")}
    first = repeat = page.num_bytes_downloaded
    first_assets = 0
    for asset in sorted(assets):
        response = client.get(asset)
        first_assets += response.num_bytes_downloaded
        age = re.search(r"max-age=(\d+)", response.headers.get("cache-control", ""))
        if not age or int(age.group(1)) < 86_400:
            repeat += response.num_bytes_downloaded
    return {
        "html_bytes": page.num_bytes_downloaded,
        "static_files": len(assets),
        "first_visit_bytes": first + first_assets,
        "repeat_visit_bytes": repeat,
    }


def http_part(scratch: Path, customer_id: str, samples: int) -> dict[str, Any]:
    port = _free_port()
    env = _server_env(TICKETING_DATA_DIR=str(scratch), TICKETING_LOG_LEVEL=LOG_LEVEL)
    argv = [sys.executable, "-m", "ticketing.cli", "run", "--port", str(port)]
    server = Server("panel", argv, env, scratch / "server.log", port)
    customer = _token("customer", customer_id, name="مشتری پرکار")
    agent = _token("agent", "agent-bench", name="کارشناس فنی", departments=["technical"])
    figures: dict[str, Any] = {}
    server_url = f"http://127.0.0.1:{port}"
    with _serving(server), httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as api:
        ticket_id, position = _thread(api, customer, agent)
        api.get(f"/v1/tickets/{ticket_id}", headers={"X-Min-Position": str(position)})
        for who, token in (("customer", customer), ("agent", agent)):
            print(f"[panel] timing the {who}'s pages and API calls ...", flush=True)
            with contextlib.closing(_signed_in(server_url, token)) as browser:
                pages = {
                    "tickets_page": _timed(browser, "GET", "/panel/tickets", samples),
                    "ticket_page": _timed(browser, "GET", f"/panel/tickets/{ticket_id}", samples),
                }
                if who == "customer":
                    figures["bytes"] = _visits(browser)
            api.headers["Authorization"] = f"Bearer {token}"
            calls = {
                "list": _timed(api, "GET", "/v1/tickets?limit=20", samples),
                "counters": _timed(api, "GET", "/v1/counters", samples),
                "bell": _timed(api, "GET", "/v1/notifications?limit=1", samples),
                "read": _timed(api, "POST", f"/v1/tickets/{ticket_id}/read", samples),
                "detail": _timed(api, "GET", f"/v1/tickets/{ticket_id}", samples),
            }
            figures[who] = {"pages": pages, "api": calls}
    return figures


def run(
    tickets: int = TICKETS, customers: int = CUSTOMERS, samples: int = SAMPLES
) -> dict[str, Any]:
    base = Path(os.environ.get("BENCH_TMPDIR") or REPO / "var")
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-panel-", dir=base))
    try:
        busiest = asyncio.run(_filled(scratch, tickets, customers))
        figures = http_part(scratch, busiest, samples)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    figures["method"] = {
        "tickets": tickets,
        "customers": customers,
        "samples": samples,
        "messages_on_the_ticket": MESSAGES,
        "scratch_under": str(base),
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.panel_bench", description=__doc__)
    parser.add_argument("--tickets", type=int, default=TICKETS)
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    parser.add_argument("--samples", type=int, default=SAMPLES)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.tickets, args.customers, args.samples), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
