"""Structured JSON logs with correlation ids, and Prometheus metrics, for every service."""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .ids import new_hex_id

CORRELATION_HEADER = "x-correlation-id"
_CORRELATION_HEADER_BYTES = CORRELATION_HEADER.encode()
_SAFE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stdout; context variables (correlation id) merged into every line."""
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        cache_logger_on_first_use=True,
    )


def is_safe_correlation_id(value: str) -> bool:
    """Whether a client's X-Correlation-Id may be echoed and logged as it is."""
    return _SAFE_ID.fullmatch(value) is not None


class Metrics:
    """One registry per app, so several apps (tests, the embedded process) never collide."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["service", "method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.service = service
        # The labelled children, kept: `labels()` builds and checks its key on every call.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and its latency."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(self.service, method, route, str(status)),
                self.latency.labels(self.service, method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


def begin_request(scope: Scope, given: bytes) -> str:
    """The request's correlation id (the caller's `given` one if sane, else a new one), kept in
    `scope["state"]` and bound to every log line written while serving it."""
    text = given.decode("latin-1")
    correlation_id = text if is_safe_correlation_id(text) else new_hex_id()
    scope.setdefault("state", {})["correlation_id"] = correlation_id
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
    return correlation_id


def with_correlation_header(message: Message, correlation_id: str) -> None:
    """Adds the X-Correlation-Id header to a `http.response.start` message."""
    message["headers"] = [
        *message.get("headers", ()),
        (_CORRELATION_HEADER_BYTES, correlation_id.encode()),
    ]


class RequestContext:
    """ASGI middleware: binds a correlation id (the caller's, if sane, else a new one), echoes
    it in the response, logs one access line and records the metrics."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.log = structlog.get_logger("ticketing.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        correlation_id = begin_request(scope, headers.get(_CORRELATION_HEADER_BYTES, b""))
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                with_correlation_header(message, correlation_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            template = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe(
                method=scope["method"], route=template, status=status, seconds=elapsed
            )
            self.log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )
