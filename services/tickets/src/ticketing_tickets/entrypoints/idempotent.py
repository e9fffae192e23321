"""Runs one command under the HTTP rules every command shares: Idempotency-Key replay and the
mapping of the domain's refusals to problem details."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from pydantic import BaseModel
from ticketing_web import Identity, problem

from ticketing_tickets.application.handlers import PreconditionFailed, TooMuchContention
from ticketing_tickets.application.ports import (
    Claimed,
    Clock,
    IdempotencyStore,
    InFlight,
    StoredResponse,
)
from ticketing_tickets.domain import Forbidden, TicketNotFound, ValidationFailed

IDEMPOTENCY_HEADER = "idempotency-key"
#: Printable ASCII (a structured-field string's characters), never controls or line breaks.
_KEY = re.compile(r"[\x20-\x7e]{1,255}")
_IDS = uuid.UUID("6f1c3a52-8d0e-4b7f-9a41-2c5e7d9b0f13")


def is_idempotency_key(key: str) -> bool:
    """Whether `key` is 1-255 printable ASCII characters."""
    return _KEY.fullmatch(key) is not None


def idempotency_scope(request: Request, identity: Identity) -> str | None:
    """The key as API.md scopes it (brand, user, method, path), or None when the header is
    absent. A JSON array of the parts: a part holding `|` (or any separator) cannot shift into
    its neighbour, as it could when they were joined with `|` and a `sub` such as
    `alice|POST|/v1/tickets` met another user's key. Readable in the store; records written
    in the old joined form never start with `[`, so they simply stop matching."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    parts = [identity.brand, identity.sub, request.method, request.url.path, key]
    return json.dumps(parts, ensure_ascii=True, separators=(",", ":"))


def derived_id(scope: str | None) -> str | None:
    """A stable id for what a keyed request creates, so a retry after a crash is recognised."""
    return uuid.uuid5(_IDS, scope).hex if scope else None


def _request_hash(raw: bytes) -> str:
    with contextlib.suppress(ValueError):  # the same JSON however spaced or ordered
        raw = json.dumps(json.loads(raw or b"null"), sort_keys=True).encode()
    return hashlib.sha256(raw).hexdigest()


def domain_problem(exc: Exception) -> Response:
    match exc:
        case ValidationFailed():
            errors = [{"field": e.field, "message": e.message} for e in exc.errors]
            return problem(422, str(exc), title="Validation failed", errors=errors)
        case Forbidden():
            return problem(403, str(exc))
        case TicketNotFound():
            return problem(404, "No such ticket.")
        case PreconditionFailed():
            return problem(
                412,
                f"If-Match does not match: {exc}.",
                current_version=exc.current,
                headers={"ETag": f'"{exc.current}"'},
            )
        case TooMuchContention():
            return problem(409, f"{exc}; retry the request.", headers={"Retry-After": "1"})
    raise exc


async def run_command(
    request: Request,
    identity: Identity,
    idempotency: IdempotencyStore,
    scope: str | None,
    status: int,
    action: Callable[[], Awaitable[BaseModel]],
    *,
    clock: Clock,
) -> Response:
    """Run `action`, answer `status` with its result; replay or refuse per Idempotency-Key.
    Records are stamped with `clock` (their age decides replay, lease and expiry)."""
    if scope is None:
        return await _respond(status, action)
    if not is_idempotency_key(request.headers[IDEMPOTENCY_HEADER]):
        return problem(400, "Idempotency-Key must be 1-255 printable ASCII characters.")
    request_hash = _request_hash(await request.body())
    outcome = await idempotency.claim(scope, request_hash, now=clock())
    match outcome:
        case InFlight():
            return problem(
                409,
                "A request with this Idempotency-Key is still in progress.",
                headers={"Retry-After": "1"},
            )
        case StoredResponse() if outcome.request_hash != request_hash:
            return problem(
                422,
                "This Idempotency-Key was used with a different request body.",
                title="Idempotency-Key reused",
            )
        case StoredResponse():
            return Response(
                outcome.body,
                status_code=outcome.status,
                media_type=_media_type(outcome.status),
                headers={"Idempotent-Replayed": "true"},
            )
        case Claimed():
            pass
    try:
        response = await _respond(status, action)
    except BaseException:
        await idempotency.release(scope)
        raise
    await idempotency.complete(
        scope,
        StoredResponse(request_hash, response.status_code, bytes(response.body)),
        now=clock(),
    )
    return response


async def _respond(status: int, action: Callable[[], Awaitable[BaseModel]]) -> Response:
    try:
        result = await action()
    except (
        ValidationFailed,
        Forbidden,
        TicketNotFound,
        PreconditionFailed,
        TooMuchContention,
    ) as exc:
        return domain_problem(exc)
    return Response(
        result.model_dump_json(),
        status_code=status,
        media_type="application/json",
        headers={"ETag": f'"{getattr(result, "version", "")}"'},
    )


def _media_type(status: int) -> str:
    return "application/json" if status < 400 else "application/problem+json"
