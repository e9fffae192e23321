"""`python -m ticketing_panel`: the panel as its own process behind the gateway.

It calls the public API over HTTP at TICKETING_PANEL_API_URL (the gateway) and serves /panel
on TICKETING_HOST:TICKETING_PORT (default 127.0.0.1:8006)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from ticketing_web.observability import Metrics, RequestContext, configure_logging
from ticketing_web.serve import serve
from ticketing_web.settings import verifier_from

from ticketing_panel.app import create_panel_app
from ticketing_panel.settings import PanelSettings

DEFAULT_PORT = 8006


def create_standalone_app(settings: PanelSettings) -> FastAPI:
    """/panel over the API at `panel_api_url`, plus the ops endpoints every process has."""
    if not settings.panel_api_url:
        raise ValueError("set TICKETING_PANEL_API_URL to the API's base URL (the gateway)")
    client = httpx.AsyncClient(
        base_url=settings.panel_api_url,
        timeout=httpx.Timeout(settings.panel_api_timeout_seconds, connect=5.0),
        follow_redirects=False,
    )
    panel = create_panel_app(settings, api_client=client, verifier=verifier_from(settings))
    app = FastAPI(
        title="Ticketing panel",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=panel.router.lifespan_context,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    metrics = Metrics("panel")

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # One JSON access line per request, with its path only (a sign-in's token is in the query).
    app.add_middleware(RequestContext, metrics=metrics)

    @app.get("/panel", include_in_schema=False)
    async def panel_home() -> Response:
        # Relative, unlike the framework's slash redirect, which would name this process's own
        # host (the gateway calls it by its internal address).
        return Response(status_code=303, headers={"Location": "/panel/"})

    app.mount("/panel", panel)
    return app


def main() -> None:
    settings = PanelSettings()
    configure_logging(settings.log_level)
    serve(create_standalone_app(settings), default_port=DEFAULT_PORT)


if __name__ == "__main__":
    main()
