"""One hostile request and the checks every response must pass: the expected status, never a
5xx, problem+json for a 4xx on an API path, and no marker of a party the caller may not see in
the body or in any header. Every request is counted per category for the closing summary."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from .world import World

REQUESTS: Counter[str] = Counter()
SERVER_ERRORS: Counter[str] = Counter()
LEAKS: Counter[str] = Counter()


@dataclass(frozen=True)
class Verdict:
    response: httpx.Response
    problems: list[str]

    def assert_clean(self) -> httpx.Response:
        assert not self.problems, "\n".join(self.problems)
        return self.response


def leaked(
    response: httpx.Response, markers: Iterable[str], *, text: str | None = None
) -> list[str]:
    """The markers found in the body (raw and as decoded text) or in any header."""
    body = response.content
    decoded = text if text is not None else response.content.decode("utf-8", "replace")
    headers = " ".join(f"{k}: {v}" for k, v in response.headers.multi_items())
    return sorted(m for m in markers if m.encode() in body or m in decoded or m in headers)


def judge(
    category: str,
    response: httpx.Response,
    *,
    expect: Collection[int],
    forbidden: Iterable[str],
    body_text: str | None = None,
) -> Verdict:
    REQUESTS[category] += 1
    problems: list[str] = []
    request = response.request
    where = f"{request.method} {request.url.path}"
    status = response.status_code
    if status >= 500 and status not in expect:  # a documented 503 (Retry-After) is an answer
        SERVER_ERRORS[category] += 1
        problems.append(f"{where}: server error {status}: {response.text[:300]}")
    if status not in expect:
        problems.append(
            f"{where}: status {status}, expected {sorted(expect)}: {response.text[:300]}"
        )
    if 400 <= status < 500 and request.url.path.startswith("/v1"):
        kind = response.headers.get("content-type", "")
        if not kind.startswith("application/problem+json"):
            problems.append(f"{where}: {status} answered as {kind!r}, not problem+json")
        else:
            body = response.json()
            missing = {"type", "title", "status", "detail"} - set(body)
            if missing or body.get("status") != status:
                problems.append(f"{where}: problem body {body} lacks {sorted(missing)}")
    # What the caller sent itself (an id in the path or body echoed in an error) betrays nothing.
    try:
        content = request.content
    except httpx.RequestNotRead:  # a streamed (multipart) body: the test built it, not echoed
        content = b""
    sent = request.url.raw_path.decode("latin-1") + content.decode("utf-8", "replace")
    found = [m for m in leaked(response, forbidden, text=body_text) if m not in sent]
    if found:
        LEAKS[category] += 1
        problems.append(f"{where}: leaked {found} to a caller who may not see them")
    return Verdict(response, problems)


async def probe(
    world: World,
    category: str,
    method: str,
    path: str,
    *,
    caller: str | None,
    expect: Collection[int],
    headers: dict[str, str] | None = None,
    forbidden: Iterable[str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request as `caller` (its token unless `headers` replaces it) and judge it."""
    sent = world.who(caller) if caller else {}
    sent.update(headers or {})
    response = await world.client.request(method, path, headers=sent, **kwargs)
    markers = world.forbidden(caller) if forbidden is None else forbidden
    return judge(category, response, expect=expect, forbidden=markers).assert_clean()


def summary_lines() -> list[str]:
    return [
        f"security {category}: {REQUESTS[category]} requests, "
        f"{LEAKS[category]} leaks, {SERVER_ERRORS[category]} server errors"
        for category in sorted(REQUESTS)
    ]


async def stream_snapshot(
    world: World, path: str, *, headers: dict[str, str], seconds: float = 0.3
) -> httpx.Response:
    """What an event stream sends in its first `seconds`, then the client leaves. httpx's ASGI
    transport waits for the whole body, which an SSE stream never ends; this drives the app's
    ASGI interface directly instead."""
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + [(b"host", b"ticketing.test")],
        "client": ("127.0.0.1", 50000),
        "server": ("ticketing.test", 80),
        "state": {},
    }
    leave = asyncio.Event()
    started: dict[str, Any] = {}
    chunks: list[bytes] = []
    sent_request = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await leave.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    task = asyncio.create_task(world.app(scope, receive, send))
    await asyncio.sleep(seconds)
    leave.set()
    try:
        await asyncio.wait_for(task, timeout=5)
    except TimeoutError:
        task.cancel()
        raise
    return httpx.Response(
        started.get("status", 0),
        headers=[(k.decode(), v.decode()) for k, v in started.get("headers", [])],
        content=b"".join(chunks),
        request=httpx.Request("GET", f"http://ticketing.test{path}"),
    )
