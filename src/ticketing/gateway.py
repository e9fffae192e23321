"""`python -m ticketing.gateway`: one public URL for the whole API in the distributed mode.

A small streaming reverse proxy on httpx: each request goes, by method and path
(`gateway_routes.ROUTES`), to one of the four services; request and response bodies stream
through in both directions (uploads are not buffered; SSE events pass one by one), end-to-end
headers pass as they are (Authorization, X-Min-Position, Idempotency-Key, If-Match,
Last-Event-ID, ...), hop-by-hop ones are dropped. An upstream that cannot be reached is a 503
problem, one that breaks or stalls a 502 or 504. `/readyz` is ready when every upstream is;
`/openapi.json` is the four services' documents merged.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.requests import ClientDisconnect
from ticketing_web.observability import Metrics, RequestContext
from ticketing_web.problems import PreferredLanguage, install_problem_handlers, problem

from ticketing.gateway_docs import install_offline_docs
from ticketing.gateway_headers import forwarded_request_headers, returned_headers
from ticketing.gateway_openapi import merge_openapi
from ticketing.gateway_routes import Routed, Upstream, WrongMethod, route
from ticketing.gateway_transport import UpstreamTransport

DEFAULT_PORT = 8000
#: Every method reaches the routing table, which answers 405 itself for a wrong one.
PROXIED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_log = structlog.get_logger("ticketing.gateway")


class GatewaySettings(BaseSettings):
    """Where the four services are (TICKETING_GATEWAY_*_URL) and how long to wait for them."""

    model_config = SettingsConfigDict(env_prefix="TICKETING_", extra="ignore")

    gateway_tickets_url: str = "http://127.0.0.1:8001"
    gateway_query_url: str = "http://127.0.0.1:8002"
    gateway_attachments_url: str = "http://127.0.0.1:8003"
    gateway_notifications_url: str = "http://127.0.0.1:8004"
    gateway_panel_url: str = "http://127.0.0.1:8006"
    gateway_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    #: The longest an upstream may stay silent mid-request (SSE streams are exempt).
    gateway_read_timeout_seconds: float = Field(default=60.0, gt=0)
    gateway_ready_timeout_seconds: float = Field(default=2.0, gt=0)
    log_level: str = "INFO"

    def upstreams(self) -> dict[Upstream, str]:
        return {
            Upstream.TICKETS: self.gateway_tickets_url,
            Upstream.QUERY: self.gateway_query_url,
            Upstream.ATTACHMENTS: self.gateway_attachments_url,
            Upstream.NOTIFICATIONS: self.gateway_notifications_url,
            Upstream.PANEL: self.gateway_panel_url,
        }


class Gateway:
    """Forwards requests to the upstreams over one connection pool."""

    def __init__(
        self,
        urls: Mapping[Upstream, str],
        *,
        settings: GatewaySettings,
        registry: CollectorRegistry,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._urls = {u: httpx.URL(url) for u, url in urls.items()}
        self._settings = settings
        connect = settings.gateway_connect_timeout_seconds
        self._timeout = httpx.Timeout(settings.gateway_read_timeout_seconds, connect=connect)
        self._stream_timeout = httpx.Timeout(None, connect=connect)
        # No connection limit: each open SSE stream holds a connection for as long as it lasts.
        # UpstreamTransport: keep-alive connections per service, one retry on connect errors.
        self._client = httpx.AsyncClient(
            transport=transport or UpstreamTransport(), follow_redirects=False
        )
        self._requests = Counter(
            "gateway_upstream_requests_total",
            "Requests forwarded, by upstream and status (0: no response)",
            ["upstream", "status"],
            registry=registry,
        )
        self._latency = Histogram(
            "gateway_upstream_response_seconds",
            "Time until the upstream's response headers",
            ["upstream"],
            registry=registry,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def forward(self, request: Request) -> Response:
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        found = route(request.method, raw_path.decode("latin-1"))
        if isinstance(found, WrongMethod):
            allow = ", ".join(sorted(found.allowed))
            return problem(405, f"{request.method} is not allowed here.", headers={"Allow": allow})
        if not isinstance(found, Routed):
            return problem(404, "No such resource.")
        upstream = found.upstream
        base = self._urls[upstream]
        url = base.copy_with(
            raw_path=base.raw_path.rstrip(b"/")
            + raw_path
            + (b"?" + request.scope["query_string"] if request.scope.get("query_string") else b"")
        )
        has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
        outgoing = self._client.build_request(
            request.method,
            url,
            headers=forwarded_request_headers(request),
            content=request.stream() if has_body else None,
            timeout=self._stream_timeout if found.streaming else self._timeout,
        )
        started = time.perf_counter()
        try:
            answer = await self._client.send(outgoing, stream=True)
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is left to read an answer
        except httpx.HTTPError as error:
            self._requests.labels(upstream, "0").inc()
            return self._failure(upstream, error)
        self._latency.labels(upstream).observe(time.perf_counter() - started)
        self._requests.labels(upstream, str(answer.status_code)).inc()
        response = StreamingResponse(_relay(answer, upstream), status_code=answer.status_code)
        response.raw_headers = returned_headers(answer.headers)
        return response

    def _failure(self, upstream: Upstream, error: httpx.HTTPError) -> Response:
        _log.warning("upstream_failed", upstream=upstream, error=f"{type(error).__name__}")
        match error:
            case httpx.ConnectError() | httpx.ConnectTimeout() | httpx.PoolTimeout():
                return problem(
                    503,
                    f"The {upstream} service cannot be reached now.",
                    title="Service Unavailable",
                    headers={"Retry-After": "1"},
                )
            case httpx.TimeoutException():
                return problem(504, f"The {upstream} service did not answer in time.")
            case _:
                return problem(502, f"The {upstream} service gave no usable answer.")

    async def readiness(self) -> dict[str, str]:
        """Per upstream: "ready", or why not."""
        names = list(self._urls)
        found = await asyncio.gather(*(self._ready(u) for u in names))
        return dict(zip((str(n) for n in names), found, strict=True))

    async def _ready(self, upstream: Upstream) -> str:
        url = self._urls[upstream].join("/readyz")
        try:
            answer = await self._client.get(
                url, timeout=self._settings.gateway_ready_timeout_seconds
            )
        except httpx.HTTPError as error:
            return f"unreachable ({type(error).__name__})"
        return "ready" if answer.status_code == 200 else f"not ready ({answer.status_code})"

    async def openapi(self) -> dict[str, Any] | None:
        """The merged document, or None while an upstream cannot give its own."""
        # the panel serves pages, not an API
        apis: list[Upstream] = [u for u in self._urls if u is not Upstream.PANEL]
        try:
            answers = await asyncio.gather(
                *(self._client.get(self._urls[u].join("/openapi.json")) for u in apis)
            )
            documents: dict[Upstream, Any] = {
                u: a.raise_for_status().json() for u, a in zip(apis, answers, strict=True)
            }
        except (httpx.HTTPError, ValueError) as error:
            _log.warning("openapi_unavailable", error=f"{type(error).__name__}: {error}")
            return None
        return merge_openapi(documents)


async def _relay(answer: httpx.Response, upstream: Upstream) -> AsyncIterator[bytes]:
    """The upstream's body as it arrives (raw: a compressed body stays compressed). A break
    mid-body is raised, so the client sees a cut connection, not a short body that looks whole."""
    try:
        async for chunk in answer.aiter_raw():
            yield chunk
    except httpx.HTTPError as error:
        _log.warning("upstream_body_broken", upstream=upstream, error=type(error).__name__)
        raise
    finally:
        await answer.aclose()


def create_gateway_app(
    settings: GatewaySettings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The gateway as an ASGI app; its connection pool closes with the app."""
    settings = settings or GatewaySettings()
    metrics = Metrics("gateway")
    gateway = Gateway(
        settings.upstreams(), settings=settings, registry=metrics.registry, transport=transport
    )
    openapi_cache: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await gateway.aclose()

    app = FastAPI(
        title="Ticketing gateway",
        lifespan=lifespan,
        redirect_slashes=False,  # never a redirect built from the client's Host header
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.gateway = gateway
    install_problem_handlers(app)
    app.add_middleware(RequestContext, metrics=metrics)
    app.add_middleware(PreferredLanguage)  # outermost: the gateway's own problems (502/503/504)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", response_model=None)
    async def readyz() -> Response:
        upstreams = await gateway.readiness()
        if all(state == "ready" for state in upstreams.values()):
            return JSONResponse({"status": "ready", "upstreams": upstreams})
        waiting = ", ".join(f"{u}: {s}" for u, s in upstreams.items() if s != "ready")
        return problem(
            503,
            f"Not every service is ready ({waiting}).",
            upstreams=upstreams,
            headers={"Retry-After": "1"},
        )

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/openapi.json", response_model=None)
    async def openapi() -> Response:
        if "document" not in openapi_cache:
            merged = await gateway.openapi()
            if merged is None:
                return problem(
                    503,
                    "A service's OpenAPI document is not available yet.",
                    headers={"Retry-After": "1"},
                )
            openapi_cache["document"] = merged
        return JSONResponse(openapi_cache["document"])

    install_offline_docs(app)
    app.add_route("/{path:path}", gateway.forward, methods=PROXIED_METHODS, include_in_schema=False)
    return app


def main() -> None:
    from ticketing_web.observability import configure_logging
    from ticketing_web.serve import serve

    settings = GatewaySettings()
    configure_logging(settings.log_level)
    serve(create_gateway_app(settings), default_port=DEFAULT_PORT)


if __name__ == "__main__":
    main()
