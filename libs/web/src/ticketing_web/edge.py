"""Every service's request edge as one plain ASGI middleware (what `build_app` installs).

Four concerns used to be four middlewares, each an extra coroutine frame per request and per
message sent, two of them buffering the body and three reading the headers again: the
language of problems, the correlation id with its access line and metrics, the body size
limit and the lone-surrogate check. Here the headers are read once, the body is buffered once,
and the order is the old one (outermost first): language, correlation id and metrics, size
limit, surrogates. A 413, 422 or 400 answered here therefore carries the correlation id, is
counted and logged, and is in the request's language, as before.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .json_text import is_json_media, surrogate_refusal
from .limits import declared_too_large, read_bounded, too_large
from .observability import Metrics, begin_request, with_correlation_header
from .problems import choose_language

#: Methods whose bodies are not read as JSON (nor checked for surrogates).
_BODILESS = frozenset(("GET", "HEAD", "OPTIONS"))


class ServiceEdge:
    """ASGI middleware: the language of problems (Accept-Language), the correlation id (echoed
    as X-Correlation-Id, bound to log lines), one access line and the metrics per request, a
    413 for a body over `max_body_bytes` (declared or actual) and a 422 for a JSON body
    holding a lone surrogate. Paths under an `exempt` prefix (uploads, the panel's forms)
    enforce their own limits: their bodies stream to the app untouched."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        max_body_bytes: int,
        exempt: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.exempt = tuple(exempt)
        self._lazy_log = structlog.get_logger("ticketing.access")
        self._log: Any = None  # bound on the first request, when logging is configured

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # One pass over the headers. Which of repeated headers counts is as it was: the first
        # Accept-Language and Content-Type, the last X-Correlation-Id and Content-Length.
        language: bytes | None = None
        content_type: bytes | None = None
        given_id = b""
        content_length: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"accept-language":
                language = value if language is None else language
            elif name == b"content-type":
                content_type = value if content_type is None else content_type
            elif name == b"x-correlation-id":
                given_id = value
            elif name == b"content-length":
                content_length = value
        choose_language(language or b"")
        correlation_id = begin_request(scope, given_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                with_correlation_header(message, correlation_id)
            await send(message)

        try:
            await self._guarded(scope, receive, send_with_id, content_type, content_length)
        finally:
            elapsed = time.perf_counter() - started
            template = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe(
                method=scope["method"], route=template, status=status, seconds=elapsed
            )
            if self._log is None:
                self._log = self._lazy_log.bind()
            self._log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )

    async def _guarded(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        content_type: bytes | None,
        content_length: bytes | None,
    ) -> None:
        """The body's checks, then the app with the buffered body replayed."""
        if self.exempt and scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        if declared_too_large(content_length, self.max_body_bytes):
            await too_large(self.max_body_bytes)(scope, receive, send)
            return
        messages = await read_bounded(receive, self.max_body_bytes)
        if messages is None:
            await too_large(self.max_body_bytes)(scope, receive, send)
            return
        if scope["method"] not in _BODILESS and is_json_media(content_type):
            raw = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
            refusal = surrogate_refusal(raw)
            if refusal is not None:
                await refusal(scope, receive, send)
                return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)
