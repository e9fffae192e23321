"""One ticket: its page (the read recorded first), reply, close, reopen, the agent side's
changes, and attachments downloaded through the panel with the person's own token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from ticketing_contracts.topics import is_hex_id, is_ticket_id

from .. import forms
from ..api import ApiError
from ..guards import PREFIX, is_form_key
from ..present import PRIORITIES
from ..sessions import Session
from ..web import (
    PanelPage,
    checked_form,
    current_session,
    layout,
    new_form_key,
    panel_of,
    render,
    see_other,
)
from .tickets import Refused, upload_all

router = APIRouter()
REPLY_FIELDS = ("body", "files", "follow_up", "internal")
CHANGE_FIELDS = ("department", "priority", "assignee_id")
_PASSED_HEADERS = ("content-type", "content-length", "content-disposition", "last-modified")


def _ticket_path(ticket_id: str) -> str:
    if not is_ticket_id(ticket_id):
        raise PanelPage(404)
    return f"/v1/tickets/{ticket_id}"


async def ticket_page(
    request: Request,
    session: Session,
    ticket: dict[str, Any],
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    chrome: dict[str, Any] | None = None,
) -> HTMLResponse:
    catalog = await panel_of(request).catalogs.for_session(session)
    return await render(
        request,
        "ticket.html",
        {
            "ticket": ticket,
            "messages": ticket.get("messages", []),
            "catalog": catalog,
            "typed": typed or {},
            "errors": errors or {},
            "form_key": new_form_key,
        },
        session=session,
        status=status,
        chrome=chrome,
    )


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket(request: Request, ticket_id: str) -> HTMLResponse:
    """The ticket and its thread; opening it records the read first (POST /read)."""
    session = current_session(request)
    path = _ticket_path(ticket_id)
    api = panel_of(request).api
    await api.write("POST", f"{path}/read", session)
    # after the read, so the sidebar counts it; the ticket and the layout at once
    panel = panel_of(request)
    shown, chrome = await asyncio.gather(api.get(session, path), layout(panel, session))
    return await ticket_page(request, session, shown, chrome=chrome)


async def _once(
    request: Request, ticket_id: str, action: Callable[[Session, Any], Awaitable[str | None]]
) -> Response:
    """A ticket form: checked, run once per form key, then 303 back to the ticket (or where
    the action says)."""
    session = current_session(request)
    path = _ticket_path(ticket_id)
    form = await checked_form(request, session)
    key = forms.text(form, "idempotency_key")
    if not is_form_key(key):
        raise PanelPage(400)

    async def act() -> str:
        elsewhere = await action(session, form)
        return elsewhere or f"{PREFIX}/tickets/{ticket_id}"

    try:
        return see_other(await session.once(key, act))
    except Refused as refused:
        shown = await panel_of(request).api.get(session, path)
        typed = forms.typed(form, ("body", "reason", *CHANGE_FIELDS))
        typed |= {k: "on" for k in ("follow_up", "internal") if forms.checked(form, k)}
        return await ticket_page(
            request, session, shown, typed=typed, errors=refused.errors, status=422
        )


@router.post("/tickets/{ticket_id}/reply", response_model=None)
async def reply(request: Request, ticket_id: str) -> Response:
    """A message with files; the agent side may mark it follow-up or an internal note."""
    api = panel_of(request).api

    async def post(session: Session, form: Any) -> str | None:
        body: dict[str, Any] = {"body": forms.text(form, "body")}
        if session.identity.role in ("agent", "admin"):
            body["follow_up"] = forms.checked(form, "follow_up")
            body["internal"] = forms.checked(form, "internal")
        if not body["body"].strip():
            raise Refused(forms.one_error("body", "متن پاسخ را بنویسید."))
        attachment_ids = await upload_all(request, session, forms.files_of(form))
        if attachment_ids:
            body["attachment_ids"] = attachment_ids
        await _refusable(
            api.write(
                "POST",
                f"{_ticket_path(ticket_id)}/messages",
                session,
                json=body,
                idempotency_key=forms.text(form, "idempotency_key"),
            ),
            REPLY_FIELDS,
            fallback="body",
        )
        return None

    return await _once(request, ticket_id, post)


@router.post("/tickets/{ticket_id}/close", response_model=None)
async def close(request: Request, ticket_id: str) -> Response:
    """Closes the ticket, with an optional reason."""
    api = panel_of(request).api

    async def post(session: Session, form: Any) -> str | None:
        reason = forms.text(form, "reason").strip()
        await _refusable(
            api.write(
                "POST",
                f"{_ticket_path(ticket_id)}/close",
                session,
                json={"reason": reason} if reason else {},
            ),
            ("reason",),
            fallback="reason",
        )
        return None

    return await _once(request, ticket_id, post)


@router.post("/tickets/{ticket_id}/reopen", response_model=None)
async def reopen(request: Request, ticket_id: str) -> Response:
    api = panel_of(request).api

    async def post(session: Session, form: Any) -> str | None:
        await api.write("POST", f"{_ticket_path(ticket_id)}/reopen", session)
        return None

    return await _once(request, ticket_id, post)


@router.post("/tickets/{ticket_id}/change", response_model=None)
async def change(request: Request, ticket_id: str) -> Response:
    """The agent side: transfer department, change priority, assign (to me)."""
    api = panel_of(request).api

    async def post(session: Session, form: Any) -> str | None:
        body: dict[str, Any] = {}
        for name in CHANGE_FIELDS:
            value = forms.text(form, name).strip()
            if value:
                body[name] = value
        if body.get("priority") is not None and body["priority"] not in PRIORITIES:
            raise Refused(forms.one_error("priority"))
        if not body:
            return None
        await _refusable(
            api.write("PATCH", _ticket_path(ticket_id), session, json=body),
            CHANGE_FIELDS,
            fallback="department",
        )
        moved_to, served = body.get("department"), session.identity.departments
        if moved_to is not None and served is not None and moved_to not in served:
            return f"{PREFIX}/tickets"  # transferred out of the agent's sight: back to the list
        return None

    return await _once(request, ticket_id, post)


async def _refusable(
    write: Awaitable[dict[str, Any]], known: tuple[str, ...], *, fallback: str
) -> None:
    try:
        await write
    except ApiError as error:
        if error.status == 422:
            errors = forms.field_errors(error.field_errors, known=known, fallback_field=fallback)
            raise Refused(errors) from error
        raise


@router.get("/attachments/{attachment_id}", response_model=None)
async def attachment(request: Request, attachment_id: str) -> Response:
    """A file, fetched with the person's own token: the API decides who may read it."""
    session = current_session(request)
    if not is_hex_id(attachment_id):
        raise PanelPage(404)
    api = panel_of(request).api
    upstream = await api.open_stream(session, f"/v1/attachments/{attachment_id}")
    if upstream.status_code == 307:  # a signed URL of the blob store: fetched here, not shown
        location = upstream.headers.get("location", "")
        await upstream.aclose()
        upstream = await api.open_external(location)
    headers = {k: v for k, v in upstream.headers.items() if k.lower() in _PASSED_HEADERS}
    headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    headers.setdefault("content-disposition", "attachment")

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        finally:
            await upstream.aclose()

    return StreamingResponse(body(), status_code=200, headers=headers)
