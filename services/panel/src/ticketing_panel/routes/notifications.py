"""The notification bar's list, marking read, the customer's preferences, and the live stream
proxied with the session (the token never travels in a URL)."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from .. import forms
from ..api import ApiError
from ..guards import PREFIX, is_form_key, is_notification_id
from ..sessions import Session
from ..web import (
    PanelPage,
    checked_form,
    current_session,
    new_form_key,
    panel_of,
    render,
    see_other,
)

router = APIRouter()
PREFERENCE_FIELDS = ("email_address", "phone")
_CURSOR = re.compile(r"[A-Za-z0-9_\-=]{1,128}")
_LAST_EVENT_ID = re.compile(r"[A-Za-z0-9_\-]{1,128}")


async def _page(
    request: Request,
    session: Session,
    *,
    preferences: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    api = panel_of(request).api
    cursor = request.query_params.get("cursor", "")
    params = [("limit", "30")] + ([("cursor", cursor)] if _CURSOR.fullmatch(cursor) else [])
    try:
        page = await api.get(session, "/v1/notifications", params=params, fresh=False)
    except ApiError as error:
        if error.status != 422:
            raise
        page = await api.get(session, "/v1/notifications", params=[("limit", "30")], fresh=False)
    if preferences is None and session.identity.role == "customer":
        preferences = await api.get(session, "/v1/notifications/preferences", fresh=False)
    return await render(
        request,
        "notifications.html",
        {
            "items": page.get("items", []),
            "next_cursor": page.get("next_cursor"),
            "preferences": preferences,
            "errors": errors or {},
            "form_key": new_form_key,
        },
        session=session,
        status=status,
    )


@router.get("/notifications", response_class=HTMLResponse)
async def notifications(request: Request) -> HTMLResponse:
    """Newest first; mark one or all read; the customer's channels."""
    session = current_session(request)
    return await _page(request, session)


async def _once_back(request: Request, write: Any) -> Response:
    session = current_session(request)
    form = await checked_form(request, session)
    key = forms.text(form, "idempotency_key")
    if not is_form_key(key):
        raise PanelPage(400)

    async def act() -> str:
        await write(session, form)
        return f"{PREFIX}/notifications"

    return see_other(await session.once(key, act))


@router.post("/notifications/read-all", response_model=None)
async def read_all(request: Request) -> Response:
    api = panel_of(request).api

    async def write(session: Session, _: Any) -> None:
        await api.write("POST", "/v1/notifications/read-all", session)

    return await _once_back(request, write)


@router.post("/notifications/preferences", response_model=None)
async def preferences(request: Request) -> Response:
    """The customer's channels: in-app, email (with its address), SMS (with a phone)."""
    session = current_session(request)
    if session.identity.role != "customer":
        raise PanelPage(403)
    api = panel_of(request).api
    form = await checked_form(request, session)
    body = {
        "in_app": forms.checked(form, "in_app"),
        "email": forms.checked(form, "email"),
        "sms": forms.checked(form, "sms"),
        "email_address": forms.text(form, "email_address").strip() or None,
        "phone": forms.text(form, "phone").strip() or None,
    }
    try:
        await api.write("PUT", "/v1/notifications/preferences", session, json=body)
    except ApiError as error:
        if error.status != 422:
            raise
        errors = forms.field_errors(
            error.field_errors, known=PREFERENCE_FIELDS, fallback_field="email_address"
        )
        return await _page(request, session, preferences=body, errors=errors, status=422)
    return see_other(f"{PREFIX}/notifications")


@router.post("/notifications/{notification_id}/read", response_model=None)
async def read_one(request: Request, notification_id: str) -> Response:
    if not is_notification_id(notification_id):
        raise PanelPage(404)
    api = panel_of(request).api

    async def write(session: Session, _: Any) -> None:
        await api.write("POST", f"/v1/notifications/{notification_id}/read", session)

    return await _once_back(request, write)


@router.get("/notifications/stream", response_model=None)
async def stream(request: Request) -> Response:
    """The bell's live feed: the API's SSE relayed with the session's token, until the session
    ends (logout, or the token's `exp`)."""
    session = current_session(request)
    sessions = panel_of(request).sessions
    headers = {}
    last = request.headers.get("last-event-id", "")
    if _LAST_EVENT_ID.fullmatch(last):
        headers["Last-Event-ID"] = last
    upstream = await panel_of(request).api.open_stream(
        session, "/v1/notifications/stream", headers=headers
    )
    ends_at = session.expires_at

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                if time.time() >= ends_at or sessions.get(session.session_id) is not session:
                    return  # signed out (another tab) or expired: nothing more is relayed
                yield chunk
        finally:
            await upstream.aclose()

    return StreamingResponse(
        relay(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
