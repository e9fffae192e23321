"""The common shell of every service's FastAPI app: problems, limits, logs, metrics, ops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from fastapi import FastAPI, Response
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .auth import TokenVerifier
from .edge import ServiceEdge
from .observability import Metrics
from .openapi import install_openapi
from .problems import install_problem_handlers, problem, problem_doc

ReadinessCheck = Callable[[], Awaitable[bool]]


def build_app(
    *,
    title: str,
    service: str,
    version: str,
    token_verifier: TokenVerifier,
    max_body_bytes: int,
    readiness: ReadinessCheck,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None,
    body_limit_exempt: Sequence[str] = (),
) -> FastAPI:
    """A FastAPI app with the cross-cutting pieces installed; routers are added by the caller."""
    # /docs and /redoc with Swagger UI's and ReDoc's files served by the app itself: no CDN, so
    # the pages work on a network without the internet.
    app = FastAPIOffline(
        title=title,
        version=version,
        lifespan=lifespan,
        # Swagger UI would otherwise send the document to its public validator for a badge.
        swagger_ui_parameters={"validatorUrl": None},
        # `/v1/tickets/` is a 404 problem, not a redirect built from the client's Host header
        # (Starlette's redirect_slashes sends `Host: evil.example` callers to evil.example).
        redirect_slashes=False,
        # Metrics go to Prometheus (/metrics); FastAPI's OpenTelemetry hooks cost every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    metrics = Metrics(service)
    app.state.token_verifier = token_verifier
    app.state.metrics = metrics
    install_problem_handlers(app)
    install_openapi(app)
    # Language, correlation id, access line, metrics, body limit and surrogate check: one layer.
    app.add_middleware(
        ServiceEdge, metrics=metrics, max_body_bytes=max_body_bytes, exempt=body_limit_exempt
    )

    @app.get("/healthz", tags=["ops"], include_in_schema=True)
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["ops"],
        response_model=None,
        responses={503: problem_doc("a backing store is not ready; see Retry-After")},
    )
    async def readyz() -> dict[str, str] | Response:
        """Readiness: the service's backing stores answer."""
        if await readiness():
            return {"status": "ready"}
        return problem(503, "A backing store is not ready.", headers={"Retry-After": "1"})

    @app.get(
        "/metrics",
        tags=["ops"],
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}}},
    )
    async def prometheus_metrics() -> Response:
        """Prometheus text exposition."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


class RunningService(Protocol):
    """A service with background work (consumers, senders) that runs while its app serves."""

    def start(self) -> None: ...

    async def close(self) -> None: ...

    async def ready(self) -> bool: ...


def build_service_app(
    *,
    title: str,
    service: str,
    runs: RunningService,
    token_verifier: TokenVerifier,
    max_body_bytes: int,
    body_limit_exempt: Sequence[str] = (),
) -> FastAPI:
    """`build_app` for one service run on its own: its background work starts with the app, and
    it closes (work stopped, stores closed) when the app shuts down; ready when it says so."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runs.start()
        try:
            yield
        finally:
            await runs.close()

    return build_app(
        title=title,
        service=service,
        version="1",
        token_verifier=token_verifier,
        max_body_bytes=max_body_bytes,
        readiness=runs.ready,
        lifespan=lifespan,
        body_limit_exempt=body_limit_exempt,
    )
