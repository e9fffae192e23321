"""What every page shares: the session from the cookie, rendering with the layout (counters
sidebar, bell, sign-out form), the checks on every POST, and the Persian error pages."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from ticketing_web.auth import TokenVerifier

from . import present
from .api import Api, ApiError
from .catalog import Catalogs
from .guards import COOKIE, PREFIX, csrf_matches, masked_csrf, same_origin
from .sessions import Session, SessionStore
from .settings import PanelSettings
from .static import StaticFiles

_log = structlog.get_logger("ticketing.panel")
#: Set in the ASGI scope by the body limit when the declared length is already too large.
TOO_LARGE = "ticketing_panel.too_large"
TEMPLATES = Path(__file__).parent / "templates"


class PanelPage(Exception):
    """Answer with one of the Persian pages instead of the one asked for; `forged`: a POST
    that did not come from our own form (its page says so, and that nothing was written)."""

    def __init__(self, status: int, *, forged: bool = False) -> None:
        super().__init__(status)
        self.status = status
        self.forged = forged


@dataclass
class Panel:
    """The panel's state, one per app."""

    settings: PanelSettings
    sessions: SessionStore
    api: Api
    verifier: TokenVerifier
    static: StaticFiles
    templates: Environment
    catalogs: Catalogs


def build_templates(static: StaticFiles) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fa"] = present.fa_digits
    env.filters["size"] = present.file_size
    env.globals.update(
        static=static.url,
        prefix=PREFIX,
        role_label=present.role_label,
        shown_time=present.shown_time,
        priority_label=present.priority_label,
        priorities=present.PRIORITIES,
        status_labels=present.STATUS_LABELS,
        state_of_code=present.STATE_OF_CODE,
    )
    return env


def panel_of(request: Request) -> Panel:
    panel: Panel = request.app.state.panel
    return panel


def session_or_none(request: Request) -> Session | None:
    return panel_of(request).sessions.get(request.cookies.get(COOKIE))


def current_session(request: Request) -> Session:
    """The signed-in person, else the Persian 'sign in through your panel' page (401)."""
    session = session_or_none(request)
    if session is None:
        raise PanelPage(401)
    return session


async def checked_form(request: Request, session: Session) -> FormData:
    """A POST's form, once it is known to come from our own page: same origin and the
    session's CSRF token (else 403, before anything is written)."""
    if not same_origin(request):
        raise PanelPage(403, forged=True)
    if request.scope.get(TOO_LARGE):
        raise PanelPage(413)
    form = await request.form(max_files=10, max_fields=100)
    if not csrf_matches(session.csrf_token, form.get("csrf_token")):
        raise PanelPage(403, forged=True)
    return form


def new_form_key() -> str:
    return secrets.token_urlsafe(24)


def see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


async def layout(panel: Panel, session: Session) -> dict[str, Any]:
    """The sidebar counters and the bell's count, for every page."""
    counters, bell = await asyncio.gather(
        panel.api.get(session, "/v1/counters"),
        _unread_notifications(panel, session),
    )
    return {"counters": counters, "bell": bell}


async def _unread_notifications(panel: Panel, session: Session) -> int:
    """The bell's number: the API's `unread_count` (one item asked for, not a page)."""
    try:
        # Not `fresh`: the bell never waits for the notifications consumer to catch up.
        page = await panel.api.get(
            session, "/v1/notifications", params=[("limit", "1")], fresh=False
        )
        count = page.get("unread_count")
        if isinstance(count, int):
            return count
        # an API without `unread_count`: counted from its first page
        page = await panel.api.get(
            session, "/v1/notifications", params=[("limit", "100")], fresh=False
        )
    except ApiError as error:
        if error.status in (0, 401) or error.status >= 500:
            raise
        return 0
    return sum(1 for item in page.get("items", []) if not item.get("read", True))


async def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    session: Session | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    chrome: Mapping[str, Any] | None = None,
) -> HTMLResponse:
    """`template` with the layout; `chrome`: the layout's data when the page fetched it
    alongside its own (`layout`), else it is fetched here."""
    panel = panel_of(request)
    shared: dict[str, Any] = {
        "me": None,
        "dev": panel.settings.dev,
        "request_path": request.url.path,
    }
    if session is not None:
        identity = session.identity
        shared |= {
            "me": identity,
            "agent_side": identity.role in ("agent", "admin"),
            "csrf_token": masked_csrf(session.csrf_token),
            **(chrome if chrome is not None else await layout(panel, session)),
        }
    html = panel.templates.get_template(template).render({**shared, **context})
    return HTMLResponse(html, status_code=status, headers=dict(headers or {}))


async def error_page(request: Request, status: int, *, forged: bool = False) -> HTMLResponse:
    """The Persian page for `status`; the layout only when it can still be drawn."""
    panel = panel_of(request)
    session = session_or_none(request) if status != 401 else None
    context = {"status": status, "forged": forged}
    if session is not None:
        try:
            return await render(request, "error.html", context, session=session, status=status)
        except ApiError:
            pass  # the API is what failed: the page without its sidebar
    html = panel.templates.get_template("error.html").render(
        {"me": None, "dev": panel.settings.dev, **context}
    )
    return HTMLResponse(html, status_code=status)


async def api_error_page(request: Request, error: ApiError) -> HTMLResponse:
    """An API refusal nobody handled on the way: the matching Persian page."""
    match error.status:
        case 401:
            panel_of(request).sessions.close(request.cookies.get(COOKIE))
            return await error_page(request, 401)
        case 403 | 404 | 409 | 412 | 413 | 415:
            return await error_page(request, error.status)
        case 0:
            _log.warning("api_unreachable")
            return await error_page(request, 503)
        case status if status >= 500:
            _log.warning("api_failed", status=status)
            return await error_page(request, 503)
        case _:
            return await error_page(request, 400)
