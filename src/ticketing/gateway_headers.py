"""The gateway's header rules: which request and response headers pass a hop (end-to-end ones)
and which it drops (hop-by-hop ones, those the Connection header names, and those it sets
itself), plus the X-Forwarded-* it adds.
"""

from __future__ import annotations

import httpx
from fastapi import Request
from ticketing_web.observability import CORRELATION_HEADER

#: RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
#: Set again by this hop: the host from the upstream URL; the correlation id, date and server
#: by the gateway's own middleware and server. `Expect: 100-continue` was answered here already.
_REQUEST_OWN = frozenset({"host", "expect", CORRELATION_HEADER})
_RESPONSE_OWN = frozenset({"date", "server", CORRELATION_HEADER})


def forwarded_request_headers(request: Request) -> list[tuple[str, str]]:
    """The client's end-to-end headers, plus where the request came from (X-Forwarded-*)."""
    dropped = HOP_BY_HOP | _REQUEST_OWN | _connection_tokens(request.headers.getlist("connection"))
    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in dropped]
    client = request.client.host if request.client else None
    if client:
        earlier = request.headers.get("x-forwarded-for")
        chain = f"{earlier}, {client}" if earlier else client
        headers = [(k, v) for k, v in headers if k.lower() != "x-forwarded-for"]
        headers.append(("x-forwarded-for", chain))
    headers.append(("x-forwarded-proto", request.url.scheme))
    if "host" in request.headers:
        headers.append(("x-forwarded-host", request.headers["host"]))
    headers.append((CORRELATION_HEADER, request.state.correlation_id))
    return headers


def returned_headers(headers: httpx.Headers) -> list[tuple[bytes, bytes]]:
    """The upstream's end-to-end response headers, repeated ones (Set-Cookie) kept apart."""
    dropped = HOP_BY_HOP | _RESPONSE_OWN | _connection_tokens(headers.get_list("connection"))
    return [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in headers.multi_items()
        if k.lower() not in dropped
    ]


def _connection_tokens(values: list[str]) -> frozenset[str]:
    """Headers the Connection header names are hop-by-hop too (RFC 9110 §7.6.1)."""
    return frozenset(t.strip().lower() for v in values for t in v.split(",") if t.strip())
