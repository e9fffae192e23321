"""Which service answers which request: the gateway's routing, as one pure table (API.md).

Commands go to the tickets service, the ticket queries to the query service, and each of the
attachments and notifications services owns its whole prefix (it answers 405 for a method it
lacks). The tickets service also serves the history (`/v1/events`) and the catalogue
(`/v1/departments`). Internal endpoints (`/internal/...`) match nothing: they are never public.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote


class Upstream(StrEnum):
    TICKETS = "tickets"
    QUERY = "query"
    ATTACHMENTS = "attachments"
    NOTIFICATIONS = "notifications"
    PANEL = "panel"


@dataclass(frozen=True, slots=True)
class Rule:
    """Requests whose path matches `path` (whole) and whose method is in `methods` (None: any)
    go to `upstream`; `streaming` responses may stay open indefinitely (SSE)."""

    path: re.Pattern[str]
    methods: frozenset[str] | None
    upstream: Upstream
    streaming: bool = False


def _rule(path: str, methods: str | None, upstream: Upstream, *, streaming: bool = False) -> Rule:
    return Rule(
        re.compile(path), frozenset(methods.split()) if methods else None, upstream, streaming
    )


_ID = r"[^/]+"
T, Q, A, N = Upstream.TICKETS, Upstream.QUERY, Upstream.ATTACHMENTS, Upstream.NOTIFICATIONS
P = Upstream.PANEL

ROUTES: tuple[Rule, ...] = (
    _rule(r"/v1/tickets", "POST", T),
    _rule(r"/v1/tickets", "GET", Q),
    _rule(rf"/v1/tickets/by-tracking-code/{_ID}", "GET", Q),
    _rule(rf"/v1/tickets/{_ID}", "GET", Q),
    _rule(rf"/v1/tickets/{_ID}", "PATCH", T),
    _rule(rf"/v1/tickets/{_ID}/(?:messages|read|close|reopen)", "POST", T),
    _rule(r"/v1/counters", "GET", Q),
    _rule(r"/v1/departments", "GET", T),
    _rule(r"/v1/events", "GET", T),
    _rule(rf"/v1/attachments(?:/{_ID})?", None, A),
    _rule(r"/v1/notifications/stream", "GET", N, streaming=True),
    _rule(r"/v1/notifications(?:/.*)?", None, N),
    # The web panel (its own process): pages, forms, assets, and the bell's live stream.
    _rule(r"/panel/notifications/stream", "GET", P, streaming=True),
    _rule(r"/panel(?:/.*)?", None, P),
)


@dataclass(frozen=True, slots=True)
class Routed:
    upstream: Upstream
    streaming: bool


@dataclass(frozen=True, slots=True)
class WrongMethod:
    """The path exists, but not for this method (405 with `Allow`)."""

    allowed: frozenset[str]


@dataclass(frozen=True, slots=True)
class Unrouted:
    """No service has this path (404), or it tries to step out of one (`..`, encoded `/`)."""


Route = Routed | WrongMethod | Unrouted


def route(method: str, path: str, routes: tuple[Rule, ...] = ROUTES) -> Route:
    """Where `method path` goes. `path` is the raw (still percent-encoded) request path."""
    if not _plain(path):
        return Unrouted()
    method = "GET" if method == "HEAD" else method
    allowed: set[str] = set()
    for rule in routes:
        if not rule.path.fullmatch(path):
            continue
        if rule.methods is None or method in rule.methods:
            return Routed(rule.upstream, rule.streaming)
        allowed |= rule.methods
    if allowed:
        return WrongMethod(frozenset(allowed | ({"HEAD"} if "GET" in allowed else set())))
    return Unrouted()


def _plain(path: str) -> bool:
    """A path without dot segments, empty segments or encoded separators: what a service sees
    is exactly what the table matched."""
    if not path.startswith("/") or "%2f" in path.lower() or "%5c" in path.lower():
        return False
    segments = unquote(path).split("/")[1:]
    if path.startswith("/panel/") and segments[-1] == "":
        segments.pop()  # the panel's home is /panel/
    return all(s not in ("", ".", "..") and "\\" not in s for s in segments)
