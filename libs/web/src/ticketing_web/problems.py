"""RFC 9457 problem details for every error any service returns."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
MALFORMED_JSON = "The request body is not valid JSON (UTF-8)."
_log = structlog.get_logger("ticketing.problems")


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
    """A problem+json response; `title` defaults to the status phrase."""
    body: dict[str, Any] = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    if errors is not None:
        body["errors"] = list(errors)
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def _field_of(loc: Sequence[Any]) -> str:
    # ("body", "title") -> "title"; ("query", "limit") -> "limit"; ("header", "if-match") -> ...
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    return ".".join(str(p) for p in parts) or "body"


def validation_problem(exc: RequestValidationError) -> ProblemResponse:
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem(400, MALFORMED_JSON, title="Malformed JSON")
    errors = [{"field": _field_of(e.get("loc", ())), "message": str(e.get("msg", ""))} for e in raw]
    return problem(
        422,
        "; ".join(f"{e['field']}: {e['message']}" for e in errors),
        title="Validation failed",
        errors=errors,
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
