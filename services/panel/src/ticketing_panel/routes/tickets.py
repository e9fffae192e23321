"""The tickets page (filters, search, keyset paging), the new-ticket form, its success page,
and finding a ticket by its tracking code."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile
from ticketing_contracts.topics import is_ticket_id

from .. import forms
from ..api import ApiError
from ..guards import PREFIX, is_form_key
from ..present import PRIORITIES, latin_digits
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

router = APIRouter()
NEW_FIELDS = ("title", "department", "request_type", "priority", "body", "customer_id")
_CODE = re.compile(r"[0-9]{6,12}")
_SEPARATORS = re.compile(r"[\s\-‐‑–—_\u200c\u200f\u200e]+")
_WORD = re.compile(r"[a-z0-9_]{1,64}")
_CURSOR = re.compile(r"[A-Za-z0-9_\-=]{1,512}")


@router.get("/", response_model=None)
async def home() -> Response:
    return see_other(f"{PREFIX}/tickets")


def list_filters(request: Request, session: Session) -> list[tuple[str, str]]:
    """The list's query string as the API's, with only values it accepts (a hand-edited URL
    narrows nothing it should not, and never turns into an error page)."""
    query = request.query_params
    params = [("status", s) for s in query.getlist("status") if s in list("12345678")]
    for flag in ("unread", "closed"):
        if query.get(flag) in ("true", "false"):
            params.append((flag, query[flag]))
    if query.get("priority") in PRIORITIES:
        params.append(("priority", query["priority"]))
    if _WORD.fullmatch(query.get("department", "")):
        params.append(("department", query["department"]))
    if query.get("assignee") == "me" and session.identity.role in ("agent", "admin"):
        params.append(("assignee", "me"))
    q = query.get("q", "").strip()[:200]
    if q:
        params.append(("q", q))
    if _CURSOR.fullmatch(query.get("cursor", "")):
        params.append(("cursor", query["cursor"]))
    return params


@router.get("/tickets", response_class=HTMLResponse)
async def tickets(request: Request) -> HTMLResponse:
    """The tickets page: newest activity first, filters, search and keyset paging."""
    session = current_session(request)
    panel = panel_of(request)
    params = list_filters(request, session)

    async def listed() -> dict[str, Any]:
        nonlocal params
        try:
            return await panel.api.get(session, "/v1/tickets", params=params)
        except ApiError as error:
            if error.status != 422:
                raise
            params = [p for p in params if p[0] != "cursor"]  # a stale or foreign cursor
            return await panel.api.get(session, "/v1/tickets", params=params)

    # The list, the sidebar and the bell at once: a page waits for the slowest, not the sum.
    page, chrome, catalog = await asyncio.gather(
        listed(), layout(panel, session), panel.catalogs.for_session(session)
    )
    chosen = {k: v for k, v in params if k not in ("status", "cursor")}
    next_params = [p for p in params if p[0] != "cursor"]
    return await render(
        request,
        "tickets.html",
        {
            "items": page.get("items", []),
            "next_cursor": page.get("next_cursor"),
            "next_params": next_params,
            "paged": any(k == "cursor" for k, _ in params),
            "chosen": chosen,
            "chosen_status": [v for k, v in params if k == "status"],
            "catalog": catalog,
        },
        session=session,
        chrome=chrome,
    )


async def _new_form(
    request: Request,
    session: Session,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    catalog = await panel_of(request).catalogs.for_session(session)
    return await render(
        request,
        "new.html",
        {
            "typed": typed or {"priority": "normal", "request_type": "general"},
            "errors": errors or {},
            "catalog": catalog,
            "form_key": new_form_key(),
        },
        session=session,
        status=status,
    )


@router.get("/tickets/new", response_class=HTMLResponse)
async def new_ticket_form(request: Request) -> HTMLResponse:
    """The new-ticket form (Dastyarak: «ایجاد تیکت جدید»)."""
    session = current_session(request)
    return await _new_form(request, session)


class Refused(Exception):
    """A form the API refused: its errors by form field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("refused")
        self.errors = errors


async def upload_all(request: Request, session: Session, files: list[UploadFile]) -> list[str]:
    """Each chosen file through POST /v1/attachments; a refused one names the files field."""
    api = panel_of(request).api
    ids: list[str] = []
    for upload in files:
        data = await upload.read()
        try:
            created = await api.upload(
                session,
                filename=upload.filename or "file",
                data=data,
                content_type=upload.content_type or "application/octet-stream",
            )
        except ApiError as error:
            if error.status not in forms.UPLOAD_MESSAGES:
                raise
            message = forms.persian_or(error.detail, forms.UPLOAD_MESSAGES[error.status])
            raise Refused(forms.one_error("files", f"«{upload.filename}»: {message}")) from error
        ids.append(str(created["attachment_id"]))
    return ids


def _new_body(form: FormData, session: Session) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": forms.text(form, "title"),
        "department": forms.text(form, "department"),
        "request_type": forms.text(form, "request_type") or "general",
        "priority": forms.text(form, "priority") or "normal",
        "body": forms.text(form, "body"),
    }
    if session.identity.role != "customer":
        customer = forms.text(form, "customer_id").strip()
        if not customer:
            raise Refused(forms.one_error("customer_id", "مشتری را انتخاب یا وارد کنید."))
        body["customer_id"] = customer
    return body


@router.post("/tickets/new", response_model=None)
async def open_ticket(request: Request) -> Response:
    """Uploads the files, opens the ticket, then 303 to its success page."""
    session = current_session(request)
    form = await checked_form(request, session)
    key = forms.text(form, "idempotency_key")
    if not is_form_key(key):
        raise PanelPage(400)
    api = panel_of(request).api

    async def act() -> str:
        body = _new_body(form, session)
        attachment_ids = await upload_all(request, session, forms.files_of(form))
        if attachment_ids:
            body["attachment_ids"] = attachment_ids
        try:
            opened = await api.write("POST", "/v1/tickets", session, json=body, idempotency_key=key)
        except ApiError as error:
            if error.status == 422:
                raise Refused(forms.field_errors(error.field_errors, known=NEW_FIELDS)) from error
            if error.status == 403:  # a customer outside the representative's claim
                raise Refused(forms.one_error("customer_id")) from error
            raise
        return f"{PREFIX}/tickets/{opened['ticket_id']}/created"

    try:
        return see_other(await session.once(key, act))
    except Refused as refused:
        typed = forms.typed(form, NEW_FIELDS)
        return await _new_form(request, session, typed=typed, errors=refused.errors, status=422)


@router.get("/tickets/{ticket_id}/created", response_class=HTMLResponse)
async def created(request: Request, ticket_id: str) -> HTMLResponse:
    """The tracking code, large (Panah, step 3), and a link to the ticket; records no read."""
    session = current_session(request)
    if not is_ticket_id(ticket_id):
        raise PanelPage(404)
    ticket = await panel_of(request).api.get(session, f"/v1/tickets/{ticket_id}")
    return await render(request, "created.html", {"ticket": ticket}, session=session)


@router.get("/track", response_model=None)
async def track(request: Request, code: str | None = None) -> Response:
    """Finds a ticket by its tracking code (Persian, Arabic-Indic or Latin digits)."""
    session = current_session(request)
    if code is None:
        return await render(request, "track.html", {"code": ""}, session=session)
    normalised = _SEPARATORS.sub("", latin_digits(code))
    if not _CODE.fullmatch(normalised):
        raise PanelPage(404)
    ticket = await panel_of(request).api.get(session, f"/v1/tickets/by-tracking-code/{normalised}")
    return see_other(f"{PREFIX}/tickets/{ticket['ticket_id']}")
