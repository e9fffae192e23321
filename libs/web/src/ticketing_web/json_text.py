"""Refuses JSON request bodies that carry a lone surrogate, for every route of every service.

JSON allows `"\\ud800"`; Python decodes it into a `str` that UTF-8 cannot encode, so the value
would fail later in a store, a log line or a response (a 500, or worse, stored in a store that
does not care). One ASGI middleware checks every JSON body before any route sees it and answers
422 naming each field, as a validation error would. It costs nothing for the usual body: only
one whose bytes hold a `\\uD800`-`\\uDFFF` escape is decoded here to find out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import problem
from .text import has_lone_surrogate

#: A JSON escape of a surrogate code point (paired ones included; decoding tells them apart).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_MAX_REPORTED = 20
MESSAGE = "holds a lone surrogate (an unpaired \\ud800-\\udfff escape), which is not text"


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True  # FastAPI reads a body without a content type as JSON


def _printable(part: object) -> str:
    return str(part).encode("utf-8", "backslashreplace").decode("utf-8")


def lone_surrogate_fields(value: Any, path: tuple[object, ...] = ()) -> Iterator[str]:
    """The dotted paths (`title`, `attachment_ids.0`) of every string or member name in a
    decoded JSON value that holds a lone surrogate; a bad name is shown escaped."""
    if isinstance(value, str):
        if has_lone_surrogate(value):
            yield ".".join(_printable(p) for p in path) or "body"
    elif isinstance(value, dict):
        for name, member in value.items():
            if has_lone_surrogate(name):
                yield ".".join(_printable(p) for p in (*path, name))
            else:
                yield from lone_surrogate_fields(member, (*path, name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from lone_surrogate_fields(item, (*path, index))


class RefuseLoneSurrogates:
    """422 for a JSON body holding a lone surrogate anywhere; `exempt` path prefixes (uploads,
    which are not JSON and stream) pass untouched. Runs inside the body size limit, so the
    body it reads whole is bounded."""

    def __init__(self, app: ASGIApp, *, exempt: Sequence[str] = ()) -> None:
        self.app = app
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in ("GET", "HEAD", "OPTIONS")
            or (self.exempt and scope["path"].startswith(self.exempt))
            or not _is_json(scope)
        ):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        raw = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        fields = _fields_of(raw) if _SURROGATE_ESCAPE.search(raw) else []
        if fields:
            errors = [{"field": field, "message": MESSAGE} for field in fields[:_MAX_REPORTED]]
            response = problem(
                422,
                "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                title="Validation failed",
                errors=errors,
            )
            await response(scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _fields_of(raw: bytes) -> list[str]:
    try:
        decoded = json.loads(raw)
    except (ValueError, RecursionError):
        return []  # malformed: the route's own parsing answers 400
    return list(lone_surrogate_fields(decoded))
