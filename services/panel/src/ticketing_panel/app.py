"""The panel as an ASGI app, served under /panel: by the embedded process (mounted beside the
API, calling it in-process) or as its own process behind the gateway (calling it over HTTP)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from ticketing_web.auth import TokenVerifier

from .api import Api, ApiError
from .catalog import Catalogs
from .routes import notifications, signin, ticket, tickets
from .sessions import SessionStore
from .settings import PanelSettings
from .static import StaticFiles
from .web import TOO_LARGE, Panel, PanelPage, api_error_page, build_templates, error_page

_log = structlog.get_logger("ticketing.panel")


class TooLarge(Exception):
    """The form is over TICKETING_PANEL_MAX_REQUEST_BYTES (raised while it streams in)."""


class BodyLimit:
    """Counts a request's bytes as they arrive (uploads are not buffered here)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            scope[TOO_LARGE] = True  # refused before its form is read (web.checked_form)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise TooLarge
            return message

        await self.app(scope, counted, send)


class SecurityHeaders:
    """Every answer: a CSP with our own scripts and styles only, no sniffing, the referrer kept to
    our own origin (a browser sends `Origin: null` on forms under `no-referrer`), and
    pages never cached (static assets set their own long cache)."""

    def __init__(self, app: ASGIApp, *, frame_ancestors: str) -> None:
        self.app = app
        self.headers = [
            (
                b"content-security-policy",
                (
                    "default-src 'self'; script-src 'self'; style-src 'self'; "
                    "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
                    "form-action 'self'; base-uri 'none'; object-src 'none'; "
                    f"frame-ancestors {frame_ancestors}"
                ).encode(),
            ),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                added = [(k, v) for k, v in self.headers if k not in present]
                if b"cache-control" not in present:
                    added.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        await self.app(scope, receive, with_headers)


def create_panel_app(
    settings: PanelSettings,
    *,
    api_client: httpx.AsyncClient,
    verifier: TokenVerifier,
) -> FastAPI:
    """The panel's routes (relative to where it is mounted: /panel). `api_client` reaches the
    public API (base URL set); `verifier` is the API's own token verifier."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it would log every call's URL
    api = Api(api_client)
    static = StaticFiles()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await api.aclose()

    app = FastAPI(
        title="Ticketing panel",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.panel = Panel(
        settings=settings,
        sessions=SessionStore(capacity=settings.panel_max_sessions),
        api=api,
        verifier=verifier,
        static=static,
        templates=build_templates(static),
        catalogs=Catalogs(api),
    )

    @app.exception_handler(PanelPage)
    async def _panel_page(request: Request, page: PanelPage) -> HTMLResponse:
        return await error_page(request, page.status, forged=page.forged)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, error: ApiError) -> HTMLResponse:
        return await api_error_page(request, error)

    @app.exception_handler(TooLarge)
    async def _too_large(request: Request, _: TooLarge) -> HTMLResponse:
        return await error_page(request, 413)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> HTMLResponse:
        return await error_page(request, error.status_code if error.status_code < 500 else 503)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, _: Exception) -> HTMLResponse:
        _log.exception("panel_error", path=request.url.path)
        return await error_page(request, 500)

    @app.get("/static/{version}/{name:path}", include_in_schema=False)
    async def asset(version: str, name: str) -> Response:
        return static.response(version, name)

    for module in (signin, tickets, ticket, notifications):
        app.include_router(module.router)
    # Pages and assets compressed (a list page shrinks several times); the live stream and
    # downloads pass as they are.
    app.add_middleware(
        GZipMiddleware,
        minimum_size=1024,
        exclude_content_types=(
            *DEFAULT_EXCLUDED_CONTENT_TYPES,
            "application/pdf",
            "application/octet-stream",
        ),
    )
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.panel_frame_ancestors)
    app.add_middleware(BodyLimit, max_bytes=settings.panel_max_request_bytes)
    return app
