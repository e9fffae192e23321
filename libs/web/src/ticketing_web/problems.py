"""RFC 9457 problem details for every error any service returns, in English or, when the
request asks for it (`Accept-Language: fa`, q-values honoured), in Persian.

The language is decided once per request by the outermost middleware (`edge.ServiceEdge`, or
`PreferredLanguage` where that is not used) and kept in a context variable, so every problem
built while serving it, by any route, handler or middleware, comes out in that language; the
Persian wording is `problems_fa`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from . import problems_fa

PROBLEM_MEDIA_TYPE = "application/problem+json"
MALFORMED_JSON = "The request body is not valid JSON (UTF-8)."
_log = structlog.get_logger("ticketing.problems")

_persian: ContextVar[bool] = ContextVar("ticketing_problems_in_persian", default=False)


def prefers_persian(accept_language: str) -> bool:
    """Whether `Accept-Language` asks for Persian before English (RFC 9110 §12.5.4).

    The language range with the highest q (ties: the first) among those we have wins: `fa` and
    `fa-*` are Persian; `en`, `en-*` and `*` English; ranges we do not have are passed over, and
    `q=0` means "not this". A malformed q counts as 0. Nothing that matches: English.
    """
    best_q, persian = 0.0, False
    for part in accept_language.split(",")[:32]:  # a header of thousands of ranges: read 32
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        if primary not in ("fa", "en", "*"):
            continue
        q = _quality(params)
        if q > best_q:
            best_q, persian = q, primary == "fa"
    return persian


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def choose_language(accept_language: bytes) -> None:
    """Decides the language of the problems of the request being served (its task's context)."""
    _persian.set(prefers_persian(accept_language.decode("latin-1")))


def in_persian() -> bool:
    """Whether the request being served asked for Persian."""
    return _persian.get()


class PreferredLanguage:
    """ASGI middleware: decides the language of this request's problems from Accept-Language.

    Set, not reset: the server's error middleware (a 500) sits outside every middleware and runs
    after this one returns; each request runs in a task of its own, so nothing leaks between."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = next((v for k, v in scope["headers"] if k == b"accept-language"), b"")
            choose_language(header)
        await self.app(scope, receive, send)


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        # A lone surrogate that reached a message anyway is escaped, never a failed response.
        text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str = "about:blank",
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    """A problem+json response; `title` defaults to the status phrase. Written in English and,
    when the request asked for Persian, given in Persian (title, detail, each error message)."""
    if errors is not None and in_persian():
        errors = [
            {
                **e,
                "message": problems_fa.service_field_message(
                    field=e["field"], message=e["message"]
                ),
            }
            for e in errors
        ]
    return _response(
        status, detail, title=title, type_=type_, errors=errors, headers=headers, **extra
    )


def _response(
    status: int,
    detail: str,
    *,
    title: str | None,
    type_: str,
    errors: Sequence[Mapping[str, Any]] | None,
    headers: Mapping[str, str] | None,
    **extra: Any,
) -> ProblemResponse:
    """The response, `errors` already in the request's language."""
    title = title or HTTPStatus(status).phrase
    if in_persian():
        title = problems_fa.title_for(status, title)
        if errors and status == 422:
            detail = problems_fa.validation_detail([str(e["message"]) for e in errors])
        else:
            detail = problems_fa.detail_for(status, detail)
    body: dict[str, Any] = {
        "type": type_,
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    if errors is not None:
        body["errors"] = list(errors)
    # The words depend on Accept-Language: a cache must not hand one language to the other.
    return ProblemResponse(
        body, status_code=status, headers={"Vary": "Accept-Language", **(headers or {})}
    )


def _field_of(loc: Sequence[Any]) -> str:
    # ("body", "title") -> "title"; ("query", "limit") -> "limit"; ("header", "if-match") -> ...
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    return ".".join(str(p) for p in parts) or "body"


def validation_problem(exc: RequestValidationError) -> ProblemResponse:
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem(400, MALFORMED_JSON, title="Malformed JSON")
    errors = [{"field": _field_of(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in raw]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    if in_persian():
        # From pydantic's own error type and context, more exact than the English text.
        errors = [
            {
                "field": error["field"],
                "message": problems_fa.request_field_message(
                    field=error["field"],
                    error_type=str(e.get("type", "")),
                    ctx=e.get("ctx") or {},
                    message=str(e.get("msg", "")),
                    whole_body=tuple(e.get("loc", ())) == ("body",),
                ),
            }
            for error, e in zip(errors, raw, strict=True)
        ]
    return _response(
        422, detail, title="Validation failed", type_="about:blank", errors=errors, headers=None
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Every error path answers problem+json, unexpected ones included (logged, never leaked)."""

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> ProblemResponse:
        return validation_problem(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> ProblemResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem(exc.status_code, detail, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
        _log.exception("unhandled_error", path=request.url.path)
        return problem(500, "An unexpected error occurred; it has been logged.")


def problem_doc(description: str) -> dict[str, Any]:
    """An OpenAPI `responses` entry for a problem+json answer (route documentation only)."""
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {}}}
